"""BOM sync runs are jobs of the one core: /api/jobs/{id}, the one job page, the stall rule."""

from datetime import timedelta

from django.test import Client
from django.utils import timezone

from bom.models import BomSyncRun
from jobs.models import Job
from tests.factories import PASSWORD


def test_a_run_answers_at_api_jobs_and_at_its_old_url(
    erp_editor, project, version, rules, stock, sync, api_client_for
):
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    client = api_client_for(erp_editor)

    job = client.get(f"/api/jobs/{run.pk}").json()
    old = client.get(f"/api/projects/{project.slug}/bom/runs/{run.pk}").json()
    listed = client.get(f"/api/projects/{project.slug}/jobs", {"kind": "bom_sync"}).json()

    assert job["kind"] == "bom_sync" and job["state"] == "succeeded" == old["state"]
    assert job["result"]["bom_name"] == old["bom"] == run.bom_name != ""
    assert job["documents"] == old["documents"] and job["http_requests"] == old["http_requests"]
    assert [j["id"] for j in listed] == [str(run.pk)]


def test_the_old_run_page_and_the_job_page_are_one_page(
    erp_editor, project, version, rules, stock, sync
):
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    client = Client()
    assert client.login(username=erp_editor.username, password=PASSWORD)

    old = client.get(f"/projects/{project.slug}/bom/runs/{run.pk}").content.decode()
    new = client.get(f"/jobs/{run.pk}").content.decode()

    assert 'id="job"' in old and 'id="job"' in new
    assert run.bom_name in old and run.bom_name in new


def test_a_stalled_run_is_shown_stalled_and_can_be_resumed(
    erp_editor,
    project,
    version,
    rules,
    stock,
    sync,
    api_client_for,
    django_capture_on_commit_callbacks,
):
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    an_hour_ago = timezone.now() - timedelta(hours=1)
    Job.objects.filter(pk=run.pk).update(
        state="running",
        finished_at=None,
        heartbeat_at=an_hour_ago,
        lock_key=f"bom_sync:{project.pk}",
    )
    client = api_client_for(erp_editor)

    assert client.get(f"/api/jobs/{run.pk}").json()["stalled"] is True
    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"/api/jobs/{run.pk}/retry")

    assert resumed.status_code == 202 and resumed.json()["id"] == str(run.pk)
    run = BomSyncRun.objects.get(pk=run.pk)
    assert run.state == "succeeded" and run.attempts == 2
    assert "Resume it" in run.checkpoint["history"][-1]["error"]


def test_a_second_resume_of_the_same_run_is_refused(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for, settings
):
    erp.inject("/api/resource/BOM", status=503)
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    assert run.state == "failed"
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    client = api_client_for(erp_editor)

    first = client.post(f"/api/projects/{project.slug}/bom/runs/{run.pk}/resume")
    second = client.post(f"/api/jobs/{run.pk}/retry")

    assert first.status_code == 202 and second.status_code == 409
    assert Job.objects.get(pk=run.pk).state == "queued"
