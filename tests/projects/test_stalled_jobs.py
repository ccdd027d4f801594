"""A job whose worker died: shown as stalled, no endless refresh, and an editor can rerun it."""

from datetime import timedelta

import pytest
from django.utils import timezone

from jobs.models import Job
from projects.models import ModelVersion


@pytest.fixture
def stalled_job(project, editor, synthetic_ifc, upload_file):
    """A succeeded upload turned back into a job 'running' on a worker silent for an hour."""
    upload_file(project, editor, synthetic_ifc(elements=5))
    job = Job.objects.get()
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=job.pk).update(
        state=Job.State.RUNNING, finished_at=None, progress=37, heartbeat_at=an_hour_ago
    )
    ModelVersion.objects.update(state=ModelVersion.State.RUNNING)
    return Job.objects.get(pk=job.pk)


def test_progress_writes_are_heartbeats(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=5))
    job = Job.objects.get()
    assert job.heartbeat_at is not None
    assert job.heartbeat_at >= job.started_at


def test_a_silent_running_job_is_stalled_in_the_api(stalled_job, editor, api_client_for):
    body = api_client_for(editor).get(f"/api/jobs/{stalled_job.pk}").json()
    assert body["state"] == "running"
    assert body["stalled"] is True


def test_a_running_job_with_a_recent_heartbeat_is_not_stalled(stalled_job, editor, api_client_for):
    Job.objects.filter(pk=stalled_job.pk).update(heartbeat_at=timezone.now())
    client = api_client_for(editor)
    assert client.get(f"/api/jobs/{stalled_job.pk}").json()["stalled"] is False
    response = client.post(f"/api/jobs/{stalled_job.pk}/retry")
    assert response.status_code == 409
    assert Job.objects.count() == 1


def test_retry_closes_the_stalled_job_and_runs_a_new_one(
    stalled_job, editor, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(editor).post(f"/api/jobs/{stalled_job.pk}/retry/")

    assert response.status_code == 202
    new = response.json()
    assert new["id"] != str(stalled_job.pk)
    assert new["state"] == "queued"
    assert Job.objects.get(pk=new["id"]).state == Job.State.SUCCEEDED  # tasks run at once here
    old = Job.objects.get(pk=stalled_job.pk)
    assert old.state == Job.State.FAILED
    assert "worker stopped" in old.error
    assert ModelVersion.objects.get().state == ModelVersion.State.READY


def test_a_succeeded_job_cannot_be_retried(
    project, editor, synthetic_ifc, upload_file, api_client_for
):
    upload_file(project, editor, synthetic_ifc(elements=3))
    job = Job.objects.get()
    response = api_client_for(editor).post(f"/api/jobs/{job.pk}/retry")
    assert response.status_code == 409
    assert "detail" in response.json()


def test_project_viewer_may_see_but_not_retry(stalled_job, project_viewer, api_client_for):
    client = api_client_for(project_viewer)
    assert client.get(f"/api/jobs/{stalled_job.pk}").status_code == 200
    assert client.post(f"/api/jobs/{stalled_job.pk}/retry").status_code == 403
    assert Job.objects.count() == 1


def test_job_page_stops_refreshing_and_offers_a_rerun(stalled_job, editor, client):
    client.force_login(editor)
    page = client.get(f"/jobs/{stalled_job.pk}").content.decode()
    assert 'http-equiv="refresh"' not in page
    assert 'id="job-stalled"' in page
    assert 'id="job-retry"' in page

    response = client.post(f"/jobs/{stalled_job.pk}/retry")
    assert response.status_code == 302
    new_job = Job.objects.exclude(pk=stalled_job.pk).get()
    assert response["Location"] == f"/jobs/{new_job.pk}"
