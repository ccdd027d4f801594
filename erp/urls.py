"""HTML pages of ERPNext links."""

from django.urls import path

from . import views

_LINK = "projects/<str:slug>/erpnext"

urlpatterns = [
    path(_LINK, views.project_erpnext_view, name="project-erpnext"),
    *[
        path(
            f"{_LINK}/{action}",
            views.project_erpnext_action_view,
            {"action": action},
            name=f"project-erpnext-{action}",
        )
        for action in ("link", "create", "unlink", "pull", "push")
    ],
    path("erpnext/sites", views.erpnext_sites_view, name="erpnext-sites"),
    path(
        "erpnext/sites/<int:site_id>/webhook-secret",
        views.erpnext_site_secret_view,
        name="erpnext-site-secret",
    ),
]
