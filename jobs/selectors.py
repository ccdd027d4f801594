"""Reads of jobs. Who may see a job is the project's rule (Job.objects.for_user)."""

import uuid
from typing import TypeVar

from django.db.models import QuerySet

from openaec.exceptions import NotFoundError
from projects.selectors import project_get_for_user

from .models import Job

PROJECT_JOB_LIMIT = 200

J = TypeVar("J", bound=Job)


def job_get_from(jobs: QuerySet[J], job_id, *, missing: str = "Job not found") -> J:
    """The job `job_id` among `jobs` (a kind's runs, a user's jobs...); an id that is not a
    UUID, or not there, is a NotFoundError saying `missing`."""
    try:
        pk = uuid.UUID(str(job_id))
    except ValueError:
        raise NotFoundError(missing) from None
    job = jobs.filter(pk=pk).first()
    if job is None:
        raise NotFoundError(missing)
    return job


def job_get_for_user(*, job_id, user) -> Job:
    """A job of a project the user may see; 404 otherwise."""
    jobs = Job.objects.for_user(user).select_related(
        "project", "model_version", "created_by", "retried_by"
    )
    return job_get_from(jobs, job_id)


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
