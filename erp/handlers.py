"""The job kind of ERPNext links, registered with the job core when the app is ready."""

from jobs import registry

from . import services
from .services.sync import STATUS_PUSH


def register_kinds() -> None:
    """The push of a BIM status change to ERPNext (it pushes the status as it is now)."""
    registry.register(STATUS_PUSH, services.project_status_push_handle, label="ERPNext status push")
