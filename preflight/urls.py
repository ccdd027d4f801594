from django.urls import path

from . import views

urlpatterns = [path("settings/preflight", views.preflight_view, name="settings-preflight")]
