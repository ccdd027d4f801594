"""JSON API of the IFC cost export."""

from openaec.routing import api_path

from . import views

_EXPORT = "projects/<slug>/models/<version>/cost-export"

urlpatterns = [
    api_path(_EXPORT, views.CostExportStartApi.as_view(), name="api-cost-export"),
    api_path(
        f"{_EXPORT}/<job_id>", views.CostExportDetailApi.as_view(), name="api-cost-export-job"
    ),
    api_path(
        f"{_EXPORT}/<job_id>/download",
        views.CostExportDownloadApi.as_view(),
        name="api-cost-export-download",
    ),
]
