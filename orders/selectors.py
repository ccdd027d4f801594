"""Reads of purchase orders: runs (jobs of kind purchase_orders), storeys, rule suppliers."""

from __future__ import annotations

from django.db.models import QuerySet

from bom.models import MappingRule
from jobs.models import Job
from jobs.selectors import job_get_from
from projects.models import ModelVersion, Project, TakeoffElement

from .constants import PURCHASE_ORDERS


def run_list(*, project: Project) -> QuerySet[Job]:
    """The project's order runs, newest first: what was ordered from which model version."""
    return (
        Job.objects.filter(project=project, kind=PURCHASE_ORDERS)
        .select_related("project", "model_version", "created_by", "retried_by")
        .order_by("-created_at")
    )


def run_get(*, project: Project, run_id) -> Job:
    """One order run of the project (404 otherwise)."""
    return job_get_from(run_list(project=project), run_id, missing="Order run not found")


def run_active(*, project: Project) -> Job | None:
    """The project's queued or running order run, if any."""
    return run_list(project=project).filter(state__in=Job.ACTIVE_STATES).first()


def storeys_of(*, version: ModelVersion) -> list[str]:
    """The storeys of a version's takeoff, by name ("" for elements on no storey)."""
    values = TakeoffElement.objects.filter(model_version=version).values_list("storey", flat=True)
    return sorted(set(values))


def rule_suppliers(*, project: Project) -> dict[int, str]:
    """Rule id -> supplier, for the project's rules and the shared defaults that name one."""
    rules = MappingRule.objects.for_project(project).exclude(supplier="")
    return dict(rules.values_list("id", "supplier"))
