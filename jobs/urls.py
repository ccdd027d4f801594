"""HTML pages of jobs."""

from django.urls import path

from . import views

urlpatterns = [
    path("jobs/<str:job_id>", views.job_detail_view, name="job-detail"),
    path("projects/<str:slug>/jobs", views.project_jobs_view, name="project-jobs"),
    path("jobs/<str:job_id>/retry", views.job_retry_view, name="job-retry"),
]
