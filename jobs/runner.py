"""The one runner: claims a queued job, hands it to its kind's handler with a JobContext
(progress, heartbeat, checkpoint, documents, request counts), and ends it as succeeded or failed.

Stalled jobs (a worker that died) are failed by the same rule for every kind.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from typing import Any, Protocol

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q
from django.db.models.functions import Greatest
from django.utils import timezone

from openaec.exceptions import ApplicationError

from . import registry
from .models import Job

logger = logging.getLogger(__name__)

PROGRESS_MIN_INTERVAL = 0.5  # seconds between two progress writes of one job
ERROR_MAX_LENGTH = 4000


class JobFailed(Exception):
    """Raised by a handler: the job ends failed with this sentence (and per-line details)."""

    def __init__(self, message: str, details: list | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.details = details or []


class RequestCounter(Protocol):
    """Anything counting the requests a job made (an ERPNext gateway)."""

    http_requests: int
    reads: int
    writes: int


COUNTS = ("http_requests", "reads", "writes")


class JobProgress:
    """A job's percent and phase: a new phase is written at once, a higher percent at most every
    PROGRESS_MIN_INTERVAL seconds, so a 20k-element model costs a handful of UPDATEs.

    The percent never goes backwards.
    """

    def __init__(
        self,
        job_id,
        *,
        clock: Callable[[], float] = time.monotonic,
        write: Callable[..., None] | None = None,
    ) -> None:
        self.job_id = job_id
        self.clock = clock
        self.write = write
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
        write = self.write or job_progress_write
        write(job_id=self.job_id, percent=self.percent, phase=self.phase)


def job_progress_write(*, job_id, percent: int, phase: str, **fields: Any) -> None:
    """One UPDATE of a running job: percent (never lowered), phase, heartbeat, and `fields`."""
    Job.objects.filter(pk=job_id, state=Job.State.RUNNING).update(
        progress=Greatest(F("progress"), percent),
        phase=phase[:255],
        heartbeat_at=timezone.now(),
        **fields,
    )


class JobContext:
    """What a handler gets: the job, and the one place its progress and checkpoint are written."""

    def __init__(self, job: Job, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.job = job
        self.documents: list[dict] = list(job.documents)
        self.checkpoint_data: dict = dict(job.checkpoint)
        self.base_counts = {name: getattr(job, name) for name in COUNTS}
        self.counter: RequestCounter | None = None
        self.success_phase = "Done"
        self.progress = JobProgress(job.pk, clock=clock, write=self._write)

    def count_requests(self, counter: RequestCounter) -> None:
        """Add what `counter` counts to the job's request figures (from now on)."""
        self.counter = counter

    def document(self, doctype: str, name: str, action: str) -> None:
        """Note a document the job wrote (stored with the next write)."""
        self.documents.append({"doctype": doctype, "name": name, "action": action})

    def checkpoint(self, data: dict) -> None:
        """Merge `data` into the checkpoint and store it now: a resumed attempt starts from it."""
        self.checkpoint_data = {**self.checkpoint_data, **data}
        self._write(job_id=self.job.pk, percent=self.progress.percent, phase=self.progress.phase)

    def heartbeat(self) -> None:
        """Tell the core the worker is alive (a long step without progress)."""
        self._write(job_id=self.job.pk, percent=self.progress.percent, phase=self.progress.phase)

    def counts(self) -> dict[str, int]:
        """The job's request figures: earlier attempts plus this one."""
        counter = self.counter
        return {
            name: self.base_counts[name] + (getattr(counter, name) if counter else 0)
            for name in COUNTS
        }

    def fields(self) -> dict[str, Any]:
        """Everything the context holds, as columns of the job."""
        return {"documents": self.documents, "checkpoint": self.checkpoint_data, **self.counts()}

    def _write(self, *, job_id, percent: int, phase: str) -> None:
        job_progress_write(job_id=job_id, percent=percent, phase=phase, **self.fields())


def run_job(job_id) -> dict[str, Any]:
    """Claim the job and run its handler. Idempotent: a finished job is left alone, and a job
    another worker holds is not taken. Every failure ends on the job, never in the worker."""
    jobs_fail_stalled()
    job = Job.objects.filter(pk=job_id).first()
    if job is None:
        logger.warning("Job %s no longer exists; nothing to do", job_id)
        return {"skipped": "job not found"}
    if job.is_finished:
        return job.result or {"state": job.state}
    kind = registry.get(job.kind)
    if kind is None:
        job_fail(job=job, message=f"No handler is registered for jobs of kind {job.kind!r}.")
        return {"state": Job.State.FAILED}
    claimable = [Job.State.QUEUED, *([Job.State.RUNNING] if kind.reclaim_running else [])]
    now = timezone.now()
    claimed = Job.objects.filter(pk=job.pk, state__in=claimable).update(
        state=Job.State.RUNNING,
        started_at=now,
        heartbeat_at=now,
        attempts=F("attempts") + 1,
        progress=0,
        phase="Starting",
        error="",
        error_details=[],
    )
    if not claimed:
        logger.info("Job %s is not queued; nothing to do", job_id)
        return {"skipped": "not queued"}
    job.refresh_from_db()
    context = JobContext(job)
    try:
        result = kind.run(context)
    except JobFailed as exc:
        job_fail(job=job, message=exc.message, details=exc.details, context=context)
        return {"state": Job.State.FAILED, "error": exc.message}
    except ApplicationError as exc:
        job_fail(job=job, message=exc.message, context=context)
        return {"state": Job.State.FAILED, "error": exc.message}
    except Exception as exc:
        logger.exception("Job %s (%s) failed unexpectedly", job.pk, job.kind)
        message = f"Unexpected error: {type(exc).__name__}. The error is in the server log."
        job_fail(job=job, message=message, context=context)
        return {"state": Job.State.FAILED, "error": message}
    Job.objects.filter(pk=job.pk, state=Job.State.RUNNING).update(
        state=Job.State.SUCCEEDED,
        progress=100,
        phase=context.success_phase[:255],
        result=result,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
        **context.fields(),
    )
    return result


def job_fail(
    *,
    job: Job,
    message: str,
    details: list | None = None,
    context: JobContext | None = None,
    guard: dict | None = None,
) -> bool:
    """End a job as failed with a sentence a user can act on; the kind undoes what it must.

    `guard` adds conditions (the job is still as it was read); False when it no longer is.
    """
    extra = context.fields() if context else {}
    with transaction.atomic():
        failed = Job.objects.filter(pk=job.pk, **(guard or {})).update(
            state=Job.State.FAILED,
            phase="Failed",
            error=message[:ERROR_MAX_LENGTH],
            error_details=details or [],
            result=None,
            finished_at=timezone.now(),
            **extra,
        )
        kind = registry.get(job.kind)
        if failed and kind and kind.on_failed:
            kind.on_failed(job, message)
    return bool(failed)


def jobs_fail_stalled(*, queryset=None) -> int:
    """Fail the jobs whose worker died (the one rule, for every kind); returns how many.

    A locked job (one BOM sync per project) that waits longer than JOB_STALL_SECONDS fails too,
    so a lost queue entry cannot block its project forever.
    """
    jobs = Job.objects.all() if queryset is None else queryset
    cutoff = timezone.now() - timezone.timedelta(seconds=settings.JOB_STALL_SECONDS)
    lost = jobs.filter(state=Job.State.QUEUED, queued_at__lt=cutoff).exclude(lock_key="")
    failed = 0
    for job in [*jobs.stalled(), *lost]:
        kind = registry.get(job.kind)
        message = kind.stalled_message if kind else "The worker stopped while running this job."
        # Conditional: a worker that comes back to life meanwhile keeps its job.
        guard = {"state": job.state, "heartbeat_at": job.heartbeat_at}
        failed += job_fail(job=job, message=message, guard=guard)
    return failed


def queue_position(job: Job) -> int | None:
    """1 for the next job a worker takes; None when the job is not waiting."""
    if job.state != Job.State.QUEUED:
        return None
    ahead = Job.objects.filter(state=Job.State.QUEUED).filter(
        Q(queued_at__lt=job.queued_at) | Q(queued_at=job.queued_at, pk__lt=job.pk)
    )
    return ahead.count() + 1
