"""Reads of mapping rules, takeoff lines for mapping, and BOM sync runs. Selectors never write."""

from django.db.models import QuerySet

from jobs.selectors import job_get_from
from openaec.exceptions import NotFoundError
from projects.models import ModelVersion, Project
from projects.selectors import takeoff_lines
from projects.takeoff_query import EXACT_FILTERS, TakeoffQuery

from . import mapping
from .constants import IMPLAUSIBLE_EXPORTED, IMPLAUSIBLE_MEASURED
from .models import BomSyncRun, MappingRule

# Rules


def rule_list_for_project(*, project: Project) -> list[MappingRule]:
    """The project's rules and the shared defaults, in the order the mapping tries them."""
    rules = list(MappingRule.objects.for_project(project))
    order = {rule.id: index for index, rule in enumerate(mapping.order_rules(_as_rules(rules)))}
    return sorted(rules, key=lambda rule: order[rule.id])


def shared_rule_list() -> QuerySet[MappingRule]:
    """The shared defaults, highest priority first."""
    return MappingRule.objects.shared().order_by("-priority", "id")


def rule_get(*, rule_id, project: Project | None) -> MappingRule:
    """One rule of the project (or a shared default when ``project`` is None)."""
    try:
        pk = int(str(rule_id))
    except ValueError:
        raise NotFoundError("Rule not found") from None
    rule = MappingRule.objects.filter(pk=pk, project=project).first()
    if rule is None:
        raise NotFoundError("Rule not found")
    return rule


def mapping_rules_for(*, project: Project) -> list[mapping.Rule]:
    """The rules that apply to the project, as the pure mapping takes them."""
    return _as_rules(MappingRule.objects.for_project(project))


def _as_rules(rules) -> list[mapping.Rule]:
    return [
        mapping.Rule(
            id=rule.id,
            item_code=rule.item_code,
            uom=rule.uom,
            quantity=rule.quantity,
            ifc_class=rule.ifc_class,
            type_name=rule.type_name,
            material=rule.material,
            waste_factor=float(rule.waste_factor),
            unit_factor=float(rule.unit_factor),
            rate=None if rule.rate is None else float(rule.rate),
            priority=rule.priority,
            shared=rule.project_id is None,
            item_name=rule.item_name,
        )
        for rule in rules
    ]


# Takeoff


def takeoff_mapping_lines(
    *, version: ModelVersion, storey: str | None = None, implausible: str = IMPLAUSIBLE_EXPORTED
) -> list[mapping.Line]:
    """The version's takeoff lines grouped by IFC class, type name and material (of one
    storey when ``storey`` is given: purchase orders deliver per storey).

    ``implausible`` says what an exported volume or area the takeoff flagged gives: "exported"
    (the file's value, the default here) or "measured" (the mesh's, where it was measured).
    """
    measured = implausible == IMPLAUSIBLE_MEASURED
    return [
        mapping.Line(
            ifc_class=line["ifc_class"],
            type_name=line["type_name"],
            material=line["material"],
            count=line["count"] or 0.0,
            length=line["length"],
            area=_chosen(line, "area", "implausible_area_count", measured),
            volume=_chosen(line, "volume", "implausible_count", measured),
            weight=line["weight"],
            element_count=line["element_count"],
        )
        for line in takeoff_lines(version=version, query=_mapping_query(storey))
    ]


def takeoff_implausible_lines(*, version: ModelVersion, storey: str | None = None) -> list[dict]:
    """The mapping lines (same grouping) that hold an element whose exported volume or area is
    implausible, each with both readings: ``volume``/``area`` as exported, ``measured_volume``/
    ``measured_area`` with the measured values in place, and how many elements are flagged."""
    lines = takeoff_lines(version=version, query=_mapping_query(storey)).flagged()
    return list(lines)


def _mapping_query(storey: str | None) -> TakeoffQuery:
    filters = {} if storey is None else {"storey": (storey,)}
    # One storey exactly: "Level 1" must not also deliver Level 10's elements.
    return TakeoffQuery(
        group_by=mapping.KEY_FIELDS, filters=filters, exact=EXACT_FILTERS | {"storey"}
    )


def _chosen(line: dict, name: str, flagged: str, measured: bool) -> float | None:
    if measured and line[flagged]:
        return line[f"measured_{name}"]
    return line[name]


# Runs


def run_list(*, project: Project) -> QuerySet[BomSyncRun]:
    """The project's sync runs, newest first."""
    return (
        BomSyncRun.objects.filter(project=project)
        .select_related("project", "created_by", "retried_by")
        .order_by("-created_at")
    )


def run_get(*, project: Project, run_id) -> BomSyncRun:
    """One sync run of the project."""
    return job_get_from(run_list(project=project), run_id, missing="Sync run not found")


def run_active(*, project: Project) -> BomSyncRun | None:
    """The project's queued or running sync, if any."""
    return BomSyncRun.objects.filter(project=project, state__in=BomSyncRun.ACTIVE_STATES).first()


def run_last_succeeded(
    *, project: Project, erpnext_url: str, assembly_item: str
) -> BomSyncRun | None:
    """The newest successful sync of the project to this site and assembly item."""
    runs = BomSyncRun.objects.filter(
        project=project,
        state=BomSyncRun.State.SUCCEEDED,
        params__erpnext_url=erpnext_url,
        params__assembly_item=assembly_item,
    ).order_by("-finished_at")
    return next((run for run in runs[:20] if run.bom_name), None)


def runs_earlier_boms(
    *, project: Project, erpnext_url: str, assembly_item: str, limit: int = 20
) -> tuple[tuple[str, str, str], ...]:
    """(BOM name, modified, content fingerprint) of the BOMs the project's successful syncs
    made on this site for this item, newest first: going back to an earlier model reuses one."""
    runs = BomSyncRun.objects.filter(
        project=project,
        state=BomSyncRun.State.SUCCEEDED,
        params__erpnext_url=erpnext_url,
        params__assembly_item=assembly_item,
    ).order_by("-finished_at")[:limit]
    seen: dict[str, tuple[str, str, str]] = {}
    for run in runs:
        if run.bom_name:
            fingerprint = (run.checkpoint or {}).get("content_fingerprint", "")
            seen.setdefault(run.bom_name, (run.bom_name, run.bom_modified, fingerprint))
    return tuple(seen.values())
