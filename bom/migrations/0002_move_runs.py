"""BOM sync runs move to the job core: each run becomes a jobs.Job of kind "bom_sync" (same id,
so old URLs keep answering); the table bom_sync_runs goes; BomSyncRun stays as a proxy."""

from django.db import migrations

PARAMS = ("options", "erpnext_url", "erpnext_project", "assembly_item", "plan", "fingerprint")
RESULT = ("outcome", "bom_name", "bom_modified", "bom_docstatus")
ACTIVE = ("queued", "running")


def move_runs(apps, schema_editor):
    Run = apps.get_model("bom", "BomSyncRun")
    Job = apps.get_model("jobs", "Job")
    for run in Run.objects.all().iterator():
        params = {name: getattr(run, name) for name in PARAMS}
        params["model_version"] = run.model_version_number
        Job.objects.create(
            id=run.id,
            kind="bom_sync",
            project_id=run.project_id,
            model_version_id=run.model_version_id,
            created_by_id=run.user_id,
            created_by_name=run.username,
            retried_by_id=run.resumed_by_id,
            lock_key=f"bom_sync:{run.project_id}" if run.state in ACTIVE else "",
            state=run.state,
            progress=run.progress,
            phase=run.phase,
            params=params,
            checkpoint=run.checkpoint,
            result={name: getattr(run, name) for name in RESULT}
            if run.state == "succeeded" or run.bom_name
            else None,
            documents=run.documents,
            http_requests=run.http_requests,
            reads=run.reads,
            writes=run.writes,
            error=run.error,
            error_details=run.line_errors,
            attempts=run.attempts,
            task_result_id=run.task_result_id,
            queued_at=run.created_at,
            started_at=run.started_at,
            finished_at=run.finished_at,
        )
    # auto_now fields cannot be set on create: keep the runs' own times.
    for run in Run.objects.all().iterator():
        Job.objects.filter(pk=run.id).update(created_at=run.created_at, updated_at=run.updated_at)


class Migration(migrations.Migration):
    dependencies = [
        ("bom", "0001_initial"),
        ("jobs", "0002_job_core_fields"),
    ]

    operations = [
        migrations.RunPython(move_runs, migrations.RunPython.noop),
        migrations.DeleteModel(name="BomSyncRun"),
        migrations.CreateModel(
            name="BomSyncRun",
            fields=[],
            options={"proxy": True, "indexes": [], "constraints": []},
            bases=("jobs.job",),
        ),
    ]
