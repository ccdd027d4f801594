"""From mapped takeoff lines and what ERPNext holds to the orders still to place. Pure: works on
what the gateway read, calls nothing.

The rows are placed as the BOM places them (bom.rows.place_lines: the Item's UOM and conversion
factor, whole-number UOMs), then only the delta is ordered: what the project's open orders and
requests already hold is subtracted per item in the stock UOM, delivery groups taking it in
their date order. A model that shrank shows the over-order; no line is ever negative.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bom.mapping import BomLine, round_qty
from bom.rows import RATE_DECIMALS, UomFacts, place_lines

from .constants import (
    MARKER_HEX,
    MARKER_PREFIX,
    RATE_LAST_PURCHASE,
    RATE_NONE,
    RATE_PRICE_LIST,
    RATE_RULE,
    RATE_SOURCES,
    ROLE_ITEM,
    ROLE_SUPPLIER,
    TITLE_MAX,
)

QTY_SHOWN = 6  # decimals of the quantities the preview shows


@dataclass(frozen=True)
class Group:
    """One delivery: its lines (already mapped) and the date they are required by."""

    key: str  # "" for the whole project, else the storey
    schedule_date: str
    lines: tuple[BomLine, ...]


@dataclass(frozen=True)
class Facts:
    """What ERPNext told us, for the planning."""

    items: Mapping[str, dict[str, Any]]  # case-folded code -> Item with uoms (bom.rows)
    defaults: Mapping[str, dict[str, Any]]  # code -> purchase_uom, last rate, default supplier
    uoms: UomFacts
    suppliers: set[str]  # the named suppliers that exist
    prices: list[dict[str, Any]] | None  # Item Prices on the price list; None: unreadable
    ordered: list[dict[str, Any]]  # the project's PO rows (not cancelled)
    requested: list[dict[str, Any]]  # the project's open MR rows
    applied: Mapping[tuple[str, str], float] = field(default_factory=dict)  # via the method


@dataclass(frozen=True)
class Choices:
    """What the user and the rules decide."""

    doctype: str
    price_list: str
    warehouse: str = ""
    suppliers: Mapping[str, str] = field(default_factory=dict)  # item code -> supplier
    rule_suppliers: Mapping[int, str] = field(default_factory=dict)  # rule id -> supplier
    convert_to_stock_uom: bool = False


def marker(job_hex: str, number: int) -> str:
    """The marker of one order of a run: found again by a retry before it inserts."""
    return f"{MARKER_PREFIX}{job_hex[:MARKER_HEX]}-{number}"


def run_marker(job_hex: str) -> str:
    """What every marker of a run starts with."""
    return f"{MARKER_PREFIX}{job_hex[:MARKER_HEX]}-"


def order_title(*, supplier: str, project: str, version: int, group: str, mark: str) -> str:
    """A readable title that ends in the marker, cut to Frappe's 140 characters."""
    head = " · ".join(p for p in (supplier or "?", f"{project} v{version}", group) if p)
    room = TITLE_MAX - len(mark) - 1
    return f"{head[:room]} {mark}"


def ordered_stock_qty(ordered: Iterable[Mapping], requested: Iterable[Mapping]) -> dict:
    """Stock quantity per item code already on order or requested. A PO row made from a
    Material Request is counted through that request's row, not twice."""
    totals: dict[str, float] = {}
    documents: dict[str, list[str]] = {}
    for row in [*ordered, *requested]:
        if row.get("material_request"):
            continue
        code = str(row.get("item_code") or "")
        totals[code] = totals.get(code, 0.0) + float(row.get("stock_qty") or 0)
        names = documents.setdefault(code, [])
        if row.get("name") and row["name"] not in names:
            names.append(str(row["name"]))
    return {"totals": totals, "documents": documents}


def plan_orders(
    groups: Sequence[Group], facts: Facts, choices: Choices, *, title: Mapping[str, Any]
) -> dict[str, Any]:
    """The orders still to place, with a line per item, UOM and group (model / ordered / to
    order), the over-order, and the problems that stop a create (each naming the role)."""
    groups = sorted(groups, key=lambda g: (g.schedule_date, g.key))
    held = ordered_stock_qty(facts.ordered, facts.requested)
    left = dict(held["totals"])  # what is still to be matched against the model
    problems: list[dict] = []
    warnings: list[str] = []
    lines: list[dict] = []
    model_stock: dict[str, float] = {}
    slack: dict[str, float] = {}  # per item: one whole unit of each whole-number row, in stock
    missing_items: set[str] = set()
    for group in groups:
        known = [line for line in group.lines if line.item_code.casefold() in facts.items]
        missing_items |= {line.item_code for line in group.lines} - {
            line.item_code for line in known
        }
        by_rule = _rule_suppliers(known, choices)
        placed = place_lines(known, facts.items, facts.uoms, convert=choices.convert_to_stock_uom)
        problems += [{**error, "group": group.key} for error in placed.errors]
        warnings += placed.warnings
        for row in placed.rows:
            item = facts.items[row.item_code.casefold()]
            code = str(item.get("item_code") or item.get("name") or row.item_code)
            stock_uom = str(item.get("stock_uom") or row.uom)
            factor = row.conversion_factor or 1.0
            wanted = row.raw_qty * factor
            model_stock[code] = model_stock.get(code, 0.0) + wanted
            if _whole(facts, row.uom):
                slack[code] = slack.get(code, 0.0) + factor
            taken = min(left.get(code, 0.0), wanted)
            left[code] = left.get(code, 0.0) - taken
            qty, rounded = round_qty((wanted - taken) / factor, whole=_whole(facts, row.uom))
            supplier, supplier_source = _supplier(code, by_rule, facts, choices)
            lines.append(
                {
                    "group": group.key,
                    "schedule_date": group.schedule_date,
                    "item_code": code,
                    "uom": row.uom,
                    "stock_uom": stock_uom,
                    "conversion_factor": factor,
                    "model_qty": round(row.raw_qty, QTY_SHOWN),
                    "ordered_qty": round(taken / factor, QTY_SHOWN),
                    "to_order_raw": round((wanted - taken) / factor, QTY_SHOWN),
                    "to_order": qty,
                    "rounded_up": rounded,
                    "stock_qty": round(qty * factor, QTY_SHOWN),
                    "supplier": supplier,
                    "supplier_source": supplier_source,
                    "rule_rate": row.rate,
                }
            )
    _rates(lines, facts, choices)
    for code in sorted(missing_items):
        problems.append(
            {
                "item_code": code,
                "error": f"Item {code} does not exist in ERPNext: create it there (creating "
                f"Items needs the {ROLE_ITEM} role), or map the lines to an existing Item.",
                "role": ROLE_ITEM,
            }
        )
    problems += _supplier_problems(lines, facts)
    orders = _orders(lines, choices, title)
    over = [
        {
            "item_code": code,
            "ordered_stock_qty": round(total, QTY_SHOWN),
            "model_stock_qty": round(model_stock.get(code, 0.0), QTY_SHOWN),
            "over_ordered_stock_qty": round(total - model_stock.get(code, 0.0), QTY_SHOWN),
            # less than one whole unit per row: what rounding up to whole boxes ordered
            "rounding_only": total - model_stock.get(code, 0.0) < slack.get(code, 0.0),
            "documents": held["documents"].get(code, []),
        }
        for code, total in sorted(held["totals"].items())
        if round(total - model_stock.get(code, 0.0), 3) > 0
    ]
    if any(line["rate_source"] == RATE_NONE for line in lines if line["to_order"] > 0):
        warnings.append(
            "Some lines have no rate: ERPNext will order them at its price-list rate, or at 0 "
            f"when {choices.price_list} has no price for them."
        )
    return {
        "doctype": choices.doctype,
        "price_list": choices.price_list,
        "lines": lines,
        "orders": orders,
        "over_ordered": over,
        "problems": problems,
        "warnings": list(dict.fromkeys(warnings)),
        "rounding": [
            {k: line[k] for k in ("item_code", "uom", "group", "to_order_raw", "to_order")}
            for line in lines
            if line["rounded_up"]
        ],
        "total": round(sum(order["total"] for order in orders), RATE_DECIMALS),
    }


def _whole(facts: Facts, uom: str) -> bool:
    return uom.casefold() in facts.uoms.whole


def _rule_suppliers(lines: Iterable[BomLine], choices: Choices) -> dict[str, str]:
    """Item code -> the supplier of the first rule (in the lines' order) that names one."""
    out: dict[str, str] = {}
    for line in lines:
        for source in line.sources:
            supplier = choices.rule_suppliers.get(source.rule_id or 0)
            if supplier:
                out.setdefault(line.item_code.casefold(), supplier)
    return out


def _supplier(
    code: str, by_rule: Mapping[str, str], facts: Facts, choices: Choices
) -> tuple[str, str]:
    """The user's choice, else the rule's supplier, else the Item's default supplier."""
    if choices.suppliers.get(code):
        return choices.suppliers[code], "chosen"
    if by_rule.get(code.casefold()):
        return by_rule[code.casefold()], "rule"
    default = (facts.defaults.get(code) or {}).get("default_supplier") or ""
    return (default, "item_default") if default else ("", "")


def _supplier_problems(lines: list[dict], facts: Facts) -> list[dict]:
    problems = []
    without = sorted({ln["item_code"] for ln in lines if ln["to_order"] > 0 and not ln["supplier"]})
    for code in without:
        problems.append(
            {
                "item_code": code,
                "error": f"No supplier for {code}: choose one (or set it on the mapping rule, "
                "or as the Item's default supplier in ERPNext).",
                "role": "",
            }
        )
    unknown = sorted(
        {ln["supplier"] for ln in lines if ln["supplier"] and ln["supplier"] not in facts.suppliers}
    )
    for supplier in unknown:
        problems.append(
            {
                "item_code": None,
                "supplier": supplier,
                "error": f"Supplier {supplier} does not exist in ERPNext: create it there "
                f"(creating Suppliers needs the {ROLE_SUPPLIER} role), or choose another.",
                "role": ROLE_SUPPLIER,
            }
        )
    return problems


def _rates(lines: list[dict], facts: Facts, choices: Choices) -> None:
    """Each line's rate and where it comes from: the price list (in the row's UOM, or the
    stock-UOM price times the factor; a supplier's own price first), else the Item's last
    purchase rate (kept per stock UOM), else the rule's rate."""
    prices: dict[tuple[str, str, str], float] = {}
    for price in facts.prices or []:
        if price.get("customer"):
            continue
        key = (
            str(price["item_code"]).casefold(),
            str(price.get("uom") or "").casefold(),
            str(price.get("supplier") or ""),
        )
        prices[key] = float(price.get("price_list_rate") or 0)
    for line in lines:
        code, uom, supplier = line["item_code"].casefold(), line["uom"].casefold(), line["supplier"]
        stock = line["stock_uom"].casefold()
        factor = line["conversion_factor"]
        rate, source = None, RATE_NONE
        for who in (supplier, ""):
            if (code, uom, who) in prices:
                rate = prices[(code, uom, who)]
            elif (code, stock, who) in prices:
                rate = prices[(code, stock, who)] * factor
            if rate is not None:
                source = RATE_PRICE_LIST
                break
        if rate is None and (line["item_code"], line["uom"]) in facts.applied:
            rate, source = facts.applied[(line["item_code"], line["uom"])], RATE_PRICE_LIST
        last = (facts.defaults.get(line["item_code"]) or {}).get("last_purchase_rate") or 0
        if rate is None and last:
            rate, source = last * factor, RATE_LAST_PURCHASE
        if rate is None and line["rule_rate"] is not None:
            rate, source = float(line["rule_rate"]), RATE_RULE
        line["rate"] = None if rate is None else round(rate, RATE_DECIMALS)
        line["rate_source"] = source
        line["rate_from"] = RATE_SOURCES[source].format(price_list=choices.price_list)
        line["amount"] = round((line["rate"] or 0) * line["to_order"], RATE_DECIMALS)


def _orders(lines: list[dict], choices: Choices, title: Mapping[str, Any]) -> list[dict]:
    """One order per supplier and delivery group, numbered in a stable order."""
    by_key: dict[tuple[str, str, str], list[dict]] = {}
    for line in lines:
        if line["to_order"] > 0 and line["supplier"]:
            key = (line["schedule_date"], line["group"], line["supplier"])
            by_key.setdefault(key, []).append(line)
    orders = []
    for number, ((date, group, supplier), rows) in enumerate(sorted(by_key.items()), start=1):
        orders.append(
            {
                "number": number,
                "supplier": supplier,
                "group": group,
                "schedule_date": date,
                "warehouse": choices.warehouse,
                "rows": [
                    {
                        k: line[k]
                        for k in (
                            "item_code",
                            "uom",
                            "conversion_factor",
                            "stock_uom",
                            "rate",
                            "rate_source",
                            "amount",
                        )
                    }
                    | {"qty": line["to_order"]}
                    for line in rows
                ],
                "total": round(sum(line["amount"] for line in rows), RATE_DECIMALS),
                "title_head": {**title, "supplier": supplier, "group": group},
            }
        )
    return orders


def order_doc(order: Mapping[str, Any], *, plan: Mapping[str, Any], mark: str) -> dict[str, Any]:
    """The document to insert for one planned order: `project` on the header (PO) and on every
    row, `uom` and the Item's factor always sent (a row without uom is in the purchase UOM)."""
    head = order["title_head"]
    doc: dict[str, Any] = {
        "company": plan["company"],
        "title": order_title(
            supplier=order["supplier"] if plan["doctype"] == "Purchase Order" else "",
            project=head["project"],
            version=head["version"],
            group=order["group"],
            mark=mark,
        ),
        "transaction_date": plan["transaction_date"],
        "schedule_date": order["schedule_date"],
    }
    rows = []
    for row in order["rows"]:
        out = {
            "item_code": row["item_code"],
            "qty": row["qty"],
            "uom": row["uom"],
            "conversion_factor": row["conversion_factor"],
            "schedule_date": order["schedule_date"],
            "project": plan["erpnext_project"],
        }
        if order.get("warehouse"):
            out["warehouse"] = order["warehouse"]
        if plan["doctype"] == "Purchase Order" and row.get("rate") is not None:
            out["rate"] = row["rate"]
        rows.append(out)
    doc["items"] = rows
    if plan["doctype"] == "Purchase Order":
        doc.update(
            supplier=order["supplier"],
            project=plan["erpnext_project"],
            buying_price_list=plan["price_list"],
        )
    else:
        doc["material_request_type"] = "Purchase"
    return doc


def line_key(line: Mapping[str, Any]) -> tuple[str, str, str]:
    """How a planned line is named: item, UOM, group."""
    return (line["item_code"], line["uom"], line["group"])
