"""Background tasks of the BOM app (django-tasks). Thin: load ids, call a service."""

from django_tasks import task

from . import services


@task()
def run_bom_sync(*, run_id: str) -> dict:
    """Run the BOM sync `run_id`; safe to run again (only a queued run is taken)."""
    return services.bom_sync_run_execute(run_id=run_id)
