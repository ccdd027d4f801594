"""The queued takeoff runs out of the box with the database backend and `manage.py db_worker`."""

import signal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command

from jobs.models import Job
from projects.models import ModelVersion

DATABASE_TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default"]}}


@pytest.fixture
def keep_signal_handlers():
    # db_worker installs its own SIGINT/SIGTERM handlers; give pytest its own back.
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for sig, handler in saved.items():
        signal.signal(sig, handler)


@pytest.mark.django_db(transaction=True)
def test_db_worker_runs_queued_takeoffs_and_survives_a_bad_one(
    settings, editor, synthetic_ifc, api_client_for, keep_signal_handlers
):
    from django_tasks_db.models import DBTaskResult

    from projects import services

    settings.TASKS = DATABASE_TASKS
    project = services.project_create(user=editor, name="Worker test")
    client = api_client_for(editor)
    good = synthetic_ifc(elements=8).read_bytes()
    for name, content in [("cut.ifc", good[:400]), ("good.ifc", good)]:
        response = client.post(
            f"/api/projects/{project.slug}/models",
            {"file": SimpleUploadedFile(name, content)},
            format="multipart",
        )
        assert response.status_code == 201
    # Committed for real (transaction=True), so the tasks are in the queue, not yet run.
    assert DBTaskResult.objects.count() == 2
    assert set(ModelVersion.objects.values_list("state", flat=True)) == {"queued"}

    call_command(
        "db_worker", "--batch", "--no-startup-delay", "--no-reload", "--interval", "0", verbosity=0
    )

    states = dict(ModelVersion.objects.values_list("number", "state"))
    assert states == {1: "failed", 2: "ready"}
    assert set(Job.objects.values_list("state", flat=True)) == {"failed", "succeeded"}
    assert set(DBTaskResult.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}
    assert all(job.task_result_id for job in Job.objects.all())
