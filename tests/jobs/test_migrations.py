"""Existing takeoff jobs and BOM sync runs move to the job core with their ids and facts."""

import uuid

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

BEFORE = [("projects", "0002_job_heartbeat"), ("bom", "0001_initial"), ("jobs", None)]
AFTER = [("projects", "0003_move_jobs"), ("bom", "0002_move_runs")]


def _migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state([t for t in targets if t[1]]).apps


@pytest.fixture
def back_to_latest():
    yield
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())


@pytest.mark.django_db(transaction=True)
def test_takeoff_jobs_and_bom_runs_move_to_the_job_core(back_to_latest):
    old = _migrate(BEFORE)
    user = old.get_model("accounts", "User").objects.create(username="ann", role="editor")
    project = old.get_model("projects", "Project").objects.create(name="P", slug="p", owner=user)
    takeoff = old.get_model("projects", "Job").objects.create(
        kind="takeoff", project=project, created_by=user, state="succeeded", progress=100
    )
    run_id = uuid.uuid4()
    old.get_model("bom", "BomSyncRun").objects.create(
        id=run_id,
        project=project,
        model_version_number=3,
        user=user,
        username="ann",
        state="succeeded",
        outcome="created",
        erpnext_url="https://erp.example",
        assembly_item="P-ASSEMBLY",
        bom_name="BOM-P-001",
        documents=[{"doctype": "BOM", "name": "BOM-P-001", "action": "created"}],
        http_requests=4,
        finished_at=timezone.now(),
    )

    new = _migrate(AFTER)
    Job = new.get_model("jobs", "Job")

    moved = Job.objects.get(pk=takeoff.pk)
    assert (moved.kind, moved.state, moved.created_by_name) == ("takeoff", "succeeded", "ann")
    run = Job.objects.get(pk=run_id)
    assert run.kind == "bom_sync" and run.created_by_name == "ann"
    assert run.params["assembly_item"] == "P-ASSEMBLY" and run.params["model_version"] == 3
    assert run.result["bom_name"] == "BOM-P-001" and run.http_requests == 4
    assert "bom_sync_runs" not in connection.introspection.table_names()
