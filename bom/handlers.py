"""The job kind of the BOM app, registered with the job core when the app is ready."""

from jobs import registry

from . import services
from .constants import BOM_SYNC
from .models import BomSyncRun


def register_kinds() -> None:
    """The BOM sync: a retry resumes the same run from its checkpoint."""
    registry.register(
        BOM_SYNC,
        services.bom_sync_handle,
        label="BOM sync",
        retry=lambda *, job, user: services.bom_sync_resume(run=_as_run(job), user=user),
        may_retry=services.bom_sync_may_resume,
        retry_label="Resume",
        stalled_message="The sync stopped without finishing (its worker went away). Resume it.",
        template="bom/_sync_job.html",
    )


def _as_run(job) -> BomSyncRun:
    return job if isinstance(job, BomSyncRun) else BomSyncRun.objects.get(pk=job.pk)
