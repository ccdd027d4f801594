from openaec.routing import api_path

from . import views

urlpatterns = [
    api_path("register", views.RegisterApi.as_view(), name="api-register"),
    api_path("login", views.LoginApi.as_view(), name="api-login"),
    api_path("token", views.TokenPairApi.as_view(), name="api-token"),
    api_path("token/refresh", views.TokenRefreshApi.as_view(), name="api-token-refresh"),
    api_path("me", views.MeApi.as_view(), name="api-me"),
    api_path("tokens", views.ApiTokenListApi.as_view(), name="api-tokens"),
    api_path("tokens/<uuid:token_id>", views.ApiTokenDetailApi.as_view(), name="api-token-detail"),
    api_path("settings", views.IntegrationSettingsApi.as_view(), name="api-settings"),
    api_path(
        "settings/erpnext/test",
        views.ErpnextConnectionTestApi.as_view(),
        name="api-settings-erpnext-test",
    ),
    api_path(
        "settings/nextcloud/test",
        views.NextcloudConnectionTestApi.as_view(),
        name="api-settings-nextcloud-test",
    ),
]
