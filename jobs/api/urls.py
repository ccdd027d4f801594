"""JSON API of jobs: /api/jobs/{id} for every kind, and /api/projects/{slug}/jobs."""

from openaec.routing import api_path

from . import views

urlpatterns = [
    api_path("jobs/<job_id>", views.JobDetailApi.as_view(), name="api-job-detail"),
    api_path("jobs/<job_id>/retry", views.JobRetryApi.as_view(), name="api-job-retry"),
    api_path("projects/<slug>/jobs", views.ProjectJobListApi.as_view(), name="api-project-jobs"),
]
