"""The takeoff job: queue it, run it (the handler of the job kind "takeoff"), store one row per
element. The job core (jobs/) claims, heartbeats, retries and records it."""

import logging
import math
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from jobs.models import Job
from jobs.runner import JobContext, JobFailed, JobProgress
from jobs.services import JobNotRetryableError, job_enqueue, job_rerun

from ..models import ModelVersion, ProjectRole, TakeoffElement
from ..selectors import project_get_for_user, project_role_for

logger = logging.getLogger(__name__)

KIND = "takeoff"
ELEMENT_BATCH_SIZE = 2000
TAKEOFF_SHARE = 90  # percent of the job spent in the takeoff itself; saving takes the rest
RETRIED_MESSAGE = "The worker stopped while running this job; it was run again."
# The flag a failure carries in Job.error_details when the file itself is the fault: running
# the same bytes again fails the same way, so no door offers it.
BROKEN_FILE_DETAIL = {
    "broken_file": True,
    "error": "The file itself is the problem: running the takeoff again would fail the same "
    "way. Correct the model (or export it again) and upload it as a new version.",
}


def takeoff_job_enqueue(*, version: ModelVersion, user) -> Job:
    """Queue a takeoff of the version; the task is sent once the transaction commits."""
    with transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(
            state=ModelVersion.State.QUEUED, failure_reason=""
        )
        version.state, version.failure_reason = ModelVersion.State.QUEUED, ""
        return job_enqueue(kind=KIND, project=version.project, model_version=version, user=user)


def takeoff_job_retry(*, job: Job, user) -> Job:
    """Queue a new takeoff for a failed or stalled job's model version; the old job is closed.
    Editors and admins of the project only; one retry of a job wins, the others get 409."""
    project_get_for_user(slug=job.project.slug, user=user, min_role=ProjectRole.EDITOR)
    version = job.model_version
    if version is None or not (job.state == Job.State.FAILED or job.is_stalled):
        raise JobNotRetryableError(
            "Only a failed job, or one whose worker stopped answering, can be run again."
        )
    if takeoff_failed_on_file(job):
        raise JobNotRetryableError(BROKEN_FILE_DETAIL["error"])
    return job_rerun(
        job=job,
        user=user,
        start=lambda: takeoff_job_enqueue(version=version, user=user),
        stalled_message=RETRIED_MESSAGE,
    )


def takeoff_job_may_retry(*, job: Job, user) -> bool:
    """Editors and admins of the project may run a takeoff again."""
    role = project_role_for(user=user, project=job.project)
    return (
        role in (ProjectRole.EDITOR, ProjectRole.ADMIN)
        and job.model_version_id is not None
        and not takeoff_failed_on_file(job)
    )


def takeoff_failed_on_file(job: Job) -> bool:
    """The takeoff failed because of the file (unreadable, cut short, empty, missing), not
    because of the server: only a new upload can help."""
    return job.state == Job.State.FAILED and any(
        isinstance(detail, dict) and detail.get("broken_file") for detail in job.error_details
    )


def takeoff_callback(progress: JobProgress):
    """The callable given to take_off(progress=...): its 0..1 maps to 0..TAKEOFF_SHARE %."""

    def report(fraction: float, phase: str = "") -> None:
        fraction = 0.0 if not math.isfinite(fraction) else max(0.0, min(1.0, fraction))
        progress(fraction * TAKEOFF_SHARE, phase.capitalize() if phase else progress.phase)

    return report


def takeoff_job_handle(context: JobContext) -> dict:
    """Take quantities off the job's model version and store one row per element.

    Idempotent: a retried job replaces whatever an earlier attempt stored. A failure ends as
    a readable reason on the job and the model version (takeoff_job_failed).
    """
    version = ModelVersion.objects.filter(pk=context.job.model_version_id).first()
    if version is None:
        return {"skipped": "model version deleted"}
    context.progress(0, "Opening the model")
    ModelVersion.objects.filter(pk=version.pk).update(
        state=ModelVersion.State.RUNNING, failure_reason=""
    )
    try:
        return _takeoff_and_store(version=version, progress=context.progress)
    except Exception as exc:
        details = [BROKEN_FILE_DETAIL] if _is_file_fault(exc) else []
        raise JobFailed(_failure_reason(exc), details=details) from exc


def _takeoff_and_store(*, version: ModelVersion, progress: JobProgress) -> dict:
    from integrations.ifc import take_off

    with _local_copy(version) as path:
        takeoff = take_off(
            path,
            geometry=settings.IFC_TAKEOFF_GEOMETRY,
            threads=settings.IFC_TAKEOFF_THREADS,
            processes=settings.IFC_TAKEOFF_PROCESSES,
            memory_mb=settings.IFC_TAKEOFF_MEMORY_MB,
            progress=takeoff_callback(progress),
            max_expanded_bytes=settings.IFC_MAX_EXPANDED_BYTES,
        )
    elements = takeoff.elements
    progress(TAKEOFF_SHARE, f"Saving {len(elements)} elements")
    schema = _schema_choice(takeoff.schema) or version.schema
    warnings = [str(w) for w in (takeoff.warnings or [])][:100]
    result = {
        "elements": len(elements),
        "element_rows": len(elements),
        "schema": schema,
        "warnings": warnings,
        "model_version": version.number,
    }
    with transaction.atomic():
        if not ModelVersion.objects.select_for_update().filter(pk=version.pk).exists():
            return {"skipped": "model version deleted"}
        TakeoffElement.objects.filter(model_version=version).delete()
        for batch in _batches((_element_row(version, e) for e in elements), ELEMENT_BATCH_SIZE):
            TakeoffElement.objects.bulk_create(batch)
        distinct = (
            TakeoffElement.objects.filter(model_version=version)
            .values("global_id")
            .distinct()
            .count()
        )
        result["elements"] = distinct
        ModelVersion.objects.filter(pk=version.pk).update(
            state=ModelVersion.State.READY,
            failure_reason="",
            schema=schema,
            element_count=distinct,
            warnings=warnings,
            updated_at=timezone.now(),
        )
    return result


def takeoff_job_failed(job: Job, reason: str) -> None:
    """A failed (or stalled) takeoff leaves no half-stored rows and says why on the version."""
    if job.model_version_id is None:
        return
    TakeoffElement.objects.filter(model_version_id=job.model_version_id).delete()
    ModelVersion.objects.filter(pk=job.model_version_id).update(
        state=ModelVersion.State.FAILED,
        failure_reason=reason,
        element_count=0,
        updated_at=timezone.now(),
    )


def _is_file_fault(exc: Exception) -> bool:
    from integrations.ifc import TakeoffError

    return isinstance(exc, TakeoffError | FileNotFoundError)


def _failure_reason(exc: Exception) -> str:
    from integrations.ifc import TakeoffError

    if isinstance(exc, TakeoffError):
        return getattr(exc, "reason", None) or str(exc) or "The model could not be read."
    if isinstance(exc, FileNotFoundError):
        logger.error("Stored model file is missing: %s", exc)
        return "The stored model file is missing; upload the model again."
    if isinstance(exc, MemoryError):
        logger.error("Out of memory during a takeoff")
        return "The server ran out of memory reading this model."
    logger.exception("Takeoff failed unexpectedly")
    return (
        f"The takeoff failed unexpectedly ({type(exc).__name__}). "
        "The error is in the server log; try again or report the model."
    )


@contextmanager
def _local_copy(version: ModelVersion):
    """A local path of the stored file (a temporary copy when storage is not a local disk)."""
    try:
        path = version.file.path
    except NotImplementedError:
        path = None
    if path is not None:
        yield path
        return
    with tempfile.NamedTemporaryFile(suffix=Path(version.file.name).suffix) as tmp:
        with version.file.open("rb") as source:
            shutil.copyfileobj(source, tmp, 1024 * 1024)
        tmp.flush()
        yield tmp.name


def _schema_choice(raw: str | None) -> str:
    if not raw:
        return ""
    name = str(raw).upper()
    if name.startswith("IFC4X3"):
        return ModelVersion.Schema.IFC4X3
    return name if name in ModelVersion.Schema.values else ""


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _element_row(version: ModelVersion, element) -> TakeoffElement:
    return TakeoffElement(
        model_version=version,
        global_id=(element.global_id or "")[:64],
        ifc_class=(element.ifc_class or "")[:64],
        predefined_type=(element.predefined_type or "")[:64],
        type_name=(element.type_name or "")[:255],
        storey=(element.storey or "")[:255],
        material=(element.material or "")[:512],
        layer=element.layer,
        count=_finite(element.count) or 0,
        length=_finite(element.length),
        area=_finite(element.area),
        volume=_finite(element.volume),
        weight=_finite(element.weight),
        source=element.source if element.source in TakeoffElement.Source.values else "none",
        implausible=bool(getattr(element, "implausible", False)),
        measured_volume=_finite(getattr(element, "measured_volume", None)),
        implausible_area=bool(getattr(element, "implausible_area", False)),
        measured_area=_finite(getattr(element, "measured_area", None)),
    )


def _batches(items: Iterable, size: int):
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
