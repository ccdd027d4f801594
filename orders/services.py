"""Purchase orders (or Material Requests) from a model version's takeoff: preview, start, resume
and the job that writes them. Only the delta is ordered; a retry never orders twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from bom import selectors as bom_selectors
from bom import validators
from bom.links import ProjectLink, context_for, project_link
from bom.mapping import map_lines
from bom.services.engine import UOM_UNREADABLE, uom_facts
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
from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError
from projects.models import ROLE_RANK, Project, ProjectRole
from projects.selectors import model_version_ready, project_role_for

from . import planning, selectors
from .constants import (
    DEFAULT_LEAD_DAYS,
    DELIVERIES,
    DELIVERY_PROJECT,
    DELIVERY_STOREY,
    DOCTYPES,
    MATERIAL_REQUEST,
    PURCHASE_ORDER,
    PURCHASE_ORDERS,
    ROLE_BUDGET,
    ROLE_ITEM_PRICE,
)
from .erpnext import OrderGateway

logger = logging.getLogger(__name__)

DEFAULT_PRICE_LIST = "Standard Buying"
OPTION_FIELDS = (
    "doctype",
    "price_list",
    "warehouse",
    "schedule_date",
    "delivery",
    "schedule_dates",
    "suppliers",
    "submit",
    "convert_to_stock_uom",
)
PRICES_UNREADABLE = (
    "Your ERPNext user may not read Item Price (that needs the {role} role): prices were "
    "asked through ERPNext's apply_price_list instead."
)


def require_order_role(*, user, project: Project) -> None:
    """Editors and admins of the project who are not global viewers: 403 for anyone else."""
    role = project_role_for(user=user, project=project)
    if role is None or ROLE_RANK[role] < ROLE_RANK[ProjectRole.EDITOR] or not user.can_edit:
        raise AccessDeniedError("Access denied: ordering needs the editor or admin role.")


# Options (the one box for API and form)


def clean_options(data: dict) -> dict:
    """The order options; a 400 names each bad field."""
    unknown = sorted(set(data) - set(OPTION_FIELDS))
    if unknown:
        raise ApplicationError(f"Unknown option(s): {', '.join(unknown)}.")
    errors: dict[str, list[str]] = {}
    options: dict[str, Any] = {}

    def check(name: str, clean) -> None:
        try:
            options[name] = clean(data.get(name))
        except ValidationError as exc:
            errors[name] = list(exc.messages)

    check("doctype", lambda v: _choice(v or PURCHASE_ORDER, DOCTYPES, "Document type"))
    check("delivery", lambda v: _choice(v or DELIVERY_PROJECT, DELIVERIES, "Delivery"))
    check("price_list", lambda v: _name(v, "Price list") or DEFAULT_PRICE_LIST)
    check("warehouse", lambda v: _name(v, "Warehouse"))
    check("schedule_date", lambda v: _date(v, "Required-by date") or _default_date())
    check("schedule_dates", lambda v: _mapping(v, "Required-by dates", _date))
    check("suppliers", lambda v: _mapping(v, "Suppliers", _name))
    check("submit", lambda v: _bool(v, "Submit"))
    check("convert_to_stock_uom", lambda v: _bool(v, "Convert to stock UOM"))
    if errors:
        detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in errors.items())
        raise ApplicationError(detail, extra={"errors": errors})
    return options


def _choice(value, choices, label: str) -> str:
    if value not in choices:
        raise ValidationError(f"{label} is one of: {', '.join(choices)}.")
    return value


def _name(value, label: str) -> str:
    return validators.clean_erpnext_name(value, label=label, required=False)


def _date(value, label: str) -> str:
    if value in (None, ""):
        return ""
    try:
        return dt.date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ValidationError(f"{label}: {value!r} is not a date (YYYY-MM-DD).") from None


def _default_date() -> str:
    return (timezone.localdate() + dt.timedelta(days=DEFAULT_LEAD_DAYS)).isoformat()


def _mapping(value, label: str, clean) -> dict[str, str]:
    if value in (None, ""):
        return {}
    if not isinstance(value, dict):
        raise ValidationError(f"{label} must be an object.")
    out = {}
    for key, item in value.items():
        cleaned = clean(item, f"{label} ({key})")
        if cleaned:
            out[str(key)] = cleaned
    return out


def _bool(value, label: str) -> bool:
    table = {True: True, False: False, None: False, "true": True, "false": False, "": False}
    key = value.strip().lower() if isinstance(value, str) else value
    if isinstance(key, int | float) and not isinstance(key, bool):
        raise ValidationError(f"{label} must be true or false.")
    if key not in table:
        raise ValidationError(f"{label} must be true or false.")
    return table[key]


# Reading ERPNext and planning (shared by the preview and the job)


def _linked(project: Project) -> ProjectLink:
    link = project_link(project=project)
    if link is None or not link.erpnext_project:
        raise ApplicationError(
            "Link this project to an ERPNext Project first: orders carry the Project on every row."
        )
    return link


def _groups(project: Project, version, options: dict) -> tuple[list[planning.Group], list]:
    """The delivery groups with their mapped lines, and the lines no rule maps."""
    rules = bom_selectors.mapping_rules_for(project=project)
    if options["delivery"] == DELIVERY_STOREY:
        storeys = selectors.storeys_of(version=version)
    else:
        storeys = [None]
    groups, unmapped = [], []
    for storey in storeys:
        mapped = map_lines(
            rules, bom_selectors.takeoff_mapping_lines(version=version, storey=storey)
        )
        key = storey or ""
        date = options["schedule_dates"].get(key) or options["schedule_date"]
        groups.append(planning.Group(key=key, schedule_date=date, lines=tuple(mapped.lines)))
        unmapped += [{**item.key, "storey": key, "reason": item.reason} for item in mapped.unmapped]
    return groups, unmapped


def _plan(
    *, project: Project, version, options: dict, link: ProjectLink, gateway: OrderGateway
) -> dict[str, Any]:
    """Read what ERPNext holds (a fixed number of requests, whatever the line count) and plan."""
    groups, unmapped = _groups(project, version, options)
    codes = sorted({line.item_code for group in groups for line in group.lines})
    company, currency = gateway.company(link.company or None)
    found = gateway.items_by_code(codes)
    items = {code.casefold(): row for code, row in found.items()}
    uom_names = {line.uom for group in groups for line in group.lines}
    uom_names |= {str(item.get("stock_uom") or "") for item in items.values()}
    uoms = uom_facts(gateway.uoms(n for n in uom_names if n))
    existing = [str(item.get("item_code") or item.get("name")) for item in items.values()]
    defaults = gateway.item_defaults(existing, company)
    ordered = gateway.ordered_rows(link.erpnext_project)
    requested = gateway.requested_rows(link.erpnext_project)
    prices = gateway.prices(existing, options["price_list"])
    warnings = [] if uoms.readable else [UOM_UNREADABLE]
    rule_suppliers = selectors.rule_suppliers(project=project)
    choices = planning.Choices(
        doctype=options["doctype"],
        price_list=options["price_list"],
        warehouse=options["warehouse"],
        suppliers=options["suppliers"],
        rule_suppliers=rule_suppliers,
        convert_to_stock_uom=options["convert_to_stock_uom"],
    )
    facts = planning.Facts(
        items=items,
        defaults=defaults,
        uoms=uoms,
        suppliers=set(),
        prices=prices,
        ordered=ordered,
        requested=requested,
    )
    title = {"project": project.name, "version": version.number}
    draft = planning.plan_orders(groups, facts, choices, title=title)
    named = {line["supplier"] for line in draft["lines"] if line["supplier"]}
    suppliers = gateway.suppliers(named)
    applied = {}
    if prices is None:
        warnings.append(PRICES_UNREADABLE.format(role=ROLE_ITEM_PRICE))
        wanted = [line for line in draft["lines"] if line["to_order"] > 0]
        rows = [{**line, "qty": line["to_order"]} for line in wanted]
        by_index = gateway.applied_prices(
            rows, company=company, price_list=options["price_list"], currency=currency
        )
        applied = {(wanted[i]["item_code"], wanted[i]["uom"]): rate for i, rate in by_index.items()}
    facts = dataclasses.replace(facts, suppliers=suppliers, applied=applied)
    plan = planning.plan_orders(groups, facts, choices, title=title)
    plan["warnings"] = [*warnings, *plan["warnings"]]
    plan.update(
        company=company,
        currency=currency,
        erpnext_project=link.erpnext_project,
        transaction_date=timezone.localdate().isoformat(),
        unmapped=unmapped,
        model_version=version.number,
        delivery=options["delivery"],
    )
    plan["_ordered"] = ordered
    return plan


def _budget(gateway: OrderGateway, plan: dict) -> dict[str, Any]:
    """What the project's budgets have left per expense account, where the user may read them:
    the budget less the amounts of submitted orders booked to that account."""
    rows = gateway.budgets(plan["erpnext_project"])
    if rows is None:
        return {
            "readable": False,
            "role": ROLE_BUDGET,
            "message": f"Your ERPNext user may not read Budget (that needs {ROLE_BUDGET}): "
            "ERPNext still checks the budget when an order is submitted.",
            "accounts": [],
        }
    committed: dict[str, float] = {}
    for row in plan["_ordered"]:
        if row.get("docstatus") == 1:
            account = str(row.get("expense_account") or "")
            committed[account] = committed.get(account, 0.0) + float(row.get("amount") or 0)
    accounts = []
    for row in rows:
        if not row.get("applicable_on_purchase_order") or not row.get("account"):
            continue
        amount = round(float(row.get("budget_amount") or 0), 2)
        used = round(committed.get(str(row["account"]), 0.0), 2)
        accounts.append(
            {
                "budget": row["name"],
                "fiscal_year": row.get("fiscal_year"),
                "account": row["account"],
                "amount": amount,
                "committed": used,
                "left": round(amount - used, 2),
                "action": row.get("action_if_annual_budget_exceeded_on_po") or "Stop",
                "exceeded_by_this_order": plan["total"] > round(amount - used, 2),
            }
        )
    return {"readable": True, "role": "", "message": "", "accounts": accounts}


def _public(plan: dict) -> dict[str, Any]:
    return {k: v for k, v in plan.items() if not k.startswith("_")}


# Preview (synchronous, read only)


def order_preview(*, project: Project, user, model_version, options: dict) -> dict[str, Any]:
    """The orders a create would place now: model / already ordered / to order per line, the
    over-order, rates with their source, rounding, budget left, and what stops a create."""
    require_order_role(user=user, project=project)
    options = clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = _linked(project)
    context = context_for(user=user, link=link)
    gateway = OrderGateway(context.client)
    with context.client, context.errors(what="the purchase orders", role="Purchase User"):
        plan = _plan(project=project, version=version, options=options, link=link, gateway=gateway)
        budget = _budget(gateway, plan) if options["doctype"] == PURCHASE_ORDER else None
    return {
        **_public(plan),
        "erpnext_site": context.site_url,
        "submit": options["submit"],
        "budget": budget,
        "http_requests": gateway.http_requests,
    }


# Start, resume, run


def order_run_start(*, project: Project, user, model_version, options: dict) -> Job:
    """Record an order run and queue it (202); it plans and writes in the background."""
    require_order_role(user=user, project=project)
    options = clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = _linked(project)
    context = context_for(user=user, link=link)  # fails now, not in the worker
    context.client.close()
    with transaction.atomic():
        jobs_fail_stalled(queryset=Job.objects.filter(project=project, kind=PURCHASE_ORDERS))
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


def order_may_place(*, user, project: Project) -> bool:
    """Whether the user may preview and place orders for the project."""
    try:
        require_order_role(user=user, project=project)
    except AccessDeniedError:
        return False
    return True


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
        link = _linked(job.project)
        if link.erpnext_project != job.params["erpnext_project"]:
            raise ApplicationError(
                "The project's ERPNext link changed since this run was started; start a new one."
            )
        plan = _public(
            _plan(
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


# For the pages


def doctype_label(doctype: str) -> str:
    """ "purchase orders" or "material requests"."""
    return "material requests" if doctype == MATERIAL_REQUEST else "purchase orders"
