"""What ERPNext holds, read in a fixed number of requests, and the plan made from it; the
preview. Shared by the preview and the run."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.utils import timezone

from bom import selectors as bom_selectors
from bom.links import ProjectLink, context_for, project_link
from bom.mapping import map_lines
from bom.services import planning as bom_planning
from bom.services.engine import UOM_UNREADABLE, uom_facts
from openaec.exceptions import AccessDeniedError, ApplicationError
from projects.models import Project
from projects.permissions import require_project_writer
from projects.selectors import model_version_ready

from .. import planning, selectors
from ..constants import DELIVERY_STOREY, PURCHASE_ORDER, ROLE_BUDGET, ROLE_ITEM_PRICE
from ..erpnext import OrderGateway
from .options import clean_options

PRICES_UNREADABLE = (
    "Your ERPNext user may not read Item Price (that needs the {role} role): prices were "
    "asked through ERPNext's apply_price_list instead."
)


def require_order_role(*, user, project: Project) -> None:
    """The one write rule (projects.permissions): 403 for anyone who may not write here."""
    require_project_writer(user=user, project=project, doing="ordering")


def order_may_place(*, user, project: Project) -> bool:
    """Whether the user may preview and place orders for the project."""
    try:
        require_order_role(user=user, project=project)
    except AccessDeniedError:
        return False
    return True


def require_link(project: Project) -> ProjectLink:
    """The project's ERPNext link (400 when there is none: every row names the Project)."""
    link = project_link(project=project)
    if link is None or not link.erpnext_project:
        raise ApplicationError(
            "Link this project to an ERPNext Project first: orders carry the Project on every row."
        )
    return link


def _groups(
    project: Project, version, options: dict
) -> tuple[list[planning.Group], list, list[dict]]:
    """The delivery groups with their mapped lines, the lines no rule maps, and the mapped
    lines whose exported volume or area is implausible (both values, the one used)."""
    rules = bom_selectors.mapping_rules_for(project=project)
    if options["delivery"] == DELIVERY_STOREY:
        storeys = selectors.storeys_of(version=version)
    else:
        storeys = [None]
    choice = options["implausible_quantities"]
    groups, unmapped, flagged = [], [], []
    for storey in storeys:
        mapped = map_lines(
            rules,
            bom_selectors.takeoff_mapping_lines(version=version, storey=storey, implausible=choice),
        )
        key = storey or ""
        flagged += [
            {**note, "storey": key}
            for note in bom_planning.implausible_notes(
                version=version, mapping=mapped, choice=choice, storey=storey
            )
        ]
        date = options["schedule_dates"].get(key) or options["schedule_date"]
        groups.append(planning.Group(key=key, schedule_date=date, lines=tuple(mapped.lines)))
        unmapped += [{**item.key, "storey": key, "reason": item.reason} for item in mapped.unmapped]
    return groups, unmapped, flagged


def order_plan_read(
    *, project: Project, version, options: dict, link: ProjectLink, gateway: OrderGateway
) -> dict[str, Any]:
    """Read what ERPNext holds (a fixed number of requests, whatever the line count) and plan."""
    groups, unmapped, flagged = _groups(project, version, options)
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
    implausible = bom_planning.implausible_warning(flagged, options["implausible_quantities"])
    warnings += [implausible] if implausible else []
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
        # every line the model needs, also those already ordered: the cost estimate prices them
        wanted = [line for line in draft["lines"] if line["model_qty"] > 0]
        rows = [{**line, "qty": line["to_order"] or line["model_qty"]} for line in wanted]
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
        implausible_quantities=options["implausible_quantities"],
        implausible=flagged,
    )
    plan["_ordered"] = ordered
    plan["_groups"] = groups
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


def plan_public(plan: dict) -> dict[str, Any]:
    """The plan without what was read only to compute it (keys starting with "_")."""
    return {k: v for k, v in plan.items() if not k.startswith("_")}


# Preview (synchronous, read only)


def order_preview(*, project: Project, user, model_version, options: dict) -> dict[str, Any]:
    """The orders a create would place now: model / already ordered / to order per line, the
    over-order, rates with their source, rounding, budget left, and what stops a create."""
    require_order_role(user=user, project=project)
    options = clean_options(options)
    version = model_version_ready(project=project, number=model_version)
    link = require_link(project)
    context = context_for(user=user, link=link)
    gateway = OrderGateway(context.client)
    with context.client, context.errors(what="the purchase orders", role="Purchase User"):
        plan = order_plan_read(
            project=project, version=version, options=options, link=link, gateway=gateway
        )
        budget = _budget(gateway, plan) if options["doctype"] == PURCHASE_ORDER else None
    return {
        **plan_public(plan),
        "erpnext_site": context.site_url,
        "submit": options["submit"],
        "budget": budget,
        "http_requests": gateway.http_requests,
    }
