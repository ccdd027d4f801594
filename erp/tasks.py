"""Background tasks of ERPNext links (django-tasks). Thin: load ids, call a service.

django-tasks has no scheduler: run `manage.py erpnext_pull_status` from cron or a systemd
timer (or with --enqueue, to hand the run to a `db_worker`).
"""

from django_tasks import task

from . import services


@task()
def push_project_status(*, project_id: str) -> dict:
    """Queue entries made before the job core (pushes are "erpnext_status_push" jobs now)."""
    return services.project_status_push_background(project_id=project_id)


@task()
def pull_erpnext_statuses() -> dict:
    """The periodic pull over every link; safe to run again."""
    report = services.erpnext_links_sync_all()
    return {
        "checked": report.checked,
        "updated": report.updated,
        "pushed": report.pushed,
        "unchanged": report.unchanged,
        "failed": [{"project": slug, "error": message} for slug, message in report.failed],
    }
