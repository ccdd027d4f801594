"""Writes of the job core: queue a job, queue it again, retry it. Kinds call these; the
runner (jobs.tasks) is reached only through the queue, so no app imports its own tasks."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from openaec.exceptions import ConflictError

from . import registry
from .models import Job
from .runner import jobs_fail_stalled
from .tasks import run_job

logger = logging.getLogger(__name__)


class JobLockedError(ConflictError):
    """Another job with the same lock key is queued or running."""


class JobNotRetryableError(ConflictError):
    """The job is still running (and its worker alive), it succeeded, or it was retried."""


def job_enqueue(
    *,
    kind: str,
    project,
    user,
    model_version=None,
    params: dict | None = None,
    checkpoint: dict | None = None,
    lock_key: str = "",
    phase: str = "Waiting for a worker",
) -> Job:
    """Record a job and queue it once the transaction commits.

    With a `lock_key` (one active job per key), a job holding the key whose worker died fails
    first, so a lost worker cannot block the key; a live one makes this a JobLockedError.
    """
    _release_stalled_lock(lock_key)
    try:
        with transaction.atomic():
            job = Job.objects.create(
                kind=kind,
                project=project,
                model_version=model_version,
                created_by=user,
                created_by_name=user.get_username() if user else "",
                params=params or {},
                checkpoint=checkpoint or {},
                lock_key=lock_key,
                phase=phase,
            )
    except IntegrityError:
        raise JobLockedError("A job of this kind is already queued or running.") from None
    _send_on_commit(job)
    return job


def _release_stalled_lock(lock_key: str) -> None:
    if lock_key:
        jobs_fail_stalled(queryset=Job.objects.filter(lock_key=lock_key))


def job_requeue(*, job: Job, user, phase: str = "Queued again", **changes: Any) -> Job:
    """Queue a failed job again in place (it resumes from its checkpoint). Only one of several
    simultaneous calls wins: the others get 409."""
    _release_stalled_lock(job.lock_key)
    try:
        with transaction.atomic():
            updated = Job.objects.filter(pk=job.pk, state=Job.State.FAILED).update(
                state=Job.State.QUEUED,
                retried_by=user,
                error="",
                error_details=[],
                progress=0,
                phase=phase,
                finished_at=None,
                queued_at=timezone.now(),
                **changes,
            )
    except IntegrityError:
        raise JobLockedError("A job of this kind is already queued or running.") from None
    if not updated:
        raise JobNotRetryableError("The job changed meanwhile; reload it.")
    _send_on_commit(job)
    job.refresh_from_db()
    return job


def job_rerun(*, job: Job, user, start: Callable[[], Job], stalled_message: str) -> Job:
    """Run a failed (or stalled) job again as a new job made by `start`; the old one is closed
    and points to the new one. One retry at a time: a conditional UPDATE picks one winner."""
    with transaction.atomic():
        stalled = Job.objects.stalled().filter(pk=job.pk, retried_as__isnull=True)
        stalled.update(state=Job.State.FAILED, finished_at=timezone.now(), error=stalled_message)
        new = start()
        claimed = Job.objects.filter(
            Q(pk=job.pk, state=Job.State.FAILED, retried_as__isnull=True)
        ).update(retried_as=new, retried_by=user)
        if not claimed:  # another retry won; raising rolls this one's new job back
            raise JobNotRetryableError(_not_retryable(job))
    return new


def job_retry(*, job: Job, user) -> Job:
    """Run the job again as its kind does it (a new takeoff, a resumed BOM sync)."""
    kind = registry.get(job.kind)
    if kind is None or kind.retry is None:
        raise JobNotRetryableError("Jobs of this kind cannot be run again.")
    return kind.retry(job=job, user=user)


def job_may_retry(*, job: Job, user) -> bool:
    """Whether the page offers `user` to run the job again."""
    kind = registry.get(job.kind)
    retryable = job.retried_as_id is None and (job.state == Job.State.FAILED or job.is_stalled)
    if not retryable or kind is None or kind.retry is None:
        return False
    return kind.may_retry is None or kind.may_retry(job=job, user=user)


def _not_retryable(job: Job) -> str:
    job.refresh_from_db()
    if job.retried_as_id:
        return f"This job was already run again as job {job.retried_as_id}."
    return "Only a failed job, or one whose worker stopped answering, can be run again."


def _send_on_commit(job: Job) -> None:
    job_id = str(job.pk)

    def send() -> None:
        result = run_job.enqueue(job_id=job_id)
        Job.objects.filter(pk=job_id).update(task_result_id=str(result.id))

    # robust: the job is committed by now; a queue failure is logged, not a 500.
    transaction.on_commit(send, robust=True)
