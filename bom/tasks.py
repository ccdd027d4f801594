"""Queue entries made before the job core named this task; it hands them to the one runner."""

from django_tasks import task

from jobs.runner import run_job


@task()
def run_bom_sync(*, run_id: str) -> dict:
    """Run the BOM sync `run_id` (now a job); safe to run again."""
    return run_job(run_id)
