"""The BOM doors' services: preview (dry run), suggestions, start, resume and run a sync."""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from integrations.erpnext.errors import ErpnextError
from openaec.exceptions import ApplicationError, ConflictError
from projects.models import Project
from projects.permissions import require_project_writer
from projects.selectors import model_version_ready

from .. import selectors
from ..constants import STALE_RUN_SECONDS, SUGGESTION_ITEM_LIMIT, SUGGESTIONS_PER_LINE
from ..erpnext import BomGateway
from ..links import client_for, project_link
from ..mapping import Line, suggest_items
from ..models import BomSyncRun
from . import failures, planning
from .engine import BomSync, LineErrors, Previous, rounding_notes

logger = logging.getLogger(__name__)
PROGRESS_FIELDS = (
    "progress",
    "phase",
    "documents",
    "checkpoint",
    "http_requests",
    "reads",
    "writes",
)


def require_sync_role(*, user, project: Project) -> None:
    """Editors and admins of the project who are not global viewers: 403 for anyone else."""
    require_project_writer(user=user, project=project, doing="syncing BOMs")


def _previous(run: BomSyncRun | None) -> Previous | None:
    if run is None:
        return None
    return Previous(
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
    mapping = planning.mapping_for(project=project, version=version)
    target = planning.target_for(
        project=project, options=options, link=link, lines=tuple(mapping.lines)
    )
    client, site_url = client_for(user=user, link=link)
    previous = _previous(
        selectors.run_last_succeeded(
            project=project, erpnext_url=site_url, assembly_item=target.assembly_item
        )
    )
    gateway = BomGateway(client)
    with client:
        engine = BomSync(gateway, target, checkpoint=_seed_checkpoint(target, previous))
        try:
            found = engine.preview()
        except ErpnextError as exc:
            raise failures.as_application_error(exc, site_url=site_url) from exc
    return _preview_body(version, target, mapping, found, site_url, gateway)


def _preview_body(version, target, mapping, found, site_url, gateway) -> dict[str, Any]:
    insp, current = found["inspection"], found["current_bom"]
    sources = {(line.item_code, line.uom): line.sources for line in mapping.lines}
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
                "rate": row.rate,
                "item_exists": row.item_code.casefold() in insp.items,
                "sources": [
                    {
                        **s.key,
                        "rule_id": s.rule_id,
                        "quantity": s.quantity,
                        "base_qty": s.base,
                        "qty": s.qty,
                    }
                    for s in sources.get((row.item_code, row.uom), [])
                ],
            }
            for row in insp.rows
        ],
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


def bom_suggestions(*, project: Project, user, model_version) -> dict[str, Any]:
    """For each line no rule maps: ERPNext Items whose code or name shares words with it."""
    require_sync_role(user=user, project=project)
    version = model_version_ready(project=project, number=model_version)
    mapping = planning.mapping_for(project=project, version=version)
    client, site_url = client_for(user=user, link=project_link(project=project))
    gateway = BomGateway(client)
    with client:
        try:
            items = gateway.items_for_suggestions(SUGGESTION_ITEM_LIMIT)
        except ErpnextError as exc:
            raise failures.as_application_error(exc, site_url=site_url) from exc
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
    client, site_url = client_for(user=user, link=link)  # fails now, not in the worker
    client.close()
    mapping = planning.mapping_for(project=project, version=version)
    if not mapping.lines:
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
    with transaction.atomic():
        _expire_stale_runs(project=project)
        try:
            with transaction.atomic():
                run = BomSyncRun.objects.create(
                    project=project,
                    model_version=version,
                    model_version_number=version.number,
                    user=user,
                    username=user.get_username(),
                    options=options,
                    erpnext_url=site_url,
                    erpnext_project=target.erpnext_project,
                    assembly_item=target.assembly_item,
                    plan=planning.plan_as_json(mapping),
                    fingerprint=target.input_fingerprint(),
                    checkpoint=_seed_checkpoint(target, previous),
                    phase="Queued",
                )
        except IntegrityError:
            raise _already_active(project) from None
        _enqueue_on_commit(run)
    return run


def bom_sync_resume(*, run: BomSyncRun, user) -> BomSyncRun:
    """Queue a failed run again; it takes up where it stopped (nothing is written twice)."""
    require_sync_role(user=user, project=run.project)
    if run.state != BomSyncRun.State.FAILED:
        raise ConflictError(
            f"Only a failed run can be resumed; this one is {run.state}.",
            extra={"state": run.state},
        )
    client, _ = _checked_client(run=run, user=user)  # refuses another site now
    client.close()
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
        _expire_stale_runs(project=run.project)
        try:
            with transaction.atomic():
                updated = BomSyncRun.objects.filter(
                    pk=run.pk, state=BomSyncRun.State.FAILED
                ).update(
                    state=BomSyncRun.State.QUEUED,
                    resumed_by=user,
                    error="",
                    line_errors=[],
                    progress=0,
                    phase="Queued again",
                    finished_at=None,
                    checkpoint={**run.checkpoint, "history": history},
                )
        except IntegrityError:
            raise _already_active(run.project) from None
        if not updated:
            raise ConflictError("The run changed meanwhile; reload it.")
        _enqueue_on_commit(run)
    run.refresh_from_db()
    return run


def _already_active(project: Project) -> ConflictError:
    active = selectors.run_active(project=project)
    return ConflictError(
        "A BOM sync of this project is already queued or running.",
        extra={"run_id": str(active.pk) if active else None},
    )


def _expire_stale_runs(*, project: Project) -> None:
    """A run a dead worker left queued or running fails, so it can be resumed."""
    cutoff = timezone.now() - timedelta(seconds=STALE_RUN_SECONDS)
    BomSyncRun.objects.filter(
        project=project, state__in=BomSyncRun.ACTIVE_STATES, updated_at__lt=cutoff
    ).update(
        state=BomSyncRun.State.FAILED,
        error="The sync stopped without finishing (its worker went away). Resume it.",
        finished_at=timezone.now(),
    )


def _enqueue_on_commit(run: BomSyncRun) -> None:
    from ..tasks import run_bom_sync

    def send() -> None:
        result = run_bom_sync.enqueue(run_id=str(run.pk))
        BomSyncRun.objects.filter(pk=run.pk).update(task_result_id=str(result.id))

    transaction.on_commit(send)


def _checked_client(*, run: BomSyncRun, user):
    client, site_url = client_for(user=user, link=project_link(project=run.project))
    if site_url != run.erpnext_url:
        client.close()
        raise ConflictError(
            f"This run writes to {run.erpnext_url}, but the ERPNext settings of {user} point "
            f"to {site_url}."
        )
    return client, site_url


class RunRecorder:
    """Writes a running sync's progress, documents and checkpoint to its row."""

    def __init__(self, run: BomSyncRun, gateway: BomGateway | None = None) -> None:
        self.run = run
        self.gateway = gateway
        self.base = {"http_requests": run.http_requests, "reads": run.reads, "writes": run.writes}

    def progress(self, percent: int, phase: str) -> None:
        self.run.progress = max(self.run.progress, min(100, int(percent)))
        self.run.phase = phase[:255]
        self.flush()

    def document(self, doctype: str, name: str, action: str) -> None:
        self.run.documents.append({"doctype": doctype, "name": name, "action": action})

    def checkpoint(self, data: dict) -> None:
        self.run.checkpoint = {**self.run.checkpoint, **data}
        self.flush()

    def counts(self) -> dict[str, int]:
        gateway = self.gateway
        if gateway is None:
            return dict(self.base)
        return {
            "http_requests": self.base["http_requests"] + gateway.http_requests,
            "reads": self.base["reads"] + gateway.reads,
            "writes": self.base["writes"] + gateway.writes,
        }

    def flush(self, **extra: Any) -> None:
        for name, value in self.counts().items():
            setattr(self.run, name, value)
        for name, value in extra.items():
            setattr(self.run, name, value)
        fields = {name: getattr(self.run, name) for name in (*PROGRESS_FIELDS, *extra)}
        BomSyncRun.objects.filter(pk=self.run.pk).update(**fields, updated_at=timezone.now())


def bom_sync_run_execute(*, run_id) -> dict[str, Any]:
    """Run a queued sync (the task's body). Idempotent: only a queued run is taken, and every
    ERPNext write is preceded by a lookup. Failures end on the run, never in the worker."""
    now = timezone.now()
    claimed = BomSyncRun.objects.filter(pk=run_id, state=BomSyncRun.State.QUEUED).update(
        state=BomSyncRun.State.RUNNING,
        started_at=now,
        attempts=F("attempts") + 1,
        phase="Starting",
        updated_at=now,
    )
    if not claimed:
        logger.info("BOM sync %s is not queued; nothing to do", run_id)
        return {"skipped": "not queued"}
    run = BomSyncRun.objects.select_related("project", "user", "resumed_by").get(pk=run_id)
    recorder = RunRecorder(run)
    try:
        result = _execute(run, recorder)
    except LineErrors as exc:
        return _finish_failed(run, recorder, f"ERPNext cannot take the BOM: {exc}", exc.errors)
    except ErpnextError as exc:
        message = failures.describe(exc, site_url=run.erpnext_url)
        if failures.is_transient(exc):
            message += " Resume the run once ERPNext is back; nothing will be written twice."
        return _finish_failed(run, recorder, message, [])
    except ApplicationError as exc:
        return _finish_failed(run, recorder, exc.message, [])
    except Exception as exc:
        logger.exception("BOM sync %s failed", run_id)
        return _finish_failed(run, recorder, f"Unexpected error: {type(exc).__name__}", [])
    run.checkpoint = {
        **run.checkpoint,
        "content_fingerprint": result.content_fingerprint,
        "company": result.company,
        "currency": result.currency,
        "rounding": result.rounding,
        "warnings": result.warnings,
    }
    recorder.flush(
        state=BomSyncRun.State.SUCCEEDED,
        outcome=result.outcome,
        bom_name=result.bom_name,
        bom_modified=result.bom_modified,
        bom_docstatus=result.bom_docstatus,
        progress=100,
        phase=BomSyncRun.Outcome(result.outcome).label,
        finished_at=timezone.now(),
    )
    return {"state": "succeeded", "outcome": result.outcome, "bom": result.bom_name}


def _execute(run: BomSyncRun, recorder: RunRecorder):
    acting = run.resumed_by or run.user
    if acting is None:
        raise ApplicationError("The user who started this sync no longer exists.")
    client, _ = _checked_client(run=run, user=acting)
    gateway = BomGateway(client)
    recorder.gateway = gateway
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
            gateway, target, previous=previous, checkpoint=run.checkpoint, recorder=recorder
        )
        return engine.run()


def _finish_failed(run, recorder: RunRecorder, message: str, line_errors: list) -> dict:
    recorder.flush(
        state=BomSyncRun.State.FAILED,
        error=message[:4000],
        line_errors=line_errors,
        phase="Failed",
        finished_at=timezone.now(),
    )
    return {"state": "failed", "error": message}
