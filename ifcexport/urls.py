"""HTML pages of the IFC cost export."""

from django.urls import path

from . import views

urlpatterns = [
    path(
        "projects/<str:slug>/models/<int:version>/cost-export",
        views.cost_export_start_view,
        name="cost-export",
    ),
    path(
        "projects/<str:slug>/cost-exports/<str:job_id>/download",
        views.cost_export_download_view,
        name="cost-export-download",
    ),
]
