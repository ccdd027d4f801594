"""JSON API of purchase orders."""

from openaec.routing import api_path

from . import views

_PO = "projects/<slug>/purchase-orders"

urlpatterns = [
    api_path(f"{_PO}/preview", views.PurchaseOrderPreviewApi.as_view(), name="api-po-preview"),
    api_path(f"{_PO}", views.PurchaseOrderCreateApi.as_view(), name="api-po-create"),
    api_path(f"{_PO}/runs", views.PurchaseOrderRunListApi.as_view(), name="api-po-runs"),
    api_path(f"{_PO}/runs/<run_id>", views.PurchaseOrderRunDetailApi.as_view(), name="api-po-run"),
    api_path(
        f"{_PO}/runs/<run_id>/resume",
        views.PurchaseOrderRunResumeApi.as_view(),
        name="api-po-run-resume",
    ),
]
