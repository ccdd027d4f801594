"""A lock key (one active job per key) is never held by a dead worker: the job core fails a
stalled holder before it enqueues or requeues under the same key, for every kind."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from jobs.services import JobLockedError, job_enqueue, job_requeue

KEY = "demo:1"


def running(project, user, *, seconds_since_heartbeat: int) -> Job:
    beat = timezone.now() - timedelta(seconds=seconds_since_heartbeat)
    return Job.objects.create(
        kind="bom_sync",
        project=project,
        created_by=user,
        state=Job.State.RUNNING,
        lock_key=KEY,
        started_at=beat,
        heartbeat_at=beat,
    )


def test_a_stalled_holder_fails_and_the_new_job_is_queued(
    project, editor, settings, django_capture_on_commit_callbacks
):
    settings.JOB_STALL_SECONDS = 60
    dead = running(project, editor, seconds_since_heartbeat=600)

    job = job_enqueue(kind="bom_sync", project=project, user=editor, lock_key=KEY)

    dead.refresh_from_db()
    assert dead.state == Job.State.FAILED
    assert job.state == Job.State.QUEUED and job.lock_key == KEY


def test_a_live_holder_keeps_the_lock(project, editor, settings):
    settings.JOB_STALL_SECONDS = 60
    alive = running(project, editor, seconds_since_heartbeat=5)

    with pytest.raises(JobLockedError):
        job_enqueue(kind="bom_sync", project=project, user=editor, lock_key=KEY)

    alive.refresh_from_db()
    assert alive.state == Job.State.RUNNING


def test_a_requeue_releases_a_stalled_holder_too(project, editor, settings):
    settings.JOB_STALL_SECONDS = 60
    failed = Job.objects.create(
        kind="bom_sync", project=project, created_by=editor, state=Job.State.FAILED, lock_key=KEY
    )
    dead = running(project, editor, seconds_since_heartbeat=600)

    job = job_requeue(job=failed, user=editor)

    dead.refresh_from_db()
    assert dead.state == Job.State.FAILED
    assert job.state == Job.State.QUEUED
