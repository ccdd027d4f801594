"""The model estimate: the takeoff's mapped quantities x rates, per ERPNext Item, storey and
material, with the same rate sources as purchase orders (price list, last purchase rate, the
rule's rate: orders.planning), and its change between model versions.

``estimate_from_plan`` is pure (it works on an order plan); ``model_estimate_read`` reads what
ERPNext holds through the purchase orders' reading (a fixed number of requests, whatever the
line count); ``model_estimate`` is the service every door (and the IFC cost export) calls.

Quantities are the model's own (not rounded up to whole purchase units), so the estimate per
storey, per material and per Item all add up to the same total.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bom.links import ProjectLink, context_for
from bom.rows import RATE_DECIMALS
from orders.constants import DELIVERY_STOREY, PURCHASE_ORDER, RATE_NONE, ROLE_ITEM
from orders.erpnext import OrderGateway
from orders.planning import Group
from orders.services.options import DEFAULT_PRICE_LIST, clean_options
from orders.services.reading import order_plan_read, require_link
from projects.models import ModelVersion, Project

NO_MATERIAL = "(no material)"
NO_STOREY = "(no storey)"


def _money(value: float) -> float:
    return round(value, RATE_DECIMALS)


def _add(totals: dict[str, float], key: str, value: float) -> None:
    totals[key] = totals.get(key, 0.0) + value


def estimate_from_plan(plan: Mapping[str, Any]) -> dict[str, Any]:
    """The estimate of an order plan read with one delivery group per storey: per line (storey,
    Item, UOM) model quantity x rate; totals per Item, storey and material; what the model
    still needs that is not ordered (to order x rate); what is not priced and why; coverage
    (the share of takeoff lines, by class/type/material per storey, that are priced)."""
    groups: Sequence[Group] = plan.get("_groups") or ()
    sources: dict[tuple[str, str, str], list] = {}
    named: dict[tuple[str, str, str], tuple[str, str]] = {}
    for group in groups:
        for line in group.lines:
            key = (group.key, line.item_code.casefold(), line.uom.casefold())
            sources.setdefault(key, []).extend(line.sources)
            named[key] = (line.item_code, line.uom)
    lines, unpriced = [], []
    by_item: dict[str, dict[str, Any]] = {}
    by_storey: dict[str, float] = {}
    by_material: dict[str, float] = {}
    priced_sources = total_sources = 0
    still_needed = 0.0
    for line in plan["lines"]:
        rate = line["rate"]
        qty = float(line["model_qty"])
        mine = sources.pop(
            (line["group"], line["item_code"].casefold(), line["uom"].casefold()), []
        )
        total_sources += len(mine)
        storey = line["group"] or NO_STOREY
        if rate is None or line["rate_source"] == RATE_NONE:
            unpriced.append(
                {
                    "item_code": line["item_code"],
                    "uom": line["uom"],
                    "storey": storey,
                    "qty": qty,
                    "reason": "No rate: no price on the price list, no last purchase rate and "
                    "no rate on the mapping rule.",
                }
            )
            amount = None
        else:
            amount = rate * qty
            priced_sources += len(mine)
            still_needed += rate * float(line["to_order_raw"])
            _add(by_storey, storey, amount)
            item = by_item.setdefault(
                line["item_code"],
                {"item_code": line["item_code"], "amount": 0.0, "quantities": {}},
            )
            item["amount"] += amount
            _add(item["quantities"], line["uom"], qty)
            weight = sum(s.qty for s in mine)
            for source in mine:
                material = source.key.get("material") or NO_MATERIAL
                share = source.qty / weight if weight else 1.0 / len(mine)
                _add(by_material, material, amount * share)
        lines.append(
            {
                "storey": storey,
                "item_code": line["item_code"],
                "uom": line["uom"],
                "qty": qty,
                "ordered_qty": line["ordered_qty"],
                "rate": rate,
                "rate_source": line["rate_source"],
                "rate_from": line["rate_from"],
                "amount": None if amount is None else _money(amount),
                "elements": [
                    {**source.key, "rule_id": source.rule_id, "qty": source.qty} for source in mine
                ],
            }
        )
    # lines the placement refused: an Item that does not exist, a UOM without a factor
    reasons: dict[str, str] = {}
    for problem in plan.get("problems") or []:
        if problem.get("item_code") and ("group" in problem or problem.get("role") == ROLE_ITEM):
            reasons.setdefault(str(problem["item_code"]).casefold(), problem["error"])
    refused = 0
    for key, rest in sources.items():
        if not rest:
            continue
        refused += len(rest)
        code, uom = named[key]
        unpriced.append(
            {
                "item_code": code,
                "uom": uom,
                "storey": key[0] or NO_STOREY,
                "qty": round(sum(source.qty for source in rest), 6),
                "reason": reasons.get(key[1], "ERPNext cannot take this row."),
            }
        )
    unmapped = list(plan.get("unmapped") or [])
    all_lines = total_sources + refused + len(unmapped)
    total = sum(by_storey.values())
    return {
        "currency": plan.get("currency", ""),
        "price_list": plan.get("price_list", ""),
        "model_version": plan.get("model_version"),
        "total": _money(total),
        "still_needed": _money(still_needed),
        "coverage": {
            "takeoff_lines": all_lines,
            "priced_lines": priced_sources,
            "share": round(priced_sources / all_lines, 4) if all_lines else 1.0,
        },
        "by_item": sorted(
            (
                {**item, "amount": _money(item["amount"]), "quantities": item["quantities"]}
                for item in by_item.values()
            ),
            key=lambda item: (-item["amount"], item["item_code"]),
        ),
        "by_storey": _ranked(by_storey, "storey"),
        "by_material": _ranked(by_material, "material"),
        "lines": lines,
        "unpriced": unpriced,
        "unmapped": [
            {k: v for k, v in line.items() if k in ("ifc_class", "type_name", "material", "storey")}
            | {"storey": line.get("storey") or NO_STOREY, "reason": line["reason"]}
            for line in unmapped
        ],
        "warnings": list(plan.get("warnings") or []),
    }


def _ranked(totals: Mapping[str, float], name: str) -> list[dict[str, Any]]:
    rows = [{name: key, "amount": _money(value)} for key, value in totals.items()]
    return sorted(rows, key=lambda row: (-row["amount"], row[name]))


def estimate_delta(current: Mapping[str, Any], previous: Mapping[str, Any]) -> dict[str, Any]:
    """What changed between two estimates, per material and per Item, largest change first,
    with a sentence for each ("v5 adds 12,400.00 USD of Concrete")."""
    version = current.get("model_version")
    currency = current.get("currency", "")

    def compare(name: str, field: str) -> list[dict[str, Any]]:
        new = {row[field]: row["amount"] for row in current[name]}
        old = {row[field]: row["amount"] for row in previous[name]}
        rows = []
        for key in sorted(set(new) | set(old)):
            change = _money(new.get(key, 0.0) - old.get(key, 0.0))
            if change == 0:
                continue
            verb = "adds" if change > 0 else "removes"
            rows.append(
                {
                    field: key,
                    "previous": old.get(key, 0.0),
                    "current": new.get(key, 0.0),
                    "change": change,
                    "sentence": f"v{version} {verb} {abs(change):,.2f} {currency} of {key}",
                }
            )
        return sorted(rows, key=lambda row: (-abs(row["change"]), row[field]))

    return {
        "from_version": previous.get("model_version"),
        "to_version": version,
        "change": _money(current["total"] - previous["total"]),
        "by_material": compare("by_material", "material"),
        "by_item": compare("by_item", "item_code"),
    }


def estimate_options(price_list: str = DEFAULT_PRICE_LIST) -> dict[str, Any]:
    """The order options the estimate reads with: one group per storey, the price list."""
    return clean_options(
        {"doctype": PURCHASE_ORDER, "delivery": DELIVERY_STOREY, "price_list": price_list}
    )


def model_estimate_read(
    *,
    project: Project,
    version: ModelVersion,
    link: ProjectLink,
    gateway: OrderGateway,
    price_list: str = DEFAULT_PRICE_LIST,
) -> dict[str, Any]:
    """The estimate of one version, read through an open gateway (purchase orders' reads)."""
    plan = order_plan_read(
        project=project,
        version=version,
        options=estimate_options(price_list),
        link=link,
        gateway=gateway,
    )
    return estimate_from_plan(plan)


def model_estimate(
    *,
    project: Project,
    version: ModelVersion,
    user,
    previous: ModelVersion | None = None,
    price_list: str = DEFAULT_PRICE_LIST,
) -> dict[str, Any]:
    """The model estimate of a version, with the user's ERPNext (the project's link), and its
    change from ``previous`` when given. The caller checks that the user may read the project;
    ERPNext failures become ApplicationErrors with a sentence (erp.services.clients)."""
    link = require_link(project)
    context = context_for(user=user, link=link)
    gateway = OrderGateway(context.client)
    with context.client, context.errors(what="the cost estimate", role="Purchase User"):
        estimate = model_estimate_read(
            project=project, version=version, link=link, gateway=gateway, price_list=price_list
        )
        if previous is not None:
            before = model_estimate_read(
                project=project, version=previous, link=link, gateway=gateway, price_list=price_list
            )
            estimate["delta"] = estimate_delta(estimate, before)
    estimate["erpnext_site"] = context.site_url
    estimate["http_requests"] = gateway.http_requests
    return estimate
