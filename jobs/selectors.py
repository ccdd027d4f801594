"""Reads of jobs. Who may see a job is the project's rule (Job.objects.for_user)."""

import uuid

from django.db.models import QuerySet

from openaec.exceptions import NotFoundError
from projects.selectors import project_get_for_user

from .models import Job

PROJECT_JOB_LIMIT = 200


def job_get_for_user(*, job_id, user) -> Job:
    """A job of a project the user may see; 404 otherwise."""
    try:
        job_uuid = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFoundError("Job not found") from None
    job = (
        Job.objects.for_user(user)
        .select_related("project", "model_version", "created_by", "retried_by")
        .filter(pk=job_uuid)
        .first()
    )
    if job is None:
        raise NotFoundError("Job not found")
    return job


def project_for_jobs(*, slug: str, user):
    """The project whose jobs the user asks for (the project rule: 404 for outsiders)."""
    project, _ = project_get_for_user(slug=slug, user=user)
    return project


def job_list_for_project(*, slug: str, user, kind: str | None = None) -> QuerySet[Job]:
    """The newest jobs of a project the user may see (optionally of one kind)."""
    project = project_for_jobs(slug=slug, user=user)
    jobs = project.jobs.select_related("project", "model_version", "created_by", "retried_by")
    if kind:
        jobs = jobs.filter(kind=kind)
    return jobs.order_by("-created_at")[:PROJECT_JOB_LIMIT]
