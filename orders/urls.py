"""HTML pages of purchase orders."""

from django.urls import path

from . import views

_PO = "projects/<str:slug>/purchase-orders"

urlpatterns = [
    path(_PO, views.orders_overview_view, name="purchase-orders"),
    path(f"{_PO}/preview", views.orders_preview_view, name="purchase-orders-preview"),
    path(f"{_PO}/create", views.orders_create_view, name="purchase-orders-create"),
]
