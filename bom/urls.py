"""HTML pages of the BOM."""

from django.urls import path

from . import views

_BOM = "projects/<str:slug>/bom"

urlpatterns = [
    path(_BOM, views.bom_overview_view, name="bom"),
    path(f"{_BOM}/rules/<int:rule_id>", views.bom_rule_edit_view, name="bom-rule-edit"),
    path(f"{_BOM}/rules/<int:rule_id>/delete", views.bom_rule_delete_view, name="bom-rule-delete"),
    path(f"{_BOM}/suggestions", views.bom_suggestions_view, name="bom-suggestions"),
    path(f"{_BOM}/preview", views.bom_preview_view, name="bom-preview"),
    path(f"{_BOM}/sync", views.bom_sync_view, name="bom-sync"),
    path(f"{_BOM}/runs/<str:run_id>", views.bom_run_view, name="bom-run"),
    path(f"{_BOM}/runs/<str:run_id>/resume", views.bom_run_resume_view, name="bom-run-resume"),
    path("bom/rules", views.shared_rules_view, name="bom-shared-rules"),
    path("bom/rules/<int:rule_id>", views.shared_rule_edit_view, name="bom-shared-rule-edit"),
    path(
        "bom/rules/<int:rule_id>/delete",
        views.shared_rule_delete_view,
        name="bom-shared-rule-delete",
    ),
]
