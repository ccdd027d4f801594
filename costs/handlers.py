"""The job kind of the cost dashboard, registered with the job core when the app is ready."""

from jobs import registry

from . import services
from .constants import COST_REFRESH


def register_kinds() -> None:
    """Reading the figures again: the page's Refresh button is the retry."""
    registry.register(COST_REFRESH, services.costs_refresh_handle, label="Cost figures refresh")
