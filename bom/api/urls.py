"""JSON API of the BOM: /api/projects/{slug}/bom/... and the shared rules at /api/bom/rules."""

from openaec.routing import api_path

from . import views

_BOM = "projects/<slug>/bom"

urlpatterns = [
    api_path("bom/rules", views.SharedBomRuleListApi.as_view(), name="api-bom-shared-rules"),
    api_path(
        "bom/rules/<int:rule_id>",
        views.SharedBomRuleDetailApi.as_view(),
        name="api-bom-shared-rule",
    ),
    api_path(f"{_BOM}/rules", views.BomRuleListApi.as_view(), name="api-bom-rules"),
    api_path(f"{_BOM}/rules/<int:rule_id>", views.BomRuleDetailApi.as_view(), name="api-bom-rule"),
    api_path(f"{_BOM}/suggestions", views.BomSuggestionsApi.as_view(), name="api-bom-suggestions"),
    api_path(f"{_BOM}/preview", views.BomPreviewApi.as_view(), name="api-bom-preview"),
    api_path(f"{_BOM}/sync", views.BomSyncApi.as_view(), name="api-bom-sync"),
    api_path(f"{_BOM}/runs", views.BomRunListApi.as_view(), name="api-bom-runs"),
    api_path(f"{_BOM}/runs/<run_id>", views.BomRunDetailApi.as_view(), name="api-bom-run"),
    api_path(
        f"{_BOM}/runs/<run_id>/resume", views.BomRunResumeApi.as_view(), name="api-bom-run-resume"
    ),
]
