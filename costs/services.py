"""The cost dashboard: read ERPNext's figures and the model estimate (a fixed number of
requests, whatever the size of the model or the number of orders, so synchronously), keep them
as the project's snapshot, and hand out the snapshot with its age; when ERPNext cannot be
asked, the last figures with a sentence saying why."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone

from bom.links import context_for, project_link
from openaec.exceptions import ApplicationError
from projects.models import ModelVersion, Project

from .constants import CACHE_SECONDS
from .erpnext import CostGateway
from .estimate import estimate_delta, model_estimate_read
from .figures import cost_overview
from .models import CostSnapshot

NOT_LINKED = "Link this project to an ERPNext Project to see its costs."
ESTIMATE_SHOWN = ("total", "still_needed", "currency", "price_list", "model_version", "coverage")
ESTIMATE_LISTS = ("by_item", "by_storey", "by_material", "unpriced", "unmapped", "warnings")


def _ready_versions(project: Project) -> list[ModelVersion]:
    """The two newest versions whose takeoff is ready: the estimate and its change."""
    versions = project.model_versions.filter(state=ModelVersion.State.READY).order_by("-number")
    return list(versions[:2])


def costs_refresh(*, project: Project, user) -> CostSnapshot:
    """Ask ERPNext as ``user`` and keep the figures as the project's snapshot. Raises an
    ApplicationError with the user's sentence when ERPNext cannot be asked."""
    link = project_link(project=project)
    if link is None or not link.erpnext_project:
        raise ApplicationError(NOT_LINKED)
    context = context_for(user=user, link=link)
    gateway = CostGateway(context.client)
    versions = _ready_versions(project)
    name = link.erpnext_project
    with context.client, context.errors(what="the project's costs", role="Projects User"):
        project_costs = gateway.project_costs(name)
        budgets = gateway.budgets(name)
        orders = gateway.open_order_rows(name)
        gl = gateway.gl_entries(name)
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
        project=project_costs, budgets=budgets, orders=orders, gl=gl, estimate=estimate
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


def costs_for_user(*, project: Project, user, refresh: bool = False) -> dict[str, Any]:
    """The project's cost figures for a member: the snapshot when it is younger than
    CACHE_SECONDS (unless ``refresh``), else read again as the user; when that fails, the last
    snapshot (if any) with its age and the reason. Never raises for ERPNext's failures."""
    snapshot = CostSnapshot.objects.filter(project=project).first()
    fresh = snapshot is not None and (
        (timezone.now() - snapshot.fetched_at).total_seconds() < CACHE_SECONDS
    )
    message = ""
    if refresh or not fresh:
        try:
            snapshot = costs_refresh(project=project, user=user)
        except ApplicationError as exc:
            message = exc.message
    return costs_payload(snapshot, project=project, message=message)


def costs_payload(snapshot: CostSnapshot | None, *, project: Project, message: str = "") -> dict:
    """What the API and the page show: the figures, when and where they were read, how old
    they are, and the sentence when the newest reading failed."""
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
    }
