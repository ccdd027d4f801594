"""HTML pages of BIM projects."""

from django.urls import path

from . import views

urlpatterns = [
    path("projects", views.project_list_view, name="projects"),
    path("projects/<str:slug>", views.project_detail_view, name="project-detail"),
    path("projects/<str:slug>/members", views.project_member_add_view, name="project-member-add"),
    path("projects/<str:slug>/upload", views.model_upload_view, name="model-upload"),
    path("projects/<str:slug>/models/<str:version>/takeoff", views.takeoff_view, name="takeoff"),
    path(
        "projects/<str:slug>/models/<str:version>/diff",
        views.takeoff_diff_view,
        name="takeoff-diff",
    ),
]
