"""Background tasks of projects (django-tasks). Thin: load ids, call a service."""

from django_tasks import task

from . import services


@task()
def run_takeoff_job(*, job_id: str) -> dict:
    """Run the takeoff job `job_id`; safe to run again (the service is idempotent)."""
    return services.takeoff_job_run(job_id=job_id)
