"""JSON API of BIM projects (OpenAEC's /api/projects shapes) and jobs."""

from openaec.routing import api_path

from . import views

_VERSION = "projects/<slug>/models/<version>"

urlpatterns = [
    api_path("projects", views.ProjectListApi.as_view(), name="api-projects"),
    api_path("projects/<slug>", views.ProjectDetailApi.as_view(), name="api-project-detail"),
    api_path(
        "projects/<slug>/members", views.ProjectMemberApi.as_view(), name="api-project-members"
    ),
    api_path(
        "projects/<slug>/models", views.ModelVersionListApi.as_view(), name="api-model-versions"
    ),
    api_path(_VERSION, views.ModelVersionDetailApi.as_view(), name="api-model-version-detail"),
    api_path(f"{_VERSION}/takeoff", views.TakeoffApi.as_view(), name="api-takeoff"),
    api_path(f"{_VERSION}/takeoff.csv", views.TakeoffCsvApi.as_view(), name="api-takeoff-csv"),
    api_path(f"{_VERSION}/takeoff.xlsx", views.TakeoffXlsxApi.as_view(), name="api-takeoff-xlsx"),
    api_path(
        f"{_VERSION}/takeoff/filters", views.TakeoffFiltersApi.as_view(), name="api-takeoff-filters"
    ),
    api_path(f"{_VERSION}/takeoff/diff", views.TakeoffDiffApi.as_view(), name="api-takeoff-diff"),
]
