"""Queue entries made before the job core named this task; it hands them to the one runner."""

from django_tasks import task

from jobs.runner import run_job


@task()
def run_takeoff_job(*, job_id: str) -> dict:
    """Run the takeoff job `job_id`; safe to run again."""
    return run_job(job_id)
