"""The job core as takeoffs use it: one retry at a time, queue position, the project's jobs,
and no services module importing a tasks module."""

import ast
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.db import connection
from django.utils import timezone

from jobs.models import Job
from projects.models import ModelVersion


@pytest.fixture
def failed_job(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=3))
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(state=Job.State.FAILED, error="boom")
    return job


def test_a_second_retry_of_the_same_job_is_refused(failed_job, editor, api_client_for):
    client = api_client_for(editor)

    first = client.post(f"/api/jobs/{failed_job.pk}/retry")
    second = client.post(f"/api/jobs/{failed_job.pk}/retry")

    assert first.status_code == 202
    assert second.status_code == 409
    assert first.json()["id"] in second.json()["detail"]
    assert Job.objects.count() == 2
    assert Job.objects.get(pk=failed_job.pk).retried_as_id is not None


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql", reason="parallel writers need PostgreSQL (DATABASE_URL)"
)
def test_six_parallel_retries_queue_one_takeoff(failed_job, editor, api_client_for, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    answers, start = [], threading.Barrier(6)

    def retry() -> None:
        client = api_client_for(editor)
        start.wait()
        try:
            answers.append(client.post(f"/api/jobs/{failed_job.pk}/retry").status_code)
        finally:
            connection.close()

    threads = [threading.Thread(target=retry) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert sorted(answers) == [202, 409, 409, 409, 409, 409]
    assert Job.objects.filter(model_version=failed_job.model_version).count() == 2


def test_a_waiting_job_shows_its_place_in_the_queue(
    project, editor, synthetic_ifc, upload_file, api_client_for, client, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    upload_file(project, editor, synthetic_ifc(elements=2))
    upload_file(project, editor, synthetic_ifc(elements=3))
    first, second = Job.objects.order_by("queued_at")

    api = api_client_for(editor)
    assert api.get(f"/api/jobs/{first.pk}").json()["queue_position"] == 1
    assert api.get(f"/api/jobs/{second.pk}").json()["queue_position"] == 2
    client.force_login(editor)
    page = client.get(f"/jobs/{second.pk}").content.decode()
    assert "number 2 in the queue" in page and 'http-equiv="refresh"' in page


def test_a_finished_job_has_no_queue_position(failed_job, editor, api_client_for):
    assert api_client_for(editor).get(f"/api/jobs/{failed_job.pk}").json()["queue_position"] is None


def test_project_jobs_list(failed_job, project, editor, outsider, api_client_for):
    listed = api_client_for(editor).get(f"/api/projects/{project.slug}/jobs")
    refused = api_client_for(outsider).get(f"/api/projects/{project.slug}/jobs/")

    assert listed.status_code == 200
    assert [job["id"] for job in listed.json()] == [str(failed_job.pk)]
    assert listed.json()[0]["kind"] == "takeoff"
    assert refused.status_code == 404  # the project rule: a non-member learns nothing


def test_project_jobs_page_lists_every_kind_with_state_and_links(
    failed_job, project, editor, outsider, client
):
    from bom.models import BomSyncRun

    BomSyncRun.objects.create(project=project, created_by=editor, created_by_name="ed")
    client.force_login(editor)

    page = client.get(f"/projects/{project.slug}/jobs")
    client.force_login(outsider)
    refused = client.get(f"/projects/{project.slug}/jobs")

    assert page.status_code == 200
    html = page.content.decode()
    assert f"/jobs/{failed_job.pk}" in html and "boom" in html
    assert html.count("<tr>") == 3  # header, the takeoff, the BOM sync
    assert 'http-equiv="refresh"' in html  # the queued BOM sync is still waiting
    assert f'href="/projects/{project.slug}/jobs" aria-current="page"' in html
    assert refused.status_code == 404


def test_the_runner_fails_a_stalled_takeoff_when_it_next_runs(
    project, editor, synthetic_ifc, upload_file
):
    upload_file(project, editor, synthetic_ifc(elements=2))
    stalled = Job.objects.get()
    Job.objects.filter(pk=stalled.pk).update(
        state=Job.State.RUNNING, heartbeat_at=timezone.now() - timedelta(hours=1)
    )

    upload_file(project, editor, synthetic_ifc(elements=3))

    stalled.refresh_from_db()
    assert stalled.state == Job.State.FAILED and "worker stopped" in stalled.error
    assert ModelVersion.objects.get(number=1).state == ModelVersion.State.FAILED


ROOT = Path(__file__).resolve().parents[2]


APPS = ("projects", "bom", "erp", "jobs", "orders", "costs", "ifcexport", "preflight")


def _modules() -> dict[str, Path]:
    """Every non-migration module of the repository's packages, by dotted name."""
    modules = {}
    for path in ROOT.glob("*/**/*.py"):
        parts = path.relative_to(ROOT).with_suffix("").parts
        if parts[0] in {"tests", "benchmarks", ".venv"} or "migrations" in parts:
            continue
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        modules[name] = path
    return modules


def _imports(name: str, path: Path, modules: dict[str, Path]) -> set[str]:
    """The repository modules `name` imports (absolute and relative, anywhere in the file)."""
    found = set()
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join([*package[: len(package) - node.level + 1], base]).strip(".")
            subs = [f"{base}.{alias.name}" for alias in node.names]
            targets = [base, *(sub for sub in subs if sub in modules)]
        else:
            continue
        for target in targets:
            parts = target.split(".")
            while parts and ".".join(parts) not in modules:
                parts.pop()
            if parts:
                found.add(".".join(parts))
    return found - {name}


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen, todo = set(), [start]
    while todo:
        for target in graph[todo.pop()] - seen:
            seen.add(target)
            todo.append(target)
    return seen


@pytest.mark.parametrize("app", APPS)
def test_no_import_cycle_runs_between_services_and_tasks(app):
    """No app's services import its own tasks, and no tasks module a service reaches (the job
    core's queue included) imports that service back: kinds register a handler with the job core
    instead, so no services <-> tasks cycle can form, not even through other modules."""
    modules = _modules()
    graph = {name: _imports(name, path, modules) for name, path in modules.items()}
    services = [n for n in modules if n.split(".")[:2] == [app, "services"]]
    assert services, f"{app} has no services module"
    for start in services:
        reached = _reachable(graph, start)
        if app != "jobs":  # the job core enqueues its one task; feature apps go through it
            assert f"{app}.tasks" not in reached, start
        for tasks in (n for n in reached if n.rsplit(".", 1)[-1] == "tasks"):
            assert start not in _reachable(graph, tasks), (start, tasks)
