"""Purchase orders (or Material Requests) from a model version's takeoff: preview, start, resume
and the job that writes them. Only the delta is ordered; a retry never orders twice."""

from .options import clean_options
from .reading import order_may_place, order_preview, require_order_role
from .runs import (
    order_run_handle,
    order_run_may_resume,
    order_run_resume,
    order_run_start,
)

__all__ = [
    "clean_options",
    "order_may_place",
    "order_preview",
    "order_run_handle",
    "order_run_may_resume",
    "order_run_resume",
    "order_run_start",
    "require_order_role",
]
