"""Export a model version with ERPNext's rates as an IFC cost schedule: start (a job), run it
(the handler of the job kind), download the file. The rates and quantities are the cost
dashboard's model estimate (costs.estimate), so the schedule totals what the dashboard shows.

The stored original is only read; the new file goes to the default storage under
``ifc-exports/``. What could not be priced (unmapped takeoff lines, Items without a rate) is in
the job's result.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.utils import timezone

from bom import selectors as bom_selectors
from bom.links import context_for
from costs.estimate import NO_STOREY, model_estimate
from integrations.erpnext.errors import ErpnextError
from integrations.ifc.cost_schedule import (
    SCHEDULE_TYPES,
    CostLine,
    ScheduleInfo,
    write_cost_schedule,
)
from integrations.ifc.errors import TakeoffError
from jobs.models import Job
from jobs.runner import JobContext, JobFailed
from jobs.selectors import job_get_from
from jobs.services import job_enqueue, job_rerun
from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError, NotFoundError
from orders.services.options import DEFAULT_PRICE_LIST
from orders.services.reading import require_link
from projects.models import ModelVersion, Project, TakeoffElement
from projects.permissions import require_project_writer
from projects.selectors import model_version_ready
from projects.services.takeoff import _local_copy

KIND = "ifc_cost_export"
GROUP_BY = ("item_group", "storey")
STORAGE_DIR = "ifc-exports"
NO_ITEM_GROUP = "(no item group)"
ROLE = "Purchase User"


def cost_export_options(options: Mapping[str, Any]) -> dict[str, str]:
    """The export's options, checked: schedule type, grouping, price list."""
    schedule_type = str(options.get("schedule_type") or "ESTIMATE").upper()
    if schedule_type not in SCHEDULE_TYPES:
        raise ApplicationError(f"schedule_type must be one of {', '.join(SCHEDULE_TYPES)}.")
    group_by = str(options.get("group_by") or "item_group")
    if group_by not in GROUP_BY:
        raise ApplicationError(f"group_by must be one of {', '.join(GROUP_BY)}.")
    price_list = str(options.get("price_list") or DEFAULT_PRICE_LIST).strip()[:140]
    return {"schedule_type": schedule_type, "group_by": group_by, "price_list": price_list}


def cost_export_start(*, project: Project, user, model_version, options: Mapping) -> Job:
    """Queue an export of the version (202): editors and admins of a linked project."""
    require_project_writer(user=user, project=project, doing="exporting with ERPNext's rates")
    clean = cost_export_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = require_link(project)
    context = context_for(user=user, link=link)  # no credentials for the site: 400 now
    context.client.close()
    return job_enqueue(
        kind=KIND,
        project=project,
        user=user,
        model_version=version,
        params={**clean, "model_version": version.number, "erpnext_url": context.site_url},
        phase="Queued",
    )


def cost_export_retry(*, job: Job, user) -> Job:
    """Export again with the same options (a new job; the old one points to it)."""
    version = job.model_version
    if version is None:
        raise ApplicationError("The model version of this export was deleted.")
    return job_rerun(
        job=job,
        user=user,
        start=lambda: cost_export_start(
            project=job.project, user=user, model_version=version.number, options=job.params
        ),
        stalled_message="The worker stopped while exporting; it was run again.",
    )


def cost_export_may_start_again(*, job: Job, user) -> bool:
    """Whether the page offers this user to export again."""
    try:
        require_project_writer(user=user, project=job.project)
    except AccessDeniedError:
        return False
    return job.model_version_id is not None


def cost_export_handle(context: JobContext) -> dict[str, Any]:
    """Read the model estimate, write the new IFC file, store it; the original is only read."""
    job = Job.objects.select_related("project", "model_version", "created_by", "retried_by").get(
        pk=context.job.pk
    )
    version = job.model_version
    user = job.retried_by or job.created_by
    if version is None or user is None:
        raise JobFailed("The model version or the user who started this export was deleted.")
    params = job.params
    context.progress(5, "Reading ERPNext's rates")
    estimate = model_estimate(
        project=job.project, version=version, user=user, price_list=params["price_list"]
    )
    groups = _item_groups(job.project, user, estimate) if params["group_by"] == "item_group" else {}
    lines = cost_lines(project=job.project, version=version, estimate=estimate, groups=groups)
    info = ScheduleInfo(
        predefined_type=params["schedule_type"],
        name=f"{job.project.name} v{version.number} — ERPNext {params['schedule_type'].lower()}",
        identification=f"BIM-{job.pk.hex[:10]}",
        description=f"Rates from ERPNext {estimate.get('erpnext_site', '')} "
        f"({params['price_list']}), {timezone.localdate().isoformat()}",
        currency=estimate.get("currency") or "",
        created=timezone.now(),
        properties={
            "ERPNextSite": estimate.get("erpnext_site", ""),
            "ERPNextProject": require_link(job.project).erpnext_project,
            "BIMProject": job.project.slug,
            "ModelVersion": str(version.number),
            "PriceList": params["price_list"],
            "GroupedBy": params["group_by"],
            "ExportedBy": job.created_by_name,
        },
    )

    def report(fraction: float, phase: str) -> None:
        context.progress(10 + fraction * 85, phase.capitalize())

    with tempfile.TemporaryDirectory(prefix="cost-export-") as tmp, _local_copy(version) as src:
        target = Path(tmp) / "export.ifc"
        try:
            summary = write_cost_schedule(
                src,
                target,
                lines,
                info,
                progress=report,
                max_expanded_bytes=settings.IFC_MAX_EXPANDED_BYTES,
            )
        except TakeoffError as exc:
            raise JobFailed(f"The model could not be exported: {exc.reason}") from exc
        name = _store(job, target)
        digest = hashlib.sha256(target.read_bytes()).hexdigest()
        size = target.stat().st_size
    stem = Path(version.original_filename).stem or "model"
    return {
        "file": name,
        "filename": f"{stem}-v{version.number}-costs.ifc",
        "size": size,
        "sha256": digest,
        "schedule_type": params["schedule_type"],
        "group_by": params["group_by"],
        "currency": info.currency,
        "total": round(summary.total, 2),
        "estimate_total": estimate.get("total"),
        "summary": summary.as_dict(),
        "not_priced": {"unpriced": estimate.get("unpriced", []), "unmapped": estimate["unmapped"]},
        "warnings": estimate.get("warnings", []),
        "http_requests": estimate.get("http_requests", 0),
    }


def cost_lines(
    *, project: Project, version: ModelVersion, estimate: Mapping, groups: Mapping[str, str]
) -> list[CostLine]:
    """The estimate's priced lines as cost lines: grouped by storey (as the estimate reads
    them) or merged per Item across storeys under its item group, with the elements' GlobalIds
    and the quantity in SI units when every rule of the line reads the same kind."""
    rules = {rule.id: rule for rule in bom_selectors.mapping_rules_for(project=project)}
    elements = _elements_by_key(version)
    merged: dict[tuple, dict[str, Any]] = {}
    for line in estimate["lines"]:
        if line.get("amount") is None:
            continue
        storey = "" if line["storey"] == NO_STOREY else line["storey"]
        group = line["storey"] if not groups else groups.get(line["item_code"], NO_ITEM_GROUP)
        key = (group, line["item_code"], line["uom"], line["rate"])
        row = merged.setdefault(
            key,
            {"line": line, "group": group, "qty": 0.0, "si": 0.0, "kinds": set(), "ids": {}},
        )
        row["qty"] += float(line["qty"])
        for source in line["elements"]:
            rule = rules.get(source.get("rule_id"))
            if rule is None:
                row["kinds"].add("")
                continue
            row["kinds"].add(rule.quantity)
            row["si"] += source["qty"] / (rule.unit_factor * (1 + rule.waste_factor))
            found = elements.get((storey, *_key(source)), ())
            row["ids"].update(dict.fromkeys(found))
    out = []
    for (group, code, uom, rate), row in sorted(merged.items(), key=lambda kv: kv[0][:3]):
        kind = next(iter(row["kinds"])) if len(row["kinds"]) == 1 else ""
        line = row["line"]
        out.append(
            CostLine(
                item_code=code,
                item_name=groups.get(f"name:{code}", "") or code,
                group=group,
                unit=uom,
                quantity=row["qty"],
                rate=float(rate),
                rate_source=line["rate_source"],
                rate_from=line["rate_from"],
                global_ids=tuple(row["ids"]),
                quantity_kind=kind,
                si_quantity=row["si"] if kind else None,
            )
        )
    return out


def _key(source: Mapping) -> tuple[str, str, str]:
    return tuple(str(source.get(name) or "") for name in ("ifc_class", "type_name", "material"))


def _elements_by_key(version: ModelVersion) -> dict[tuple, list[str]]:
    """GlobalIds per (storey, class, type name, material), as the takeoff lines group them."""
    out: dict[tuple, list[str]] = {}
    rows = TakeoffElement.objects.filter(model_version=version).values_list(
        "storey", "ifc_class", "type_name", "material", "global_id"
    )
    for storey, ifc_class, type_name, material, global_id in rows.iterator():
        key = (storey or "", ifc_class or "", type_name or "", material or "")
        ids = out.setdefault(key, [])
        if global_id not in ids:
            ids.append(global_id)
    return out


def _item_groups(project: Project, user, estimate: Mapping) -> dict[str, str]:
    """Item code -> item group (and "name:<code>" -> item name): one read of Item."""
    codes = sorted({line["item_code"] for line in estimate["lines"]})
    if not codes:
        return {}
    context = context_for(user=user, link=require_link(project))
    with context.client:
        try:
            rows = context.client.list_docs(
                "Item", fields=["name", "item_name", "item_group"], filters=[["name", "in", codes]]
            )
        except ErpnextError as exc:
            raise JobFailed(
                context.failure(exc, what="the Items' groups", role=ROLE).message
            ) from exc
    out: dict[str, str] = {}
    for row in rows:
        out[str(row["name"])] = str(row.get("item_group") or NO_ITEM_GROUP)
        out[f"name:{row['name']}"] = str(row.get("item_name") or "")
    return out


def _store(job: Job, path: Path) -> str:
    with path.open("rb") as fh:
        return default_storage.save(f"{STORAGE_DIR}/{job.project_id}/{job.pk.hex}.ifc", File(fh))


def cost_export_get(*, project: Project, job_id) -> Job:
    """One export job of the project (404 otherwise)."""
    jobs = Job.objects.filter(project=project, kind=KIND).select_related("model_version")
    return job_get_from(jobs, job_id, missing="Export not found")


def cost_export_file(*, project: Project, job_id) -> tuple[Any, str]:
    """The exported file (an open file) and its download name; 409 while it is not ready."""
    job = cost_export_get(project=project, job_id=job_id)
    if job.state != Job.State.SUCCEEDED or not (job.result or {}).get("file"):
        raise ConflictError(f"The export is not ready (state: {job.state}).")
    name = job.result["file"]
    if not default_storage.exists(name):
        raise NotFoundError("The exported file is gone; export again.")
    return default_storage.open(name, "rb"), job.result["filename"]
