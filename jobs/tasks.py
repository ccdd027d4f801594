"""The one background task (django-tasks): run a job by id. Thin: the runner does the rest."""

from django_tasks import task

from .runner import run_job as run


@task()
def run_job(*, job_id: str) -> dict:
    """Run the job `job_id`; safe to run again (the runner claims it once)."""
    return run(job_id)
