"""JSON API of the cost dashboard."""

from openaec.routing import api_path

from . import views

urlpatterns = [
    api_path("projects/<slug>/costs.csv", views.CostsCsvApi.as_view(), name="api-costs-csv"),
    api_path("projects/<slug>/costs.xlsx", views.CostsXlsxApi.as_view(), name="api-costs-xlsx"),
    api_path("projects/<slug>/costs", views.CostsApi.as_view(), name="api-costs"),
    api_path(
        "projects/<slug>/costs/refresh", views.CostsRefreshApi.as_view(), name="api-costs-refresh"
    ),
]
