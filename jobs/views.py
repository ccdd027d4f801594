"""The one HTML page of a job (every kind) and its retry button. No JavaScript."""

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from . import registry, selectors, services
from .models import Job
from .runner import queue_position

JOB_REFRESH_SECONDS = 2


def job_page(request: HttpRequest, job: Job) -> HttpResponse:
    """The job page: progress card, refreshed while the job waits or runs, stalled shown."""
    kind = registry.get(job.kind)
    waiting = not (job.is_finished or job.is_stalled)
    return render(
        request,
        "jobs/job_detail.html",
        {
            "job": job,
            "project": job.project,
            "kind_template": kind.template if kind else "",
            "retry_label": kind.retry_label if kind else "",
            "queue_position": queue_position(job),
            "refresh_seconds": JOB_REFRESH_SECONDS if waiting else None,
            "can_retry": services.job_may_retry(job=job, user=request.user),
        },
    )


@login_required
@require_http_methods(["GET"])
def job_detail_view(request: HttpRequest, job_id: str) -> HttpResponse:
    return job_page(request, selectors.job_get_for_user(job_id=job_id, user=request.user))


@login_required
@require_http_methods(["GET"])
def project_jobs_view(request: HttpRequest, slug: str) -> HttpResponse:
    """Every job of one project, newest first: what ran, what waits, what failed."""
    jobs = list(selectors.job_list_for_project(slug=slug, user=request.user))
    project = jobs[0].project if jobs else selectors.project_for_jobs(slug=slug, user=request.user)
    waiting = any(not (job.is_finished or job.is_stalled) for job in jobs)
    return render(
        request,
        "jobs/project_jobs.html",
        {
            "project": project,
            "jobs": jobs,
            "limit": selectors.PROJECT_JOB_LIMIT,
            "refresh_seconds": JOB_REFRESH_SECONDS * 5 if waiting else None,
        },
    )


@login_required
@require_POST
def job_retry_view(request: HttpRequest, job_id: str) -> HttpResponse:
    job = selectors.job_get_for_user(job_id=job_id, user=request.user)
    queued = services.job_retry(job=job, user=request.user)
    return redirect("job-detail", job_id=queued.pk)
