"""Start, resume and run an order run (a job of kind purchase_orders): plan on the first
attempt, then place the orders; the run's markers are looked up so nothing is ordered twice."""

from __future__ import annotations

from typing import Any

from django.db import transaction

from bom.links import context_for, project_link
from erp.services.clients import ErpnextContext
from integrations.erpnext.errors import (
    ErpnextError,
    ErpnextNetworkError,
    ErpnextServerError,
    ErpnextValidationError,
)
from jobs.models import Job
from jobs.runner import JobContext, JobFailed, jobs_fail_stalled
from jobs.services import JobLockedError, job_enqueue, job_requeue
from openaec.exceptions import ApplicationError, ConflictError
from projects.models import Project
from projects.selectors import model_version_ready

from .. import planning, selectors
from ..constants import PURCHASE_ORDERS
from ..erpnext import OrderGateway
from .options import clean_options
from .reading import (
    order_may_place,
    order_plan_read,
    plan_public,
    require_link,
    require_order_role,
)


def order_run_start(*, project: Project, user, model_version, options: dict) -> Job:
    """Record an order run and queue it (202); it plans and writes in the background."""
    require_order_role(user=user, project=project)
    options = clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = require_link(project)
    context = context_for(user=user, link=link)  # fails now, not in the worker
    context.client.close()
    with transaction.atomic():
        try:
            return job_enqueue(
                kind=PURCHASE_ORDERS,
                project=project,
                user=user,
                model_version=version,
                params={
                    "model_version": version.number,
                    "options": options,
                    "erpnext_url": context.site_url,
                    "erpnext_project": link.erpnext_project,
                },
                lock_key=f"{PURCHASE_ORDERS}:{project.pk}",
                phase="Queued",
            )
        except JobLockedError:
            raise ConflictError(
                "Orders of this project are already being placed.",
                extra={"run_id": _active_id(project)},
            ) from None


def _active_id(project: Project) -> str | None:
    active = selectors.run_active(project=project)
    return str(active.pk) if active else None


def order_run_resume(*, job: Job, user) -> Job:
    """Queue a failed run again: it keeps its plan and finds what it already made."""
    require_order_role(user=user, project=job.project)
    jobs_fail_stalled(queryset=Job.objects.filter(pk=job.pk))
    job.refresh_from_db()
    if job.state != Job.State.FAILED:
        raise ConflictError(f"Only a failed run can be resumed; this one is {job.state}.")
    _checked_context(job=job, user=user).client.close()
    with transaction.atomic():
        try:
            return job_requeue(job=job, user=user)
        except JobLockedError:
            raise ConflictError("Orders of this project are already being placed.") from None


def order_run_may_resume(*, job: Job, user) -> bool:
    """Editors and admins of the project who are not global viewers."""
    return order_may_place(user=user, project=job.project)


def _checked_context(*, job: Job, user) -> ErpnextContext:
    context = context_for(user=user, link=project_link(project=job.project))
    if context.site_url != job.params.get("erpnext_url"):
        context.client.close()
        raise ConflictError(
            f"This run writes to {job.params.get('erpnext_url')}, but the ERPNext settings of "
            f"{user} point to {context.site_url}."
        )
    return context


def order_run_handle(context: JobContext) -> dict[str, Any]:
    """Plan (first attempt) and place the orders: before each insert the run's marker is looked
    up, so a lost answer or a resume never orders twice. A submit ERPNext refuses (a Stop
    budget) leaves the draft and fails the run with ERPNext's message per order."""
    job = Job.objects.select_related("project", "created_by", "retried_by", "model_version").get(
        pk=context.job.pk
    )
    acting = job.retried_by or job.created_by
    if acting is None:
        raise ApplicationError("The user who started this run no longer exists.")
    erpnext = _checked_context(job=job, user=acting)
    gateway = OrderGateway(erpnext.client)
    context.count_requests(gateway)
    with erpnext.client:
        try:
            return _place(job, context, gateway)
        except ErpnextError as exc:
            raise JobFailed(
                erpnext.failure(exc, what="the purchase orders", role="Purchase User").message
            ) from exc


def _place(job: Job, context: JobContext, gateway: OrderGateway) -> dict[str, Any]:
    options = job.params["options"]
    plan = context.checkpoint_data.get("plan")
    if plan is None:
        if job.model_version is None:
            raise ApplicationError("The model version of this run was deleted.")
        context.progress(5, "Reading what is already ordered")
        link = require_link(job.project)
        if link.erpnext_project != job.params["erpnext_project"]:
            raise ApplicationError(
                "The project's ERPNext link changed since this run was started; start a new one."
            )
        plan = plan_public(
            order_plan_read(
                project=job.project,
                version=job.model_version,
                options=options,
                link=link,
                gateway=gateway,
            )
        )
        if plan["problems"]:
            raise JobFailed(
                f"{len(plan['problems'])} problem(s) stop the orders: see the list.",
                plan["problems"],
            )
        context.checkpoint({"plan": plan, "made": {}})
    doctype = plan["doctype"]
    made: dict[str, dict] = dict(context.checkpoint_data.get("made") or {})
    total = len(plan["orders"]) or 1
    found = _marked(gateway, doctype, job) if plan["orders"] else {}
    for index, order in enumerate(plan["orders"]):
        number = str(order["number"])
        mark = planning.marker(job.pk.hex, order["number"])
        context.progress(10 + 60 * index // total, f"Placing order {index + 1} of {total}")
        if number not in made:
            doc, action = (found[mark], "adopted") if mark in found else (None, "")
            if doc is None:
                doc, action = _insert_once(gateway, doctype, order, plan, mark)
            made[number] = {"name": doc["name"], "docstatus": doc.get("docstatus", 0)}
            context.document(doctype, doc["name"], action)
            context.checkpoint({"made": made})
    refused = []
    if options.get("submit"):
        for index, order in enumerate(plan["orders"]):
            entry = made[str(order["number"])]
            context.progress(70 + 30 * index // total, f"Submitting order {index + 1} of {total}")
            if entry.get("docstatus") == 1:
                continue
            before = len(gateway.client.alerts)
            try:
                gateway.submit(doctype, entry["name"])
            except ErpnextValidationError as exc:
                entry["error"] = exc.message
                entry["exc_type"] = exc.exc_type or ""
                refused.append({"item_code": None, "order": entry["name"], "error": exc.message})
            else:
                entry.update(docstatus=1, error="", exc_type="")
                entry["alerts"] = gateway.client.alerts[before:]
                context.document(doctype, entry["name"], "submitted")
            context.checkpoint({"made": made})
    if refused:
        raise JobFailed(
            f"ERPNext refused to submit {len(refused)} of {len(plan['orders'])} orders (they "
            "stay drafts; resume submits them again).",
            refused,
        )
    context.success_phase = f"{len(plan['orders'])} {doctype}(s) placed"
    return {
        "doctype": doctype,
        "orders": [
            {
                "number": order["number"],
                "supplier": order["supplier"],
                "group": order["group"],
                "total": order["total"],
                **made[str(order["number"])],
            }
            for order in plan["orders"]
        ],
        "total": plan["total"],
    }


def _marked(gateway: OrderGateway, doctype: str, job: Job) -> dict[str, dict]:
    """The documents an earlier attempt of this run made, by marker (one read)."""
    prefix = planning.run_marker(job.pk.hex)
    found = {}
    for doc in gateway.orders_marked(doctype, prefix):
        mark = _mark_of(doc)
        if mark.startswith(prefix):
            found.setdefault(mark, doc)
    return found


def _insert_once(
    gateway: OrderGateway, doctype: str, order: dict, plan: dict, mark: str
) -> tuple[dict, str]:
    """Insert one order; when the answer is lost, the marker says whether it was made."""
    doc = planning.order_doc(order, plan=plan, mark=mark)
    try:
        return gateway.insert_doc(doctype, doc), "created"
    except (ErpnextNetworkError, ErpnextServerError):
        again = [d for d in gateway.orders_marked(doctype, mark) if _mark_of(d) == mark]
        if again:
            return again[0], "adopted"
        raise


def _mark_of(doc: dict) -> str:
    return str(doc.get("title") or "").rsplit(" ", 1)[-1]
