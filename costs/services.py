"""The cost dashboard: read ERPNext's figures and the model estimate (a fixed number of
requests, whatever the size of the model or the number of orders) in a job on the one job core,
keep them as the project's snapshot, and hand out the snapshot with its age; a stale snapshot
queues a refresh, never waits for ERPNext. When the newest reading failed, the last figures with
the sentence saying why."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from bom.links import context_for, project_link
from jobs.models import Job
from jobs.runner import JobContext, JobFailed
from jobs.services import JobLockedError, job_enqueue
from openaec.exceptions import ApplicationError
from projects.models import ModelVersion, Project

from .constants import CACHE_SECONDS, COST_REFRESH
from .erpnext import CostGateway
from .estimate import estimate_delta, model_estimate_read
from .figures import cost_overview, variance_rows
from .models import CostSnapshot

NOT_LINKED = "Link this project to an ERPNext Project to see its costs."
ESTIMATE_SHOWN = ("total", "still_needed", "currency", "price_list", "model_version", "coverage")
ESTIMATE_LISTS = ("by_item", "by_storey", "by_material", "unpriced", "unmapped", "warnings")


def _ready_versions(project: Project) -> list[ModelVersion]:
    """The two newest versions whose takeoff is ready: the estimate and its change."""
    versions = project.model_versions.filter(state=ModelVersion.State.READY).order_by("-number")
    return list(versions[:2])


def _fiscal_year(budgets: list[dict[str, Any]] | None) -> str:
    """The fiscal year of the project's Budgets (the newest), else the current year's name."""
    years = sorted({str(row["fiscal_year"]) for row in budgets or [] if row.get("fiscal_year")})
    return years[-1] if years else str(timezone.localdate().year)


def costs_refresh(
    *, project: Project, user, counted: Callable[[CostGateway], None] | None = None
) -> CostSnapshot:
    """Ask ERPNext as ``user`` and keep the figures as the project's snapshot. Raises an
    ApplicationError with the user's sentence when ERPNext cannot be asked. ``counted`` gets
    the gateway first (a job counts its requests)."""
    link = project_link(project=project)
    if link is None or not link.erpnext_project:
        raise ApplicationError(NOT_LINKED)
    context = context_for(user=user, link=link)
    gateway = CostGateway(context.client)
    if counted is not None:
        counted(gateway)
    versions = _ready_versions(project)
    name = link.erpnext_project
    with context.client, context.errors(what="the project's costs", role="Projects User"):
        project_costs = gateway.project_costs(name)
        budgets = gateway.budgets(name)
        orders = gateway.open_order_rows(name)
        gl = gateway.gl_entries(name)
        fiscal_year = _fiscal_year(budgets)
        variance = None
        if budgets is not None:  # the report needs the role Budget needs: not asked without
            report = gateway.budget_variance(
                name, company=project_costs["company"], fiscal_year=fiscal_year
            )
            if report is not None:
                variance = variance_rows(report, project=name, fiscal_year=fiscal_year)
        estimate = previous = None
        if versions:
            estimate = model_estimate_read(
                project=project, version=versions[0], link=link, gateway=gateway
            )
        if len(versions) > 1:
            previous = model_estimate_read(
                project=project, version=versions[1], link=link, gateway=gateway
            )
    figures = cost_overview(
        project=project_costs,
        budgets=budgets,
        orders=orders,
        gl=gl,
        estimate=estimate,
        variance=variance,
        fiscal_year=fiscal_year,
    )
    if estimate is not None:
        figures["estimate"] = {k: estimate[k] for k in (*ESTIMATE_SHOWN, *ESTIMATE_LISTS)}
        figures["estimate"]["delta"] = estimate_delta(estimate, previous) if previous else None
    else:
        figures["estimate"] = None
    with transaction.atomic():
        snapshot, _ = CostSnapshot.objects.update_or_create(
            project=project,
            defaults={
                "figures": figures,
                "erpnext_site": context.site_url,
                "erpnext_project": name,
                "fetched_at": timezone.now(),
                "fetched_by": user,
                "http_requests": gateway.http_requests,
            },
        )
    return snapshot


def _last_refresh(project: Project) -> Job | None:
    return (
        Job.objects.filter(project=project, kind=COST_REFRESH)
        .select_related("project", "model_version", "created_by", "retried_by")
        .order_by("-created_at")
        .first()
    )


def costs_refresh_start(*, project: Project, user) -> Job:
    """Queue a refresh of the project's figures read as ``user`` (one at a time per project:
    the refresh already queued or running is returned). A project without an ERPNext link or
    a user without credentials for its site get the sentence now, not a failed job."""
    link = project_link(project=project)
    if link is None or not link.erpnext_project:
        raise ApplicationError(NOT_LINKED)
    context_for(user=user, link=link).client.close()
    active = _last_refresh(project)
    if active is not None and active.state in Job.ACTIVE_STATES and not active.is_stalled:
        return active
    try:
        return job_enqueue(
            kind=COST_REFRESH,
            project=project,
            user=user,
            lock_key=f"{COST_REFRESH}:{project.pk}",
            phase="Queued",
        )
    except JobLockedError:  # queued by someone else in the meantime
        return _last_refresh(project) or active


def costs_refresh_handle(context: JobContext) -> dict[str, Any]:
    """The job: read the figures as the user who queued it and keep them."""
    job = Job.objects.select_related("project", "created_by", "retried_by").get(pk=context.job.pk)
    user = job.retried_by or job.created_by
    if user is None:
        raise JobFailed("The user who asked for this refresh was deleted.")
    context.progress(5, "Reading the figures from ERPNext")
    snapshot = costs_refresh(project=job.project, user=user, counted=context.count_requests)
    context.success_phase = "Figures read"
    totals = snapshot.figures["totals"]
    return {
        "fetched_at": snapshot.fetched_at.isoformat(),
        "http_requests": snapshot.http_requests,
        "totals": {key: totals[key] for key in ("budget", "estimate", "committed", "actual")},
    }


def costs_for_user(*, project: Project, user) -> dict[str, Any]:
    """The project's cost figures for a member, as cached: when the snapshot is older than
    CACHE_SECONDS (or missing), a refresh read as the user is queued, unless one is queued or
    running or the last one failed less than CACHE_SECONDS ago. When the newest refresh
    failed, its sentence goes with the last figures. Never waits for ERPNext."""
    snapshot = CostSnapshot.objects.filter(project=project).first()
    now = timezone.now()
    fresh = snapshot is not None and (now - snapshot.fetched_at).total_seconds() < CACHE_SECONDS
    job = _last_refresh(project)
    message = ""
    failed = job is not None and job.state == Job.State.FAILED
    if failed and (snapshot is None or job.finished_at > snapshot.fetched_at):
        message = job.error
    busy = job is not None and job.state in Job.ACTIVE_STATES and not job.is_stalled
    failed_lately = failed and (now - job.finished_at).total_seconds() < CACHE_SECONDS
    if not fresh and not busy and not failed_lately:
        try:
            job = costs_refresh_start(project=project, user=user)
        except ApplicationError as exc:
            message = exc.message
    return costs_payload(snapshot, project=project, message=message, job=job)


def _job_summary(job: Job | None) -> dict[str, Any] | None:
    if job is None:
        return None
    return {
        "id": str(job.pk),
        "state": job.state,
        "progress": job.progress,
        "phase": job.phase,
        "error": job.error,
        "url": reverse("job-detail", kwargs={"job_id": str(job.pk)}),
        "api_url": reverse("api-job-detail", kwargs={"job_id": str(job.pk)}),
    }


def costs_payload(
    snapshot: CostSnapshot | None, *, project: Project, message: str = "", job: Job | None = None
) -> dict:
    """What the API and the page show: the figures, when and where they were read, how old
    they are, the sentence when the newest reading failed, and the newest refresh job."""
    if snapshot is None:
        return {
            "project": project.slug,
            "figures": None,
            "fetched_at": None,
            "age_seconds": None,
            "stale": bool(message),
            "message": message,
            "erpnext_site": "",
            "erpnext_project": "",
            "http_requests": 0,
            "refresh": _job_summary(job),
        }
    age = (timezone.now() - snapshot.fetched_at).total_seconds()
    return {
        "project": project.slug,
        "figures": snapshot.figures,
        "fetched_at": snapshot.fetched_at.isoformat(),
        "age_seconds": int(age),
        "stale": bool(message),
        "message": message,
        "erpnext_site": snapshot.erpnext_site,
        "erpnext_project": snapshot.erpnext_project,
        "http_requests": snapshot.http_requests,
        "refresh": _job_summary(job),
    }
