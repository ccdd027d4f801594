"""From mapped lines to the rows ERPNext takes: UOM conversion, rounding, where each rate comes
from. Pure: works on what the gateway read, calls nothing.

ERPNext stores a row whose `uom` differs from the Item's stock UOM with conversion_factor 1
unless the request sends one, so every row carries the factor from the Item's `uoms` table;
a row in a UOM the Item has no factor for is an error, or (when the user asks) is converted
by us to the stock UOM where the takeoff's own SI unit is that stock UOM.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from .constants import PRICE_LIST_COSTING, QTY_DECIMALS, SI_UOMS
from .mapping import BomLine, Row, bom_rows

RATE_DECIMALS = 2  # ERPNext's default currency precision: Item Price and BOM rates are kept at it


@dataclass(frozen=True)
class UomFacts:
    """What we know of UOMs: the whole-number ones, and which exist (None: could not read)."""

    whole: frozenset[str]  # case-folded names
    existing: dict[str, str] | None  # case-folded -> ERPNext name; None when UOM is unreadable
    readable: bool = True

    def name(self, uom: str) -> str:
        return (self.existing or {}).get(uom.casefold(), uom)

    def exists(self, uom: str, items: Mapping[str, dict]) -> bool:
        """Known to ERPNext: read from UOM, or (when UOM is unreadable) used by an Item."""
        if self.existing is not None:
            return uom.casefold() in self.existing
        return any(uom.casefold() in item.get("uoms", {}) for item in items.values())


@dataclass
class Placement:
    """The rows to write, what stops them, and notes for the preview."""

    rows: list[Row]
    zero: list[BomLine]
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def item_uoms(rows: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """Fold Item list rows read with `uoms.uom, uoms.conversion_factor` (one row per child row)
    into one Item each, by item code, with ``uoms``: case-folded UOM -> (name, factor)."""
    items: dict[str, dict[str, Any]] = {}
    for row in rows:
        code = str(row.get("item_code") or row.get("name"))
        item = items.setdefault(
            code, {k: v for k, v in row.items() if k not in ("uom", "conversion_factor")}
        )
        item.setdefault("uoms", {})
        stock = str(row.get("stock_uom") or "")
        if stock:
            item["uoms"][stock.casefold()] = (stock, 1.0)
        uom, factor = row.get("uom"), row.get("conversion_factor")
        if uom and str(uom).casefold() != stock.casefold():
            item["uoms"][str(uom).casefold()] = (str(uom), float(factor or 0))
    return items


def place_lines(
    lines: Iterable[BomLine],
    items: Mapping[str, dict[str, Any]],
    uoms: UomFacts,
    *,
    convert: bool,
) -> Placement:
    """Each line in a UOM its Item can take, with the factor; rounded as the UOM requires.

    ``items`` are by case-folded item code; lines of Items still to be created are in the
    rule's UOM, which becomes their stock UOM.
    """
    placed: dict[tuple[str, str], BomLine] = {}
    factors: dict[tuple[str, str], tuple[float, str]] = {}
    errors: list[dict] = []
    for line in lines:
        item = items.get(line.item_code.casefold())
        uom, qty, rate, factor, converted_from = line.uom, line.qty, line.rate, 1.0, ""
        if item is not None:
            stock = str(item.get("stock_uom") or "")
            name, known = item.get("uoms", {}).get(line.uom.casefold(), ("", 0.0))
            if line.uom.casefold() == stock.casefold():
                uom = stock
            elif known > 0:
                uom, factor = name, known
            elif convert and (si := si_qty_in(line, stock)) is not None:
                uom, qty, converted_from = stock, si, line.uom
                rate = None if rate is None or si <= 0 else rate * line.qty / si
            else:
                errors.append(_no_factor(line, stock, convert=convert))
                continue
        key = (line.item_code, uom)
        if key in placed:
            placed[key].qty += qty
            placed[key].sources.extend(line.sources)
        else:
            placed[key] = BomLine(
                line.item_code, uom, qty, rate, line.item_name, list(line.sources)
            )
        factors[key] = (factor, converted_from)
    rows, zero = bom_rows(list(placed.values()), [u for u in uoms.whole])
    rows = [
        dataclasses.replace(
            row,
            conversion_factor=factors[(row.item_code, row.uom)][0],
            converted_from=factors[(row.item_code, row.uom)][1],
        )
        for row in rows
    ]
    placement = Placement(rows=rows, zero=zero, errors=errors)
    for row in rows:
        item = items.get(row.item_code.casefold())
        stock = str(item.get("stock_uom") or "") if item else ""
        stock_qty = round(row.qty * row.conversion_factor, QTY_DECIMALS)
        if stock and stock.casefold() in uoms.whole and stock_qty != int(stock_qty):
            errors.append(
                {
                    "item_code": row.item_code,
                    "error": f"{row.qty:g} {row.uom} is {stock_qty:g} {stock}, and {stock} must "
                    "be a whole number in ERPNext: map the line in "
                    f"{stock}, or round it in the rule.",
                }
            )
        if row.converted_from:
            placement.warnings.append(
                f"{row.item_code}: the rule's {row.converted_from} is sent as {row.qty:g} "
                f"{row.uom}, the Item's stock UOM (converted from the takeoff's SI quantity)."
            )
    return placement


def si_qty_in(line: BomLine, stock_uom: str) -> float | None:
    """The line's quantity in ``stock_uom`` when that is the SI unit of every source's
    quantity (kg for weight, m³ for volume...), else None: we know no other factor."""
    kinds = {source.quantity for source in line.sources}
    if len(kinds) != 1 or any(s.si_qty is None for s in line.sources):
        return None
    if stock_uom.casefold() not in SI_UOMS.get(kinds.pop(), ()):
        return None
    return sum(float(s.si_qty) for s in line.sources)


def _no_factor(line: BomLine, stock_uom: str, *, convert: bool) -> dict:
    how = (
        f"we cannot convert {line.uom} to {stock_uom} ourselves either (the takeoff's unit is "
        "not the stock UOM)"
        if convert
        else f"or choose to send such rows in the stock UOM ({stock_uom}), converted by us"
    )
    return {
        "item_code": line.item_code,
        "error": f"Item {line.item_code} has no conversion factor from {line.uom} to its stock "
        f"UOM {stock_uom} in ERPNext: add {line.uom} to the Item's UOMs, map the line in "
        f"{stock_uom}, {how}.",
    }


# Rates


@dataclass(frozen=True)
class RatePlan:
    """How the BOM is costed and where each row's rate comes from."""

    rm_cost_as_per: str
    price_list: str = ""
    sources: dict[tuple[str, str], str] = field(default_factory=dict)  # (item, uom) -> source
    rates: dict[tuple[str, str], float | None] = field(default_factory=dict)  # expected rate
    prices_to_insert: list[dict] = field(default_factory=list)
    prices_to_update: list[tuple[str, float]] = field(default_factory=list)  # (name, rate)


def plan_rates(
    rows: list[Row],
    items: Mapping[str, dict[str, Any]],
    *,
    price_list: str,
    prices: list[dict] | None,
    valuation_costing: str,
) -> tuple[RatePlan, list[str]]:
    """Valuation rates when no rule sets a rate; else a price list holding the rules' rates.

    ``prices`` are the Item Prices of the rows' Items on ``price_list`` (None when not read).
    Returns the plan and ERPNext's alerts we expect (a row that will cost 0).
    """
    with_rate = [row for row in rows if row.rate is not None]
    sources: dict[tuple[str, str], str] = {}
    rates: dict[tuple[str, str], float | None] = {}
    alerts: list[str] = []
    if not with_rate:
        for row in rows:
            item = items.get(row.item_code.casefold())
            valuation = float(item.get("valuation_rate") or 0) if item else 0.0
            rate = round(valuation * row.conversion_factor, RATE_DECIMALS)
            rates[(row.item_code, row.uom)] = rate
            sources[(row.item_code, row.uom)] = "the Item's valuation rate in ERPNext"
            if not rate:
                alerts.append(f"Valuation Rate not found for item {row.item_code}")
        return RatePlan(valuation_costing, sources=sources, rates=rates), alerts
    by_key = {}
    for price in prices or []:
        if not price.get("supplier") and not price.get("customer"):
            by_key[(str(price["item_code"]).casefold(), str(price.get("uom") or "").casefold())] = (
                price
            )
    inserts, updates = [], []
    for row in rows:
        key = (row.item_code, row.uom)
        found = by_key.get((row.item_code.casefold(), row.uom.casefold()))
        if row.rate is not None:
            rate = round(row.rate, RATE_DECIMALS)
            rates[key] = rate
            sources[key] = f"mapping rule, as an Item Price on {price_list}"
            if found is None:
                inserts.append(
                    {
                        "doctype": "Item Price",
                        "item_code": row.item_code,
                        "price_list": price_list,
                        "uom": row.uom,
                        "price_list_rate": rate,
                    }
                )
            elif round(float(found.get("price_list_rate") or 0), RATE_DECIMALS) != rate:
                updates.append((str(found["name"]), rate))
        else:
            rate = round(float(found.get("price_list_rate") or 0), RATE_DECIMALS) if found else 0.0
            rates[key] = rate
            sources[key] = f"the Item Price on {price_list} in ERPNext"
            if not rate:
                alerts.append(
                    f"Price not found for item {row.item_code} in price list {price_list}"
                )
    plan = RatePlan(
        PRICE_LIST_COSTING,
        price_list=price_list,
        sources=sources,
        rates=rates,
        prices_to_insert=inserts,
        prices_to_update=updates,
    )
    return plan, alerts


def total_cost(rows: Iterable[Row], rates: Mapping[tuple[str, str], float | None]) -> float:
    """The BOM's raw-material cost as ERPNext will compute it (qty x rate per row)."""
    return round(
        sum(row.qty * float(rates.get((row.item_code, row.uom)) or 0) for row in rows),
        RATE_DECIMALS,
    )
