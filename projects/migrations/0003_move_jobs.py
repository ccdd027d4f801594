"""The takeoff jobs move to the job core (jobs.Job keeps the table "jobs" and its rows)."""

from django.db import migrations


def fill_moved_jobs(apps, schema_editor):
    Job = apps.get_model("jobs", "Job")
    for job in Job.objects.select_related("created_by").filter(kind="takeoff"):
        job.queued_at = job.created_at
        job.created_by_name = job.created_by.username if job.created_by else ""
        job.save(update_fields=["queued_at", "created_by_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("projects", "0002_job_heartbeat"),
        ("jobs", "0002_job_core_fields"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="Job")],
            database_operations=[],
        ),
        migrations.RunPython(fill_moved_jobs, migrations.RunPython.noop),
    ]
