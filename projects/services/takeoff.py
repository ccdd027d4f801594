"""The takeoff job: queue it, run it, report its progress, store one row per element."""

import logging
import math
import shutil
import tempfile
import time
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from openaec.exceptions import ConflictError

from ..models import Job, ModelVersion, TakeoffElement

logger = logging.getLogger(__name__)

ELEMENT_BATCH_SIZE = 2000
PROGRESS_MIN_INTERVAL = 0.5  # seconds between two progress writes of one job
TAKEOFF_SHARE = 90  # percent of the job spent in the takeoff itself; saving takes the rest


def takeoff_job_enqueue(*, version: ModelVersion, user) -> Job:
    """Queue a takeoff of the version; the task is sent once the transaction commits."""
    from ..tasks import run_takeoff_job

    with transaction.atomic():
        ModelVersion.objects.filter(pk=version.pk).update(
            state=ModelVersion.State.QUEUED, failure_reason=""
        )
        version.state, version.failure_reason = ModelVersion.State.QUEUED, ""
        job = Job.objects.create(
            kind=Job.Kind.TAKEOFF,
            project_id=version.project_id,
            model_version=version,
            created_by=user,
            phase="Waiting for a worker",
        )

        def send() -> None:
            result = run_takeoff_job.enqueue(job_id=str(job.pk))
            Job.objects.filter(pk=job.pk, task_result_id="").update(task_result_id=str(result.id))

        # robust: the upload is committed by now; a queue failure is logged, not a 500.
        transaction.on_commit(send, robust=True)
    return job


class JobNotRetryableError(ConflictError):
    """The job is still running (and its worker alive), or it succeeded."""


def takeoff_job_retry(*, job: Job, user) -> Job:
    """Queue a new takeoff for a failed or stalled job's model version; the old job is closed."""
    if job.model_version is None or not (job.state == Job.State.FAILED or job.is_stalled):
        raise JobNotRetryableError(
            "Only a failed job, or one whose worker stopped answering, can be run again."
        )
    with transaction.atomic():
        if job.is_stalled:
            Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
                state=Job.State.FAILED,
                finished_at=timezone.now(),
                error="The worker stopped while running this job; it was run again.",
            )
        return takeoff_job_enqueue(version=job.model_version, user=user)


class JobProgress:
    """Writes a job's percent and phase: a new phase at once, a higher percent at most every
    PROGRESS_MIN_INTERVAL seconds, so a 20k-element model costs a handful of UPDATEs.

    The percent never goes backwards.
    """

    def __init__(self, job_id, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.job_id = job_id
        self.clock = clock
        self.percent = 0
        self.phase = ""
        self.written_percent = 0
        self.last_write = -math.inf
        self.writes = 0

    def __call__(self, percent: float, phase: str | None = None) -> None:
        self.percent = max(self.percent, min(100, int(percent)))
        phase_changed = phase is not None and phase != self.phase
        if phase_changed:
            self.phase = phase
        now = self.clock()
        due = self.percent > self.written_percent and now - self.last_write >= PROGRESS_MIN_INTERVAL
        if not (phase_changed or due):
            return
        self.written_percent, self.last_write = self.percent, now
        self.writes += 1
        job_progress_write(job_id=self.job_id, percent=self.percent, phase=self.phase)

    def takeoff_callback(self, fraction: float, phase: str = "") -> None:
        """The callable given to take_off(progress=...): its 0..1 maps to 0..TAKEOFF_SHARE %."""
        fraction = 0.0 if not math.isfinite(fraction) else max(0.0, min(1.0, fraction))
        self(fraction * TAKEOFF_SHARE, phase.capitalize() if phase else self.phase)


def job_progress_write(*, job_id, percent: int, phase: str) -> None:
    """One UPDATE of a running job's percent and phase (never lowers the percent)."""
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING, progress__lte=percent).update(
        progress=percent, phase=phase[:255], heartbeat_at=timezone.now()
    )


def takeoff_job_run(*, job_id) -> dict:
    """Run a queued takeoff job: take quantities off the file and store one row per element.

    Idempotent: a finished job is left alone, and a retried one replaces whatever an earlier
    attempt stored. Every failure ends as a readable reason on the job and the model version;
    nothing is raised to the worker.
    """
    job = Job.objects.select_related("model_version").filter(pk=job_id).first()
    if job is None or job.model_version is None:
        logger.warning("Takeoff job %s no longer exists; nothing to do", job_id)
        return {"skipped": "job not found"}
    if job.is_finished:
        return job.result or {"state": job.state}
    version = job.model_version
    now = timezone.now()
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        phase="Opening the model",
        error="",
    )
    ModelVersion.objects.filter(pk=version.pk).update(
        state=ModelVersion.State.RUNNING, failure_reason=""
    )
    progress = JobProgress(job.pk)
    try:
        result = _takeoff_and_store(version=version, job=job, progress=progress)
    except Exception as exc:
        reason = _failure_reason(exc)
        _finish_failed(job=job, version=version, reason=reason)
        return {"state": Job.State.FAILED, "error": reason}
    return result


def _takeoff_and_store(*, version: ModelVersion, job: Job, progress: JobProgress) -> dict:
    from integrations.ifc import take_off

    with _local_copy(version) as path:
        takeoff = take_off(
            path,
            geometry=settings.IFC_TAKEOFF_GEOMETRY,
            threads=settings.IFC_TAKEOFF_THREADS,
            progress=progress.takeoff_callback,
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
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.SUCCEEDED,
            progress=100,
            phase="Done",
            result=result,
            finished_at=timezone.now(),
        )
    return result


def _finish_failed(*, job: Job, version: ModelVersion, reason: str) -> None:
    with transaction.atomic():
        TakeoffElement.objects.filter(model_version=version).delete()
        ModelVersion.objects.filter(pk=version.pk).update(
            state=ModelVersion.State.FAILED,
            failure_reason=reason,
            element_count=0,
            updated_at=timezone.now(),
        )
        Job.objects.filter(pk=job.pk).update(
            state=Job.State.FAILED,
            phase="Failed",
            error=reason,
            result=None,
            finished_at=timezone.now(),
        )


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
