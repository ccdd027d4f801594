"""Mapping rules and takeoff lines -> BOM rows and unmapped lines. Pure: no Django, no ERPNext.

A rule matches a line when its three patterns (IFC class, type name, material) match the
line's key, case-insensitively; ``*`` stands for any text (also none) and ``?`` for one
character. Project rules win over shared defaults, then higher priority, then the more
specific rule (fewer wildcards), then the older rule. Every line that no rule maps, or whose
rule asks for a quantity the line lacks, is returned as unmapped with the reason.
"""

from __future__ import annotations

import functools
import hashlib
import json
import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from .constants import MAX_PATTERN_LENGTH, QTY_DECIMALS, QUANTITY_KINDS

KEY_FIELDS = ("ifc_class", "type_name", "material")
_BUCKET_FIELDS = ("type_name", "material", "ifc_class")  # most selective first
_WILDCARDS = frozenset("*?")


@dataclass(frozen=True)
class Rule:
    """One mapping rule as the mapping sees it."""

    id: int | None
    item_code: str
    uom: str
    quantity: str = "count"
    ifc_class: str = "*"
    type_name: str = "*"
    material: str = "*"
    waste_factor: float = 0.0
    unit_factor: float = 1.0
    rate: float | None = None
    priority: int = 0
    shared: bool = False
    item_name: str = ""

    def matches(self, line: Line) -> bool:
        """Whether all three patterns match the line's key."""
        return all(
            wildcard_match(getattr(self, name), getattr(line, name) or "") for name in KEY_FIELDS
        )

    def sort_key(self) -> tuple:
        """Precedence: project before shared, priority, specificity, age (id)."""
        wildcards = sum(
            getattr(self, name).count("*") + getattr(self, name).count("?") for name in KEY_FIELDS
        )
        literal = sum(len(getattr(self, name).replace("*", "")) for name in KEY_FIELDS)
        return (self.shared, -self.priority, wildcards, -literal, self.id or 0)


@dataclass(frozen=True)
class Line:
    """One aggregated takeoff line (sums per IFC class, type name and material), SI units."""

    ifc_class: str | None
    type_name: str | None
    material: str | None
    count: float = 0.0
    length: float | None = None
    area: float | None = None
    volume: float | None = None
    weight: float | None = None
    element_count: int = 0

    @property
    def key(self) -> dict[str, str | None]:
        return {name: getattr(self, name) for name in KEY_FIELDS}

    def quantities(self) -> dict[str, float | None]:
        return {kind: getattr(self, kind) for kind in QUANTITY_KINDS}


@dataclass(frozen=True)
class Source:
    """What one takeoff line adds to a BOM row."""

    key: dict[str, str | None]
    rule_id: int | None
    quantity: str
    base: float  # the line's quantity in SI units
    qty: float  # after the unit factor and the waste factor
    si_qty: float | None = None  # after the waste factor, still in SI units


@dataclass
class BomLine:
    """One BOM row before rounding: the sum of the lines mapped to the same item and UOM."""

    item_code: str
    uom: str
    qty: float = 0.0
    rate: float | None = None
    item_name: str = ""
    sources: list[Source] = field(default_factory=list)


@dataclass(frozen=True)
class Unmapped:
    """A takeoff line that will not be on the BOM, and why."""

    key: dict[str, str | None]
    reason: str
    quantities: dict[str, float | None]
    element_count: int
    rule_id: int | None = None


@dataclass
class MappingResult:
    """BOM lines (ordered by item code and UOM) and the lines left out."""

    lines: list[BomLine]
    unmapped: list[Unmapped]


@dataclass(frozen=True)
class Row:
    """A BOM row as it is written to ERPNext: the quantity rounded as its UOM requires."""

    item_code: str
    uom: str
    qty: float
    raw_qty: float
    rounded_up: bool
    rate: float | None = None
    item_name: str = ""
    conversion_factor: float = 1.0  # from the row's UOM to the Item's stock UOM
    converted_from: str = ""  # the rule's UOM, when we converted the row to the stock UOM


def order_rules(rules: Iterable[Rule]) -> list[Rule]:
    """Rules in the order they are tried."""
    return sorted(rules, key=Rule.sort_key)


def map_lines(rules: Iterable[Rule], lines: Iterable[Line]) -> MappingResult:
    """Apply the first matching rule to each line and sum per (item_code, uom)."""
    ordered = order_rules(rules)
    # A rule with a literal pattern can only match lines with that value: file it under the
    # most selective such field, so a line is tried against few rules, still in order.
    buckets: dict[tuple[str, str], list[int]] = {}
    scan: list[int] = []
    for index, rule in enumerate(ordered):
        for name in _BUCKET_FIELDS:
            pattern = getattr(rule, name)
            if not _WILDCARDS & set(pattern):
                buckets.setdefault((name, pattern.casefold()), []).append(index)
                break
        else:
            scan.append(index)
    rows: dict[tuple[str, str], BomLine] = {}
    unmapped: list[Unmapped] = []
    for line in lines:
        candidates = list(scan)
        for name in _BUCKET_FIELDS:
            candidates += buckets.get((name, (getattr(line, name) or "").casefold()), ())
        best = next((i for i in sorted(candidates) if ordered[i].matches(line)), None)
        if best is None:
            unmapped.append(_unmapped(line, "No mapping rule matches this line."))
            continue
        rule = ordered[best]
        base = getattr(line, rule.quantity)
        if base is None:
            unmapped.append(
                _unmapped(line, f"The rule asks for {rule.quantity}; the line has none.", rule)
            )
            continue
        if not math.isfinite(base) or base <= 0:
            unmapped.append(_unmapped(line, f"The line's {rule.quantity} is {base:g}.", rule))
            continue
        qty = base * rule.unit_factor * (1 + rule.waste_factor)
        row = rows.get((rule.item_code, rule.uom))
        if row is None:
            row = rows[(rule.item_code, rule.uom)] = BomLine(
                rule.item_code, rule.uom, rate=rule.rate, item_name=rule.item_name
            )
        row.qty += qty
        si_qty = base * (1 + rule.waste_factor)
        row.sources.append(Source(line.key, rule.id, rule.quantity, base, qty, si_qty))
    return MappingResult(
        lines=[rows[key] for key in sorted(rows, key=lambda k: (k[0].casefold(), k[1]))],
        unmapped=unmapped,
    )


def _unmapped(line: Line, reason: str, rule: Rule | None = None) -> Unmapped:
    return Unmapped(
        key=line.key,
        reason=reason,
        quantities=line.quantities(),
        element_count=line.element_count,
        rule_id=rule.id if rule else None,
    )


def round_qty(qty: float, *, whole: bool) -> tuple[float, bool]:
    """The quantity ERPNext accepts: whole and rounded up for a "must be whole number" UOM,
    else at QTY_DECIMALS. Returns (qty, rounded_up)."""
    # Six decimals first: 12.0000000001 m³ of summed floats is 12, not 13.
    settled = round(qty, 6)
    if whole:
        value = float(math.ceil(settled))
        return value, value != settled
    return round(settled, QTY_DECIMALS), False


def bom_rows(
    lines: Sequence[BomLine], whole_number_uoms: Iterable[str]
) -> tuple[list[Row], list[BomLine]]:
    """Rows to write, and the lines whose quantity rounds to zero (left out, listed)."""
    whole = {u.casefold() for u in whole_number_uoms}
    rows, zero = [], []
    for line in lines:
        # Pieces are bought whole: a row made only of count rules rounds up (10 doors + 5 %).
        pieces = bool(line.sources) and all(s.quantity == "count" for s in line.sources)
        qty, rounded = round_qty(line.qty, whole=pieces or line.uom.casefold() in whole)
        if qty <= 0:
            zero.append(line)
            continue
        rows.append(
            Row(line.item_code, line.uom, qty, line.qty, rounded, line.rate, line.item_name)
        )
    return rows, zero


# Comparing with a BOM in ERPNext


@dataclass
class BomDiff:
    """Rows added, removed and changed between the BOM in ERPNext and the one we would write."""

    added: list[dict] = field(default_factory=list)
    removed: list[dict] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    unchanged: int = 0

    @property
    def is_empty(self) -> bool:
        return not (self.added or self.removed or self.changed)

    def as_dict(self) -> dict:
        return {
            "added": self.added,
            "removed": self.removed,
            "changed": self.changed,
            "unchanged": self.unchanged,
        }


def _sum_rows(rows: Iterable[Mapping]) -> dict[tuple[str, str], float]:
    sums: dict[tuple[str, str], float] = {}
    for row in rows:
        key = (str(row.get("item_code") or ""), str(row.get("uom") or ""))
        sums[key] = sums.get(key, 0.0) + float(row.get("qty") or 0)
    return sums


def diff_rows(desired: Iterable[Mapping], existing: Iterable[Mapping]) -> BomDiff:
    """Compare rows (item_code, uom, qty) per item and UOM, quantities at QTY_DECIMALS.

    Rows of one item and UOM are summed on both sides: a BOM edited by hand may split them.
    """
    want = _sum_rows(desired)
    have = _sum_rows(existing)
    diff = BomDiff()
    for key in sorted(set(want) | set(have), key=lambda k: (k[0].casefold(), k[1])):
        item_code, uom = key
        new, old = want.get(key), have.get(key)
        if old is None:
            diff.added.append({"item_code": item_code, "uom": uom, "qty": _q(new)})
        elif new is None:
            diff.removed.append({"item_code": item_code, "uom": uom, "qty": _q(old)})
        elif _q(new) != _q(old):
            diff.changed.append(
                {"item_code": item_code, "uom": uom, "old_qty": _q(old), "new_qty": _q(new)}
            )
        else:
            diff.unchanged += 1
    return diff


def _q(value: float | None) -> float | None:
    return None if value is None else round(value, QTY_DECIMALS)


def fingerprint(payload: object) -> str:
    """SHA-256 of a canonical JSON form: equal inputs give equal fingerprints."""
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(text.encode()).hexdigest()


# Patterns


def wildcard_match(pattern: str, text: str) -> bool:
    """Whether ``text`` matches ``pattern`` as a whole, case-insensitively: ``*`` is any text
    (also none), ``?`` one character, everything else literal.

    No regular expression: ``*`` as ``.*`` under fullmatch backtracks exponentially on
    ``*a*a*a...b``. The greedy two-pointer walk only ever returns to the last ``*``, so it
    takes at most len(pattern) x len(text) steps.
    """
    if len(pattern) > MAX_PATTERN_LENGTH:
        return False
    pattern, text = _folded(pattern), text.casefold()
    p = t = 0
    star, resume = -1, 0
    while t < len(text):
        if p < len(pattern) and pattern[p] in ("?", text[t]) and pattern[p] != "*":
            p, t = p + 1, t + 1
        elif p < len(pattern) and pattern[p] == "*":
            star, resume = p, t  # let the star match nothing first
            p += 1
        elif star >= 0:
            resume += 1  # the last star takes one more character; earlier ones stay as they are
            p, t = star + 1, resume
        else:
            return False
    return all(ch == "*" for ch in pattern[p:])


@functools.lru_cache(maxsize=4096)
def _folded(pattern: str) -> str:
    return re.sub(r"\*+", "*", pattern.casefold())


# Suggestions

_UOM_KINDS = {
    "volume": ("m³", "m3", "cubic meter", "cubic metre", "cbm", "litre", "liter"),
    "area": ("m²", "m2", "square meter", "square metre", "sqm"),
    "length": ("m", "meter", "metre", "mtr", "lm", "running meter"),
    "weight": ("kg", "kilogram", "tonne", "ton", "t", "gram"),
    "count": ("nos", "unit", "units", "piece", "pieces", "pcs", "each", "ea", "no", "set"),
}
_TOKEN = re.compile(r"[0-9a-zA-Z\u00c0-\u024f]+")


def quantity_kind_for_uom(uom: str) -> str | None:
    """The takeoff quantity a UOM most likely measures ("m³" -> volume), or None."""
    name = (uom or "").strip().casefold()
    for kind, names in _UOM_KINDS.items():
        if name in names:
            return kind
    return None


def _tokens(*texts: str | None) -> set[str]:
    words = set()
    for text in texts:
        for word in _TOKEN.findall(text or ""):
            word = word.casefold()
            if word.startswith("ifc") and len(word) > 3:
                word = word[3:]  # IfcWallStandardCase -> wallstandardcase
            if len(word) > 1:
                words.add(word)
    return words


def preferred_kind(line: Line) -> str:
    """The quantity a BOM row for this line would most likely use."""
    for kind in ("volume", "area", "length", "weight"):
        value = getattr(line, kind)
        if value is not None and value > 0:
            return kind
    return "count"


def suggest_items(
    line: Line, items: Sequence[Mapping], *, limit: int = 3
) -> list[dict[str, object]]:
    """ERPNext Items whose code or name shares words with the line, best first.

    ``items`` are rows with item_code, item_name and stock_uom. A UOM that measures a quantity
    the line has scores higher; the suggestion says which quantity and UOM a rule would use.
    """
    wanted = _tokens(line.type_name, line.material, line.ifc_class)
    if not wanted:
        return []
    scored = []
    for item in items:
        have = _tokens(str(item.get("item_code") or ""), str(item.get("item_name") or ""))
        common = wanted & have
        if not common:
            continue
        score = len(common) / len(wanted | have)
        kind = quantity_kind_for_uom(str(item.get("stock_uom") or ""))
        if kind is not None and (kind == "count" or getattr(line, kind) is not None):
            score += 0.25
        else:
            kind = preferred_kind(line) if kind is None else kind
        scored.append((score, str(item.get("item_code") or ""), item, kind))
    scored.sort(key=lambda entry: (-entry[0], entry[1].casefold()))
    return [
        {
            "item_code": item.get("item_code"),
            "item_name": item.get("item_name") or "",
            "stock_uom": item.get("stock_uom") or "",
            "quantity": kind,
            "score": round(score, 3),
        }
        for score, _, item, kind in scored[:limit]
    ]
