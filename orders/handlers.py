"""The job kind of purchase orders, registered with the job core when the app is ready."""

from jobs import registry

from . import services
from .constants import PURCHASE_ORDERS


def register_kinds() -> None:
    """Placing orders: a retry resumes the same run with its plan and finds what it made."""
    registry.register(
        PURCHASE_ORDERS,
        services.order_run_handle,
        label="Purchase orders",
        retry=lambda *, job, user: services.order_run_resume(job=job, user=user),
        may_retry=services.order_run_may_resume,
        retry_label="Resume",
        stalled_message="Placing the orders stopped without finishing (its worker went away). "
        "Resume it: orders already made are found, not made again.",
        template="orders/_order_job.html",
    )
