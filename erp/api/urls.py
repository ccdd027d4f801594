"""JSON API of ERPNext links (included from openaec/api_urls.py under /api/)."""

from openaec.routing import api_path

from . import views

_LINK = "projects/<slug>/erpnext"

urlpatterns = [
    api_path(
        "erpnext/projects", views.ErpnextProjectSearchApi.as_view(), name="api-erpnext-search"
    ),
    api_path("erpnext/sites", views.ErpnextSiteListApi.as_view(), name="api-erpnext-sites"),
    api_path(
        "erpnext/sites/<int:site_id>/webhook-secret",
        views.ErpnextSiteWebhookSecretApi.as_view(),
        name="api-erpnext-site-secret",
    ),
    api_path(_LINK, views.ProjectErpnextLinkApi.as_view(), name="api-project-erpnext"),
    api_path(
        f"{_LINK}/create",
        views.ProjectErpnextCreateApi.as_view(),
        name="api-project-erpnext-create",
    ),
    api_path(
        f"{_LINK}/pull", views.ProjectErpnextPullApi.as_view(), name="api-project-erpnext-pull"
    ),
    api_path(
        f"{_LINK}/push", views.ProjectErpnextPushApi.as_view(), name="api-project-erpnext-push"
    ),
    api_path(
        f"{_LINK}/history",
        views.ProjectErpnextHistoryApi.as_view(),
        name="api-project-erpnext-history",
    ),
    api_path(
        "webhooks/erpnext/<site_token>",
        views.ErpnextWebhookApi.as_view(),
        name="api-erpnext-webhook",
    ),
]
