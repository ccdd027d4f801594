"""The BOM doors' services: preview (dry run), suggestions, start, resume and run a sync."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction

from erp.services.clients import ErpnextContext
from integrations.erpnext.errors import ErpnextError
from jobs.runner import JobContext, JobFailed, jobs_fail_stalled
from jobs.services import JobLockedError, job_enqueue, job_requeue
from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError
from preflight.checks import bom_write_check
from projects.models import Project
from projects.permissions import require_project_writer
from projects.selectors import model_version_ready

from .. import selectors
from ..constants import BOM_SYNC, IMPLAUSIBLE_MEASURED, SUGGESTION_ITEM_LIMIT, SUGGESTIONS_PER_LINE
from ..erpnext import BomGateway
from ..links import context_for, project_link
from ..mapping import Line, suggest_items
from ..models import BomSyncRun
from . import failures, planning
from .engine import BomSync, LineErrors, Previous, rounding_notes

logger = logging.getLogger(__name__)


def require_sync_role(*, user, project: Project) -> None:
    """Editors and admins of the project who are not global viewers: 403 for anyone else."""
    require_project_writer(user=user, project=project, doing="syncing BOMs")


def _previous(run: BomSyncRun | None) -> Previous | None:
    if run is None:
        return None
    earlier = selectors.runs_earlier_boms(
        project=run.project, erpnext_url=run.erpnext_url, assembly_item=run.assembly_item
    )
    return Previous(
        earlier=earlier,
        fingerprint=run.fingerprint,
        bom_name=run.bom_name,
        bom_modified=run.bom_modified,
        content_fingerprint=run.checkpoint.get("content_fingerprint", ""),
        company=run.checkpoint.get("company", ""),
        currency=run.checkpoint.get("currency", ""),
        rounding=run.checkpoint.get("rounding", []),
    )


def _seed_checkpoint(target, previous: Previous | None) -> dict:
    """Company and currency the last sync resolved, when this one asks for the same company."""
    if previous and previous.currency and target.company in ("", previous.company):
        return {"company": previous.company, "currency": previous.currency}
    return {}


# Preview and suggestions (synchronous, read only)


def bom_preview(*, project: Project, user, model_version, options: dict) -> dict[str, Any]:
    """The BOM a sync would write, rounded as ERPNext requires, and its diff against the BOM
    that is default in ERPNext now. Reads ERPNext, writes nothing."""
    require_sync_role(user=user, project=project)
    options = planning.clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = project_link(project=project)
    choice = options["implausible_quantities"]
    lines = selectors.takeoff_mapping_lines(version=version, implausible=choice)
    mapping = planning.mapping_for(project=project, version=version, lines=lines)
    notes = planning.implausible_notes(version=version, mapping=mapping, choice=choice)
    target = planning.target_for(
        project=project, options=options, link=link, lines=tuple(mapping.lines)
    )
    context = context_for(user=user, link=link)
    site_url = context.site_url
    previous = _previous(
        selectors.run_last_succeeded(
            project=project, erpnext_url=site_url, assembly_item=target.assembly_item
        )
    )
    gateway = BomGateway(context.client)
    with context.client:
        engine = BomSync(gateway, target, checkpoint=_seed_checkpoint(target, previous))
        try:
            found = engine.preview()
        except ErpnextError as exc:
            raise failures.as_application_error(exc, context=context) from exc
    body = _preview_body(version, target, mapping, found, site_url, gateway)
    costed = [line for line in body["lines"] if line["rate"] is not None]
    body["coverage"] = {
        "model_version": version.number,
        **planning.coverage(lines=lines, mapping=mapping),
        "rows_costed": len(costed),
        "rows_total": len(body["lines"]),
        "rows_costed_percent": planning.percent(len(costed), len(body["lines"])),
    }
    return _with_implausible(body, notes, choice)


def bom_coverage(*, project: Project, version) -> dict[str, Any]:
    """How much of a model version the project's rules map (lines, volume); no ERPNext call."""
    lines = selectors.takeoff_mapping_lines(version=version, implausible=IMPLAUSIBLE_MEASURED)
    mapping = planning.mapping_for(project=project, version=version, lines=lines)
    return {"model_version": version.number, **planning.coverage(lines=lines, mapping=mapping)}


def _with_implausible(body: dict[str, Any], notes: list[dict], choice: str) -> dict[str, Any]:
    """The choice, the flagged lines with both values, a warning, and on each BOM row's source
    the values it could take: the user sees which one the BOM uses, never silently."""
    by_source = {
        (note["ifc_class"], note["type_name"], note["material"], note["quantity"]): note
        for note in notes
    }
    for row in body["lines"]:
        for source in row["sources"]:
            key = (source["ifc_class"], source["type_name"], source["material"])
            note = by_source.get((*key, source["quantity"]))
            source["implausible"] = (
                None
                if note is None
                else {k: note[k] for k in ("elements", "exported", "measured", "used")}
            )
        row["implausible"] = any(source["implausible"] for source in row["sources"])
    warning = planning.implausible_warning(notes, choice)
    return {
        **body,
        "implausible_quantities": choice,
        "implausible": notes,
        "warnings": ([warning] if warning else []) + list(body["warnings"]),
    }


def _preview_body(version, target, mapping, found, site_url, gateway) -> dict[str, Any]:
    insp, current = found["inspection"], found["current_bom"]
    rates = insp.rates
    unmapped = planning.plan_as_json(mapping)["unmapped"]
    unmapped += [
        {
            "ifc_class": None,
            "type_name": None,
            "material": None,
            "item_code": line.item_code,
            "reason": f"{line.item_code}: {line.qty:g} {line.uom} rounds to 0.",
        }
        for line in insp.zero
    ]
    return {
        "model_version": version.number,
        "erpnext_site": site_url,
        "assembly_item": target.assembly_item,
        "assembly_item_exists": insp.assembly_exists,
        "erpnext_project": target.erpnext_project or None,
        "company": found["company"] or None,
        "currency": found["currency"] or None,
        "submit": target.submit,
        "create_missing_items": target.create_missing_items,
        "lines": [
            {
                "item_code": row.item_code,
                "uom": row.uom,
                "qty": row.qty,
                "raw_qty": round(row.raw_qty, 6),
                "rounded_up": row.rounded_up,
                "rate": rates.rates.get((row.item_code, row.uom), row.rate),
                "rule_rate": row.rate,
                "rate_source": rates.sources.get((row.item_code, row.uom), ""),
                "conversion_factor": row.conversion_factor,
                "stock_qty": round(row.qty * row.conversion_factor, 6),
                "converted_from": row.converted_from or None,
                "item_exists": row.item_code.casefold() in insp.items,
                "sources": [
                    {
                        **s.key,
                        "rule_id": s.rule_id,
                        "quantity": s.quantity,
                        "base_qty": s.base,
                        "qty": s.qty,
                    }
                    for s in _sources(mapping, row)
                ],
            }
            for row in insp.rows
        ],
        "rm_cost_as_per": rates.rm_cost_as_per,
        "price_list": rates.price_list or None,
        "total_cost": insp.total_cost(),
        "alerts": insp.alerts,
        "unmapped": unmapped,
        "rounding": rounding_notes(insp.rows),
        "items_to_create": (
            ([] if insp.assembly_exists else [target.assembly_item])
            + (list(insp.missing_items) if target.create_missing_items else [])
        ),
        "errors": insp.errors,
        "warnings": insp.warnings,
        "current_bom": (
            {
                "name": current.get("name"),
                "docstatus": current.get("docstatus"),
                "is_default": bool(current.get("is_default")),
                "modified": current.get("modified"),
            }
            if current
            else None
        ),
        "diff": found["diff"].as_dict(),
        "would_write": found["would_write"],
        "http_requests": gateway.http_requests,
    }


def _sources(mapping, row) -> list:
    """The takeoff lines behind a row (in the rule's UOM when we converted it)."""
    uom = row.converted_from or row.uom
    return [
        source
        for line in mapping.lines
        if line.item_code == row.item_code and line.uom in (uom, row.uom)
        for source in line.sources
    ]


def bom_suggestions(*, project: Project, user, model_version) -> dict[str, Any]:
    """For each line no rule maps: ERPNext Items whose code or name shares words with it."""
    require_sync_role(user=user, project=project)
    version = model_version_ready(project=project, number=model_version)
    mapping = planning.mapping_for(project=project, version=version)
    context = context_for(user=user, link=project_link(project=project))
    gateway = BomGateway(context.client)
    with context.client:
        try:
            items = gateway.items_for_suggestions(SUGGESTION_ITEM_LIMIT)
        except ErpnextError as exc:
            raise failures.as_application_error(exc, context=context) from exc
    lines = []
    for item in mapping.unmapped:
        line = Line(**item.key, **item.quantities, element_count=item.element_count)
        lines.append(
            {
                **item.key,
                "reason": item.reason,
                "element_count": item.element_count,
                **item.quantities,
                "suggestions": suggest_items(line, items, limit=SUGGESTIONS_PER_LINE),
            }
        )
    return {
        "model_version": version.number,
        "items_considered": len(items),
        "lines": lines,
        "http_requests": gateway.http_requests,
    }


# Start, resume, run


def bom_sync_start(*, project: Project, user, model_version, options: dict) -> BomSyncRun:
    """Record a sync run with its frozen plan and queue it (202: it runs in the background)."""
    require_sync_role(user=user, project=project)
    options = planning.clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = project_link(project=project)
    context = context_for(user=user, link=link)  # fails now, not in the worker
    site_url = context.site_url
    mapping = planning.mapping_for(
        project=project, version=version, implausible=options["implausible_quantities"]
    )
    if not mapping.lines:
        context.client.close()
        raise ApplicationError(
            f"No takeoff line of version {version.number} maps to an ERPNext item: "
            "add mapping rules first (the suggestions can help)."
        )
    target = planning.target_for(
        project=project, options=options, link=link, lines=tuple(mapping.lines)
    )
    previous = _previous(
        selectors.run_last_succeeded(
            project=project, erpnext_url=site_url, assembly_item=target.assembly_item
        )
    )
    with context.client:
        if previous is None or previous.fingerprint != target.input_fingerprint():
            # A run that ERPNext will refuse says so now, before it writes anything.
            bom_write_check(context=context, submit=target.submit)
    with transaction.atomic():
        try:
            job = job_enqueue(
                kind=BOM_SYNC,
                project=project,
                user=user,
                model_version=version,
                params={
                    "model_version": version.number,
                    "options": options,
                    "erpnext_url": site_url,
                    "erpnext_project": target.erpnext_project,
                    "assembly_item": target.assembly_item,
                    "plan": planning.plan_as_json(mapping),
                    "fingerprint": target.input_fingerprint(),
                },
                checkpoint=_seed_checkpoint(target, previous),
                lock_key=_lock_key(project),
                phase="Queued",
            )
        except JobLockedError:
            raise _already_active(project) from None
    return BomSyncRun.objects.select_related("project").get(pk=job.pk)


def bom_sync_resume(*, run: BomSyncRun, user) -> BomSyncRun:
    """Queue a failed (or stalled) run again; it takes up where it stopped (nothing is written
    twice). Of several simultaneous resumes one wins, the others get 409."""
    require_sync_role(user=user, project=run.project)
    jobs_fail_stalled(queryset=BomSyncRun.objects.filter(pk=run.pk))
    run.refresh_from_db()
    if run.state != BomSyncRun.State.FAILED:
        raise ConflictError(
            f"Only a failed run can be resumed; this one is {run.state}.",
            extra={"state": run.state},
        )
    _checked_context(run=run, user=user).client.close()  # refuses another site now
    history = [
        *run.checkpoint.get("history", []),
        {
            "attempt": run.attempts,
            "error": run.error,
            "line_errors": run.line_errors,
            "finished_at": run.finished_at.isoformat() if run.finished_at else None,
        },
    ]
    with transaction.atomic():
        try:
            job_requeue(job=run, user=user, checkpoint={**run.checkpoint, "history": history})
        except JobLockedError:
            raise _already_active(run.project) from None
    run.refresh_from_db()
    return run


def bom_sync_may_resume(*, job, user) -> bool:
    """Editors and admins of the project who are not global viewers."""
    try:
        require_sync_role(user=user, project=job.project)
    except AccessDeniedError:
        return False
    return True


def _lock_key(project: Project) -> str:
    return f"{BOM_SYNC}:{project.pk}"


def _already_active(project: Project) -> ConflictError:
    active = selectors.run_active(project=project)
    return ConflictError(
        "A BOM sync of this project is already queued or running.",
        extra={"run_id": str(active.pk) if active else None},
    )


def _checked_context(*, run: BomSyncRun, user):
    context = context_for(user=user, link=project_link(project=run.project))
    if context.site_url != run.erpnext_url:
        context.client.close()
        raise ConflictError(
            f"This run writes to {run.erpnext_url}, but the ERPNext settings of {user} point "
            f"to {context.site_url}."
        )
    return context


def bom_sync_handle(context: JobContext) -> dict[str, Any]:
    """Run a claimed sync (the handler of the job kind "bom_sync"). Idempotent: every ERPNext
    write is preceded by a lookup. Failures end on the run as sentences (JobFailed)."""
    run = BomSyncRun.objects.select_related("project", "created_by", "retried_by").get(
        pk=context.job.pk
    )
    acting = run.resumed_by or run.user
    if acting is None:
        raise ApplicationError("The user who started this sync no longer exists.")
    erpnext = _checked_context(run=run, user=acting)
    try:
        result = _execute(run, context, erpnext)
    except LineErrors as exc:
        raise JobFailed(f"ERPNext cannot take the BOM: {exc}", exc.errors) from exc
    except ErpnextError as exc:
        if exc.alerts:
            context.checkpoint({"alerts": exc.alerts})
        raise JobFailed(failures.describe(exc, context=erpnext)) from exc
    context.checkpoint(
        {
            "content_fingerprint": result.content_fingerprint,
            "company": result.company,
            "currency": result.currency,
            "rounding": result.rounding,
            "warnings": result.warnings,
            "alerts": result.alerts,
        }
    )
    context.success_phase = BomSyncRun.Outcome(result.outcome).label
    return {
        "outcome": result.outcome,
        "bom_name": result.bom_name,
        "bom_modified": result.bom_modified,
        "bom_docstatus": result.bom_docstatus,
    }


def _execute(run: BomSyncRun, context: JobContext, erpnext: ErpnextContext):
    client = erpnext.client
    gateway = BomGateway(client)
    context.count_requests(gateway)
    previous = _previous(
        selectors.run_last_succeeded(
            project=run.project, erpnext_url=run.erpnext_url, assembly_item=run.assembly_item
        )
    )
    target = planning.target_for(
        project=run.project,
        options=run.options,
        link=project_link(project=run.project),
        lines=planning.lines_from_plan(run.plan),
    )
    if target.input_fingerprint() != run.fingerprint or target.assembly_item != run.assembly_item:
        # The ERPNext link changed since the run was planned; its plan no longer fits.
        raise ApplicationError(
            "The project's ERPNext link changed since this sync was started; start a new sync."
        )
    with client:
        engine = BomSync(
            gateway,
            target,
            previous=previous,
            checkpoint=run.checkpoint,
            recorder=context,  # the job core's context is the engine's Recorder
        )
        return engine.run()
