"""URL configuration: the JSON API under /api/, the HTML pages, the admin."""

from django.contrib import admin
from django.urls import include, path

from openaec.views import favicon_view

urlpatterns = [
    path("favicon.ico", favicon_view),
    path("admin/", admin.site.urls),
    path("api/", include("openaec.api_urls")),
    path("", include("openaec.accounts.urls")),
    path("", include("projects.urls")),
    path("", include("erp.urls")),
    path("", include("bom.urls")),
    path("", include("orders.urls")),
    path("", include("ifcexport.urls")),
    path("", include("costs.urls")),
    path("", include("jobs.urls")),
    path("", include("preflight.urls")),
]
