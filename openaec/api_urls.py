"""Everything under /api/."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView

from openaec.api import not_found
from openaec.routing import api_path

urlpatterns = [
    api_path("schema", SpectacularAPIView.as_view(), name="schema"),
    api_path("docs", SpectacularSwaggerView.as_view(url_name="schema"), name="swagger-ui"),
    path("auth/", include("openaec.accounts.api.urls")),
    path("", include("projects.api.urls")),
    path("", include("erp.api.urls")),
    path("", include("bom.api.urls")),
    path("", include("orders.api.urls")),
    path("", include("ifcexport.api.urls")),
    path("", include("costs.api.urls")),
    path("", include("jobs.api.urls")),
    # Last: whatever the routes above do not match.
    re_path(r"", not_found),
]
