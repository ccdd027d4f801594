"""The BOM sync against one ERPNext site: look up, create missing Items, write or reuse the BOM.

Round trips, for a takeoff whose BOM rows are N items:

* first sync: Items by code (1 POST get_list), UOMs (1), Company (1, only when the currency
  is not known yet), missing Items (1 insert_many per 200), the BOM with all its rows, inserted
  submitted when asked (1). The BOM list is read only when the assembly item already existed;
* unchanged re-sync: 1 read (the assembly item's BOM list), 0 writes: the input fingerprint
  equals the last successful run's and our BOM is still default and unmodified in ERPNext.

Idempotency: Items are found by item code before they are created; before a BOM is inserted
the names of the item's BOMs are saved, so after a lost response (or on resume) a new BOM
with exactly our content is taken as ours instead of being written twice.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from integrations.erpnext.client import INSERT_MANY_LIMIT
from integrations.erpnext.errors import (
    ErpnextConflict,
    ErpnextNetworkError,
    ErpnextPermissionError,
    ErpnextValidationError,
)
from openaec.exceptions import ApplicationError

from ..constants import (
    DEFAULT_ITEM_GROUP,
    DEFAULT_PRICE_LIST,
    DEFAULT_RM_COST_AS_PER,
    ERPNEXT_WHOLE_NUMBER_UOMS,
    PRICE_LIST_COSTING,
    QTY_DECIMALS,
    Outcome,
)
from ..content import by_name as _by_name
from ..content import content_fingerprint, current_bom, rounding_notes, row_errors, same_content
from ..erpnext import BomGateway, UnknownCompanyError
from ..mapping import BomLine, Row, diff_rows, fingerprint
from ..rows import RATE_DECIMALS, RatePlan, UomFacts, place_lines, plan_rates, total_cost

ASSEMBLY_UOM = "Nos"
UOM_UNREADABLE = (
    "Your ERPNext user may not read UOM (that needs Item Manager, Stock Manager or Stock User): "
    "the UOMs are taken from the Items' conversion tables, and Box, Nos, Pair, Set and Unit are "
    "taken as whole-number UOMs, as ERPNext ships them."
)


def uom_facts(flags: dict[str, bool] | None) -> UomFacts:
    """UomFacts from the UOM list read (name -> must be whole number); None when the user may
    not read UOM: then ERPNext's shipped whole-number UOMs are assumed (UOM_UNREADABLE)."""
    if flags is None:
        return UomFacts(
            whole=frozenset(u.casefold() for u in ERPNEXT_WHOLE_NUMBER_UOMS),
            existing=None,
            readable=False,
        )
    return UomFacts(
        whole=frozenset(n.casefold() for n, whole in flags.items() if whole),
        existing={n.casefold(): n for n in flags},
    )


class Recorder(Protocol):
    """Where a sync reports progress, the documents it made and its checkpoint."""

    def progress(self, percent: int, phase: str) -> None: ...

    def document(self, doctype: str, name: str, action: str) -> None: ...

    def checkpoint(self, data: dict) -> None: ...


class NullRecorder:
    """For the dry run: nothing to record."""

    def progress(self, percent: int, phase: str) -> None:
        """Ignore."""

    def document(self, doctype: str, name: str, action: str) -> None:
        """Ignore."""

    def checkpoint(self, data: dict) -> None:
        """Ignore."""


class LineErrors(Exception):
    """Lines ERPNext cannot take (or refused); each names the item and the reason."""

    def __init__(self, errors: list[dict]) -> None:
        self.errors = errors
        first = errors[0]
        head = f"{first['item_code']}: " if first.get("item_code") else ""
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        super().__init__(f"{head}{first['error']}{more}")


@dataclass(frozen=True)
class Target:
    """What the BOM should be: header, options and the mapped lines (before rounding)."""

    assembly_item: str
    assembly_item_name: str
    lines: tuple[BomLine, ...]
    item_group: str
    company: str = ""
    currency: str = ""
    erpnext_project: str = ""
    submit: bool = False
    create_missing_items: bool = False
    convert_to_stock_uom: bool = False
    price_list: str = DEFAULT_PRICE_LIST

    def input_fingerprint(self) -> str:
        """Equal for equal inputs: the unchanged re-sync is decided on it."""
        return fingerprint(
            {
                "item": self.assembly_item,
                "company": self.company,
                "currency": self.currency,
                "project": self.erpnext_project,
                "submit": self.submit,
                "convert": self.convert_to_stock_uom,
                "price_list": self.price_list,
                "lines": [
                    [line.item_code, line.uom, round(line.qty, 6), line.rate] for line in self.lines
                ],
            }
        )


@dataclass(frozen=True)
class Previous:
    """What the last successful sync of this project left in ERPNext."""

    fingerprint: str
    bom_name: str
    bom_modified: str
    content_fingerprint: str
    company: str = ""
    currency: str = ""
    rounding: list[dict] = field(default_factory=list)
    # (BOM name, modified, content fingerprint) of the BOMs earlier successful syncs made.
    earlier: tuple[tuple[str, str, str], ...] = ()


@dataclass
class Inspection:
    """What ERPNext has for the target: Items, UOMs, rounded rows and what stops a sync."""

    items: dict[str, dict[str, Any]]  # by item code, case-folded, each with its "uoms"
    uoms: UomFacts
    rows: list[Row]
    zero: list[BomLine]
    missing_items: list[str]
    assembly_exists: bool
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    rates: RatePlan = field(default_factory=lambda: RatePlan(DEFAULT_RM_COST_AS_PER))
    alerts: list[str] = field(default_factory=list)  # what ERPNext will alert, as we foresee it

    def item_name(self, code: str) -> str:
        """The ERPNext name an Item link takes (the item code, unless a naming series)."""
        item = self.items.get(code.casefold())
        return str(item.get("name") or code) if item else code

    def uom_name(self, uom: str) -> str:
        return self.uoms.name(uom)

    def total_cost(self) -> float:
        """The BOM's raw-material cost as ERPNext will compute it."""
        return total_cost(self.rows, self.rates.rates)


@dataclass
class Result:
    """How a sync ended."""

    outcome: str
    bom_name: str = ""
    bom_modified: str = ""
    bom_docstatus: int | None = None
    content_fingerprint: str = ""
    company: str = ""
    currency: str = ""
    rounding: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    alerts: list[str] = field(default_factory=list)  # ERPNext's alerts on our successful writes


class BomSync:
    """One sync (or dry run) of a target to ERPNext through a gateway."""

    def __init__(
        self,
        gateway: BomGateway,
        target: Target,
        *,
        previous: Previous | None = None,
        checkpoint: dict | None = None,
        recorder: Recorder | None = None,
    ) -> None:
        self.gw = gateway
        self.target = target
        self.previous = previous
        self.state = dict(checkpoint or {})
        self.recorder = recorder or NullRecorder()
        self.company = target.company or self.state.get("company", "")
        self.currency = target.currency or self.state.get("currency", "")
        self.conversion_rate = float(self.state.get("conversion_rate") or 0)
        self.item_errors: list[dict] = []

    # ------------------------------------------------------------------ the sync

    def run(self) -> Result:
        """Bring ERPNext to the target, writing only what differs."""
        boms = None
        if self.previous and self.previous.fingerprint == self.target.input_fingerprint():
            self.recorder.progress(5, "Checking the BOM in ERPNext")
            boms = self.gw.boms_for_item(self.target.assembly_item)
            ours = _by_name(boms, self.previous.bom_name)
            if (
                ours is not None
                and str(ours.get("modified")) == self.previous.bom_modified
                and self._is_current(ours)
            ):
                self.company = self.company or self.previous.company
                self.currency = self.currency or self.previous.currency
                result = self._result(Outcome.UNCHANGED, ours, self.previous.content_fingerprint)
                result.rounding = list(self.previous.rounding)
                return result
        self.recorder.progress(10, "Reading Items and UOMs from ERPNext")
        inspection = self.inspect()
        if inspection.errors:
            raise LineErrors(inspection.errors)
        self._resolve_company()
        assembly_existed = inspection.assembly_exists
        if inspection.missing_items or not inspection.assembly_exists:
            self._create_items(inspection)
        self._write_prices(inspection)
        self.recorder.progress(75, "Writing the BOM")
        if boms is None:
            boms = self.gw.boms_for_item(self.target.assembly_item) if assembly_existed else []
        result = self._write_bom(inspection, boms)
        result.rounding = rounding_notes(inspection.rows)
        result.warnings = inspection.warnings
        result.alerts = list(dict.fromkeys(self.gw.alerts))
        self.recorder.progress(100, "Done")
        return result

    def inspect(self) -> Inspection:
        """Read the Items, UOMs and prices the target needs; convert and round the rows; list
        what stops a sync."""
        target = self.target
        codes = [line.item_code for line in target.lines]
        found = self.gw.items_by_code([*codes, target.assembly_item])
        items = {code.casefold(): row for code, row in found.items()}
        assembly_exists = target.assembly_item.casefold() in items
        uom_names = {line.uom for line in target.lines}
        uom_names |= {str(item.get("stock_uom") or "") for item in items.values()}
        if not assembly_exists:
            uom_names.add(ASSEMBLY_UOM)
        uoms = uom_facts(self.gw.uoms(n for n in uom_names if n))
        warnings = [] if uoms.readable else [UOM_UNREADABLE]
        placed = place_lines(target.lines, items, uoms, convert=target.convert_to_stock_uom)
        inspection = Inspection(
            items=items,
            uoms=uoms,
            rows=placed.rows,
            zero=placed.zero,
            missing_items=[],
            assembly_exists=assembly_exists,
            errors=placed.errors,
            warnings=[*warnings, *placed.warnings],
        )
        self._check(inspection)
        self._plan_rates(inspection)
        return inspection

    def _plan_rates(self, insp: Inspection) -> None:
        prices = None
        if any(row.rate is not None for row in insp.rows):
            existing = [r.item_code for r in insp.rows if r.item_code.casefold() in insp.items]
            try:
                if self.gw.missing("Price List", [self.target.price_list]):
                    insp.errors.append(
                        {
                            "item_code": None,
                            "error": f"ERPNext has no Price List {self.target.price_list}: the "
                            "rules' rates are written as Item Prices on it. Name a buying "
                            "price list that exists (the price list option).",
                        }
                    )
                    return
                prices = self.gw.item_prices(existing, self.target.price_list)
            except ErpnextPermissionError:
                insp.errors.append(
                    {
                        "item_code": None,
                        "error": "Mapping rules set rates; they reach ERPNext as Item Prices on "
                        f"{self.target.price_list}, and your ERPNext user may not read or write "
                        "Item Price (that needs the Purchase Master Manager or Sales Master "
                        "Manager role). Ask for one of these roles, or remove the rates from "
                        "the rules to cost the BOM at ERPNext's valuation rates.",
                    }
                )
                return
        insp.rates, insp.alerts = plan_rates(
            insp.rows,
            insp.items,
            price_list=self.target.price_list,
            prices=prices,
            valuation_costing=DEFAULT_RM_COST_AS_PER,
        )

    def _check(self, insp: Inspection) -> None:
        target, errors = self.target, insp.errors
        for line in insp.zero:
            insp.warnings.append(
                f"{line.item_code}: {line.qty:g} {line.uom} rounds to 0 and is left off the BOM."
            )
        if not insp.rows:
            errors.append(
                {
                    "item_code": None,
                    "error": "No takeoff line maps to an item: the BOM would be empty.",
                }
            )
        seen: set[str] = set()
        for row in insp.rows:
            key = row.item_code.casefold()
            if insp.uoms.readable and not insp.uoms.exists(row.uom, insp.items):
                errors.append(
                    {
                        "item_code": row.item_code,
                        "error": f"UOM {row.uom} does not exist in ERPNext.",
                    }
                )
            item = insp.items.get(key)
            if item is None:
                if key not in seen:
                    insp.missing_items.append(row.item_code)
                    if target.create_missing_items and not insp.uoms.readable:
                        errors.append(
                            {
                                "item_code": row.item_code,
                                "error": f"Creating Item {row.item_code} needs the Item Manager "
                                "role on Item in ERPNext (your ERPNext user may not even read "
                                "UOM).",
                            }
                        )
                    elif not target.create_missing_items:
                        errors.append(
                            {
                                "item_code": row.item_code,
                                "error": f"Item {row.item_code} does not exist in ERPNext. Allow "
                                "creating missing items, or map the line to an existing item.",
                            }
                        )
            elif item.get("disabled"):
                errors.append(
                    {
                        "item_code": row.item_code,
                        "error": f"Item {row.item_code} is disabled in ERPNext.",
                    }
                )
            elif row.conversion_factor != 1 and not row.converted_from:
                stock_uom = str(item.get("stock_uom") or "")
                insp.warnings.append(
                    f"{row.item_code}: {row.qty:g} {row.uom} is sent with the Item's conversion "
                    f"factor {row.conversion_factor:g}: "
                    f"{round(row.qty * row.conversion_factor, QTY_DECIMALS):g} {stock_uom}."
                )
            seen.add(key)
        group = target.item_group
        # The root group exists on every site; another one is checked before Items are made.
        creates = target.create_missing_items and insp.missing_items
        if creates and group != DEFAULT_ITEM_GROUP and self.gw.missing("Item Group", [group]):
            errors.append(
                {
                    "item_code": None,
                    "error": f"ERPNext has no Item Group {group}, so the missing Items "
                    "could not be created in it. Name an Item Group that exists, or leave "
                    f"the item group blank for {DEFAULT_ITEM_GROUP}.",
                }
            )
        if (
            not insp.assembly_exists
            and insp.uoms.readable
            and not insp.uoms.exists(ASSEMBLY_UOM, insp.items)
        ):
            errors.append(
                {
                    "item_code": target.assembly_item,
                    "error": f"UOM {ASSEMBLY_UOM} does not exist in ERPNext; the assembly item "
                    "needs it.",
                }
            )

    def _resolve_company(self) -> None:
        if self.company and self.currency:
            return
        company, company_currency = self.gw.company(self.company or None)
        self.company, self.currency = company, self.currency or company_currency
        if self.currency.casefold() != company_currency.casefold() and company_currency:
            # ERPNext saves a BOM it cannot convert with conversion_rate 0 (every base cost 0).
            self.conversion_rate = self.gw.exchange_rate(self.currency, company_currency)
            if self.conversion_rate <= 0:
                raise ApplicationError(
                    f"ERPNext has no exchange rate from {self.currency} to {company_currency}, "
                    f"the currency of {company}: add a Currency Exchange in ERPNext, or sync "
                    f"in {company_currency}."
                )
        self.state.update(
            company=self.company, currency=self.currency, conversion_rate=self.conversion_rate
        )
        self.recorder.checkpoint(self.state)

    # ------------------------------------------------------------------ Items

    def _create_items(self, insp: Inspection) -> None:
        target = self.target
        docs = []
        if not insp.assembly_exists:
            docs.append(
                {
                    "doctype": "Item",
                    "item_code": target.assembly_item,
                    "item_name": target.assembly_item_name,
                    # The finished good is no raw material: not in the group given for those.
                    "item_group": DEFAULT_ITEM_GROUP,
                    "stock_uom": insp.uom_name(ASSEMBLY_UOM),
                    "is_stock_item": 0,
                    "description": f"Assembly of the BIM project {target.assembly_item_name}",
                }
            )
        for code in insp.missing_items:
            row = next(r for r in insp.rows if r.item_code == code)
            docs.append(
                {
                    "doctype": "Item",
                    "item_code": code,
                    "item_name": row.item_name or code,
                    "item_group": target.item_group,
                    "stock_uom": insp.uom_name(row.uom),
                    "is_stock_item": 1,
                }
            )
        chunks = [docs[i : i + INSERT_MANY_LIMIT] for i in range(0, len(docs), INSERT_MANY_LIMIT)]
        for number, chunk in enumerate(chunks, start=1):
            self.recorder.progress(
                20 + 50 * (number - 1) // len(chunks),
                f"Creating Items in ERPNext ({number} of {len(chunks)})",
            )
            self._insert_items(chunk, insp)
        if self.item_errors:
            raise LineErrors(self.item_errors)

    def _insert_items(self, chunk: list[dict], insp: Inspection) -> None:
        codes = [doc["item_code"] for doc in chunk]
        try:
            names = self.gw.insert_many(chunk)
        except ErpnextNetworkError:
            # The batch may have been written and only the answer lost: look before resending.
            rest = self._not_yet_created(chunk, insp)
            if rest:
                self._made_items([d["item_code"] for d in rest], self.gw.insert_many(rest), insp)
            return
        except ErpnextConflict:
            # Someone created one of them meanwhile; insert_many rolled the whole batch back.
            self._insert_one_by_one(self._not_yet_created(chunk, insp), insp)
            return
        except ErpnextValidationError as exc:
            if len(chunk) == 1:
                self.item_errors.append({"item_code": codes[0], "error": exc.message})
                return
            # insert_many is all or nothing and Frappe's message may not name the Item:
            # insert them one at a time to find which one ERPNext refuses, and why.
            self._insert_one_by_one(chunk, insp)
            return
        self._made_items(codes, names, insp)

    def _insert_one_by_one(self, docs: list[dict], insp: Inspection) -> None:
        for doc in docs:
            try:
                saved = self.gw.insert_doc("Item", doc)
            except ErpnextValidationError as exc:
                self.item_errors.append({"item_code": doc["item_code"], "error": exc.message})
            except ErpnextConflict:
                self._not_yet_created([doc], insp)
            else:
                self._made_items([doc["item_code"]], [str(saved.get("name"))], insp)

    def _not_yet_created(self, docs: list[dict], insp: Inspection) -> list[dict]:
        """Record the docs ERPNext has now and return the others."""
        found = {
            code.casefold(): row
            for code, row in self.gw.items_by_code(d["item_code"] for d in docs).items()
        }
        present = [d["item_code"] for d in docs if d["item_code"].casefold() in found]
        self._made_items(
            present, [str(found[c.casefold()].get("name") or c) for c in present], insp
        )
        return [d for d in docs if d["item_code"].casefold() not in found]

    def _made_items(self, codes: Sequence[str], names: Sequence[str], insp: Inspection) -> None:
        for code, name in zip(codes, names, strict=False):
            row = next((r for r in insp.rows if r.item_code == code), None)
            uoms = {row.uom.casefold(): (row.uom, 1.0)} if row else {}
            insp.items[code.casefold()] = {"name": name, "item_code": code, "uoms": uoms}
            self.recorder.document("Item", name, "created")
        insp.missing_items = [c for c in insp.missing_items if c.casefold() not in insp.items]

    # ------------------------------------------------------------------ prices

    def _write_prices(self, insp: Inspection) -> None:
        """Put the rules' rates on the price list the BOM is costed from."""
        plan = insp.rates
        docs = plan.prices_to_insert
        if docs:
            self.recorder.progress(72, f"Writing {len(docs)} Item Prices on {plan.price_list}")
            try:
                self.gw.insert_many(docs)
            except ErpnextNetworkError:
                # Written with only the answer lost? Look before resending.
                have = {
                    (str(p["item_code"]).casefold(), str(p.get("uom") or "").casefold())
                    for p in self.gw.item_prices([d["item_code"] for d in docs], plan.price_list)
                }
                rest = [
                    d for d in docs if (d["item_code"].casefold(), d["uom"].casefold()) not in have
                ]
                if rest:
                    self.gw.insert_many(rest)
            for doc in docs:
                self.recorder.document(
                    "Item Price", f"{doc['item_code']} ({doc['uom']})", "created"
                )
        for name, rate in plan.prices_to_update:
            self.gw.update_price(name, rate)
            self.recorder.document("Item Price", name, "updated")

    # ------------------------------------------------------------------ the BOM

    def bom_payload(self, insp: Inspection) -> dict[str, Any]:
        """The BOM document as it is inserted (submitted in the same request when asked)."""
        target = self.target
        doc: dict[str, Any] = {
            "item": insp.item_name(target.assembly_item),
            "company": self.company,
            "currency": self.currency,
            "quantity": 1,
            "is_active": 1,
            "is_default": 1,
            "rm_cost_as_per": insp.rates.rm_cost_as_per,
            "docstatus": 1 if target.submit else 0,
            "items": [
                {
                    "item_code": insp.item_name(row.item_code),
                    "qty": row.qty,
                    "uom": insp.uom_name(row.uom),
                    "conversion_factor": row.conversion_factor,
                    **({"rate": round(row.rate, RATE_DECIMALS)} if row.rate is not None else {}),
                }
                for row in insp.rows
            ],
        }
        if insp.rates.rm_cost_as_per == PRICE_LIST_COSTING:
            doc["buying_price_list"] = insp.rates.price_list
        if self.conversion_rate:
            doc["conversion_rate"] = self.conversion_rate
        if target.erpnext_project:
            doc["project"] = target.erpnext_project
        return doc

    def _write_bom(self, insp: Inspection, boms: list[dict]) -> Result:
        payload = self.bom_payload(insp)
        content = content_fingerprint(payload)
        known = self.state.get("known_boms")
        new_since = [b for b in reversed(boms) if known is not None and b["name"] not in known]
        for row in self._candidates(boms, new_since):
            known = self._known_content(row, content)
            same = known if known is not None else same_content(self.gw.bom(row["name"]), payload)
            if same:
                return self._adopt(row, content, created=row in new_since)
        ours = _by_name(boms, self.previous.bom_name) if self.previous else None
        if (
            ours is not None
            and int(ours.get("docstatus") or 0) == 0
            and ours.get("is_active")
            and str(ours.get("modified")) == self.previous.bom_modified
        ):
            # Our own draft, untouched since: rewrite it. One edited in ERPNext is left alone.
            updated = self._update_draft(ours, payload, content)
            if updated is not None:
                return updated
        return self._insert_bom(payload, content, boms)

    def _candidates(self, boms: list[dict], new_since: list[dict]) -> list[dict]:
        """BOMs that may already hold our content: new since our last attempt, the default,
        and the one our last successful sync made."""
        default = next(
            (
                b
                for b in reversed(boms)
                if int(b.get("docstatus") or 0) == 1 and b.get("is_default") and b.get("is_active")
            ),
            None,
        )
        previous = _by_name(boms, self.previous.bom_name) if self.previous else None
        # An earlier model synced again: a BOM an earlier sync made may hold this content.
        earlier = [
            row
            for name, modified, _ in (self.previous.earlier if self.previous else ())
            if (row := _by_name(boms, name)) and str(row.get("modified")) == modified
        ]
        out: list[dict] = []
        for row in [*new_since, default, previous, *earlier]:
            if row is not None and row not in out:
                out.append(row)
        return out

    def _known_content(self, row: dict, content: str) -> bool | None:
        """Whether our last BOM, untouched since, holds this content; None if not ours."""
        prev = self.previous
        if prev is None:
            return None
        ours = [(prev.bom_name, prev.bom_modified, prev.content_fingerprint), *prev.earlier]
        for name, modified, fingerprint_ in ours:
            if fingerprint_ and row["name"] == name and str(row.get("modified")) == modified:
                return fingerprint_ == content
        return None

    def _adopt(self, row: dict, content: str, *, created: bool) -> Result:
        """A BOM with our content exists: make it what the target asks, writing at most once."""
        name, docstatus = row["name"], int(row.get("docstatus") or 0)
        if created:
            self.recorder.document("BOM", name, "created")
        if docstatus == 1 and not (row.get("is_default") and row.get("is_active")):
            saved = self.gw.update_bom(name, {"is_default": 1, "is_active": 1})
            self.recorder.document("BOM", name, "made default")
            return self._result(Outcome.DEFAULTED, saved, content)
        if docstatus == 0 and self.target.submit:
            saved = self.gw.update_bom(name, {"docstatus": 1})
            self.recorder.document("BOM", name, "submitted")
            return self._result(Outcome.SUBMITTED, saved, content)
        return self._result(Outcome.CREATED if created else Outcome.UNCHANGED, row, content)

    def _update_draft(self, row: dict, payload: dict, content: str) -> Result | None:
        """Rewrite our own draft in place (it is mutable); None when someone else changed it."""
        fields = {k: v for k, v in payload.items() if k != "docstatus"}
        fields.update(docstatus=payload["docstatus"], modified=row.get("modified"))
        try:
            saved = self.gw.update_bom(row["name"], fields)
        except ErpnextConflict:
            return None  # edited in ERPNext since: leave it, write a new BOM
        except ErpnextNetworkError:
            current = self.gw.bom(row["name"])
            if not (
                same_content(current, payload) and current.get("docstatus") == payload["docstatus"]
            ):
                raise
            saved = current
        except ErpnextValidationError as exc:
            raise LineErrors(row_errors(exc, payload)) from exc
        action = "submitted" if payload["docstatus"] == 1 else "updated"
        self.recorder.document("BOM", row["name"], action)
        outcome = Outcome.SUBMITTED if payload["docstatus"] == 1 else Outcome.UPDATED
        return self._result(outcome, saved, content)

    def _insert_bom(self, payload: dict, content: str, boms: list[dict]) -> Result:
        known = [b["name"] for b in boms]
        self.state["known_boms"] = known
        self.recorder.checkpoint(self.state)
        try:
            saved = self.gw.insert_doc("BOM", payload)
        except ErpnextNetworkError:
            # The POST may have reached ERPNext: a BOM that is new since and holds our content
            # is ours. Only when there is none is the insert sent again.
            found = self._new_bom_with(payload, known)
            if found is not None:
                self.recorder.document("BOM", found["name"], "created")
                return self._result(Outcome.CREATED, found, content)
            saved = self._insert_bom_once_more(payload, known)
        except ErpnextValidationError as exc:
            raise LineErrors(row_errors(exc, payload)) from exc
        self.recorder.document("BOM", str(saved["name"]), "created")
        return self._result(Outcome.CREATED, saved, content)

    def _insert_bom_once_more(self, payload: dict, known: list[str]) -> dict:
        try:
            return self.gw.insert_doc("BOM", payload)
        except ErpnextValidationError as exc:
            raise LineErrors(row_errors(exc, payload)) from exc
        except ErpnextConflict:
            # The first POST, still running in ERPNext when we stopped waiting, has finished
            # meanwhile and took the name: its BOM is ours.
            found = self._new_bom_with(payload, known)
            if found is None:
                raise
            return found

    def _new_bom_with(self, payload: dict, known: list[str]) -> dict | None:
        for row in reversed(self.gw.boms_for_item(self.target.assembly_item)):
            if row["name"] not in known and same_content(self.gw.bom(row["name"]), payload):
                return row
        return None

    # ------------------------------------------------------------------ helpers

    def _is_current(self, row: dict) -> bool:
        docstatus = int(row.get("docstatus") or 0)
        wanted = 1 if self.target.submit else 0
        return bool(row.get("is_active") and row.get("is_default")) and docstatus == wanted

    def _result(self, outcome: str, doc: dict, content: str) -> Result:
        return Result(
            outcome=outcome,
            bom_name=str(doc.get("name") or ""),
            bom_modified=str(doc.get("modified") or ""),
            bom_docstatus=int(doc.get("docstatus") or 0),
            content_fingerprint=content,
            company=self.company,
            currency=self.currency,
        )

    # ------------------------------------------------------------------ the dry run

    def preview(self) -> dict[str, Any]:
        """What a sync would write, and how it differs from the BOM now in ERPNext."""
        insp = self.inspect()
        if not insp.errors:
            try:
                self._resolve_company()
            except UnknownCompanyError:
                raise  # a 400 naming the company
            except ApplicationError as exc:  # several companies, no exchange rate: said so
                insp.errors.append({"item_code": None, "error": exc.message})
        payload = self.bom_payload(insp)
        boms = self.gw.boms_for_item(self.target.assembly_item) if insp.assembly_exists else []
        current = current_bom(boms)
        current_doc = self.gw.bom(current["name"]) if current else None
        diff = diff_rows(payload["items"], current_doc.get("items", []) if current_doc else [])
        return {
            "inspection": insp,
            "payload": payload,
            "company": self.company,
            "currency": self.currency,
            "current_bom": current_doc,
            "diff": diff,
            "would_write": _would_write(self.target, insp, current_doc, payload),
        }


def _would_write(target: Target, insp: Inspection, current: dict | None, payload: dict) -> str:
    if insp.errors:
        return "nothing (fix the errors first)"
    if current is not None and same_content(current, payload):
        docstatus = int(current.get("docstatus") or 0)
        if docstatus == 0 and target.submit:
            return "submit the draft BOM"
        if docstatus == 1 and not current.get("is_default"):
            return "make the BOM default"
        return "nothing: the BOM in ERPNext is up to date"
    return "a new BOM" + (" (submitted)" if target.submit else " (draft)")
