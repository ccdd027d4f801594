"""A BOM's content as ERPNext holds it and as we would write it: compare, fingerprint, name
the rows ERPNext refused. Pure: no Django, no ERPNext calls."""

from __future__ import annotations

import re
from collections.abc import Iterable

from integrations.erpnext.errors import ErpnextValidationError

from .constants import PRICE_LIST_COSTING, QTY_DECIMALS
from .mapping import Row, diff_rows, fingerprint
from .rows import RATE_DECIMALS

_ROW_NUMBER = re.compile(r"\brow\s*#?\s*(\d+)", re.IGNORECASE)


def current_bom(boms: list[dict]) -> dict | None:
    """The BOM that is default now (submitted), else the newest active draft."""
    for row in reversed(boms):
        if int(row.get("docstatus") or 0) == 1 and row.get("is_default") and row.get("is_active"):
            return row
    return next((b for b in reversed(boms) if b.get("is_active")), None)


def same_content(doc: dict, payload: dict) -> bool:
    """Whether a BOM from ERPNext holds what the payload would write: header, rows with their
    UOM conversion, costing, and the rates the rules set (ERPNext sets the others itself)."""
    if int(doc.get("docstatus") or 0) == 2 or not doc.get("is_active"):
        return False
    for key in ("item", "company", "currency", "rm_cost_as_per", "buying_price_list"):
        differs = str(doc.get(key) or "").casefold() != str(payload.get(key) or "").casefold()
        # The price list matters only when the BOM is costed from it.
        costed_from_list = payload["rm_cost_as_per"] == PRICE_LIST_COSTING
        if differs and (key != "buying_price_list" or costed_from_list):
            return False
    if str(doc.get("project") or "") != str(payload.get("project") or ""):
        return False
    if round(float(doc.get("quantity") or 0), QTY_DECIMALS) != float(payload["quantity"]):
        return False
    rows = doc.get("items") or []
    if _row_terms(rows, with_rates=payload["items"]) != _row_terms(payload["items"]):
        return False
    return diff_rows(payload["items"], rows).is_empty


def _row_terms(rows: list[dict], with_rates: list[dict] | None = None) -> set[tuple]:
    """(item, uom, conversion factor, rate) per row; the rate only where the rules set one."""
    rated = {
        (str(r["item_code"]), str(r["uom"]))
        for r in (rows if with_rates is None else with_rates)
        if r.get("rate") is not None
    }
    return {
        (
            str(r.get("item_code")),
            str(r.get("uom")),
            round(float(r.get("conversion_factor") or 1), 6),
            round(float(r.get("rate") or 0), RATE_DECIMALS)
            if (str(r.get("item_code")), str(r.get("uom"))) in rated
            else None,
        )
        for r in rows
    }


def content_fingerprint(payload: dict) -> str:
    """Fingerprint of a BOM's content as same_content() compares it."""
    return fingerprint(
        {
            "header": [
                payload.get(k) or ""
                for k in (
                    "item",
                    "company",
                    "currency",
                    "project",
                    "rm_cost_as_per",
                    "buying_price_list",
                )
            ],
            "rows": sorted(
                [r["item_code"], r["uom"], round(float(r["qty"]), QTY_DECIMALS)]
                for r in payload["items"]
            ),
            "terms": sorted(map(str, _row_terms(payload["items"]))),
        }
    )


def row_errors(exc: ErpnextValidationError, payload: dict) -> list[dict]:
    """ERPNext's refusal of a BOM, per item: "Row 3: ..." names the third row's item."""
    rows = payload["items"]
    message = exc.message or str(exc)
    match = _ROW_NUMBER.search(message)
    if match and 1 <= int(match.group(1)) <= len(rows):
        row = rows[int(match.group(1)) - 1]
        return [{"item_code": row["item_code"], "row": int(match.group(1)), "error": message}]
    named = [r["item_code"] for r in rows if r["item_code"] and r["item_code"] in message]
    if named:
        return [{"item_code": code, "error": message} for code in dict.fromkeys(named)]
    return [{"item_code": None, "error": message}]


def rounding_notes(rows: Iterable[Row]) -> list[dict]:
    """Rows rounded up to a whole number for their UOM."""
    return [
        {"item_code": r.item_code, "uom": r.uom, "qty": r.qty, "raw_qty": round(r.raw_qty, 6)}
        for r in rows
        if r.rounded_up
    ]


def by_name(rows: list[dict], name: str | None) -> dict | None:
    return next((row for row in rows if name and row.get("name") == name), None)
