"""The job kinds of projects, registered with the job core when the app is ready."""

from jobs import registry

from .services import takeoff


def register_kinds() -> None:
    """The takeoff: a retry runs a new job; a job a dead worker left running may be redone."""
    registry.register(
        takeoff.KIND,
        takeoff.takeoff_job_handle,
        label="Quantity takeoff",
        on_failed=takeoff.takeoff_job_failed,
        retry=takeoff.takeoff_job_retry,
        may_retry=takeoff.takeoff_job_may_retry,
        retry_label="Run the takeoff again",
        reclaim_running=True,
        template="projects/_takeoff_job.html",
    )
