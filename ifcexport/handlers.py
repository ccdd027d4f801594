"""The job kind of the IFC cost export, registered with the job core when the app is ready."""

from jobs import registry

from . import services


def register_kinds() -> None:
    """Exporting writes only a new file, so a retry simply runs a new export."""
    registry.register(
        services.KIND,
        services.cost_export_handle,
        label="IFC export with costs",
        retry=services.cost_export_retry,
        may_retry=services.cost_export_may_start_again,
        retry_label="Export again",
        reclaim_running=True,
        template="ifcexport/_export_job.html",
    )
