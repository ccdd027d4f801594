"""HTML pages of the cost dashboard."""

from django.urls import path

from . import views

urlpatterns = [path("projects/<str:slug>/costs", views.costs_view, name="project-costs")]
