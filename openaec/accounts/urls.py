from django.urls import path

from . import views

urlpatterns = [
    path("", views.home_view, name="home"),
    path("login", views.LoginView.as_view(), name="login"),
    path("logout", views.LogoutView.as_view(), name="logout"),
    path("register", views.register_view, name="register"),
    path("settings", views.settings_view, name="settings"),
    path(
        "settings/erpnext/test",
        views.connection_test_view,
        {"system": "erpnext"},
        name="settings-erpnext-test",
    ),
    path(
        "settings/nextcloud/test",
        views.connection_test_view,
        {"system": "nextcloud"},
        name="settings-nextcloud-test",
    ),
    path("tokens", views.tokens_view, name="tokens"),
    path("tokens/<uuid:token_id>/revoke", views.token_revoke_view, name="token-revoke"),
]
