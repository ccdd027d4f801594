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

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from integrations.erpnext.client import INSERT_MANY_LIMIT
from integrations.erpnext.errors import (
    ErpnextConflict,
    ErpnextNetworkError,
    ErpnextValidationError,
)
from openaec.exceptions import ApplicationError

from ..constants import DEFAULT_RM_COST_AS_PER, QTY_DECIMALS
from ..erpnext import BomGateway
from ..mapping import BomLine, Row, bom_rows, diff_rows, fingerprint
from ..models import BomSyncRun

Outcome = BomSyncRun.Outcome
ASSEMBLY_UOM = "Nos"
_ROW_NUMBER = re.compile(r"\brow\s*#?\s*(\d+)", re.IGNORECASE)


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

    def input_fingerprint(self) -> str:
        """Equal for equal inputs: the unchanged re-sync is decided on it."""
        return fingerprint(
            {
                "item": self.assembly_item,
                "company": self.company,
                "currency": self.currency,
                "project": self.erpnext_project,
                "submit": self.submit,
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


@dataclass
class Inspection:
    """What ERPNext has for the target: Items, UOMs, rounded rows and what stops a sync."""

    items: dict[str, dict[str, Any]]  # by item code, case-folded
    uoms: dict[str, tuple[str, bool]]  # case-folded -> (ERPNext name, must_be_whole_number)
    rows: list[Row]
    zero: list[BomLine]
    missing_items: list[str]
    assembly_exists: bool
    errors: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def item_name(self, code: str) -> str:
        """The ERPNext name an Item link takes (the item code, unless a naming series)."""
        item = self.items.get(code.casefold())
        return str(item.get("name") or code) if item else code

    def uom_name(self, uom: str) -> str:
        found = self.uoms.get(uom.casefold())
        return found[0] if found else uom


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
        self.recorder.progress(75, "Writing the BOM")
        if boms is None:
            boms = self.gw.boms_for_item(self.target.assembly_item) if assembly_existed else []
        result = self._write_bom(inspection, boms)
        result.rounding = rounding_notes(inspection.rows)
        result.warnings = inspection.warnings
        self.recorder.progress(100, "Done")
        return result

    def inspect(self) -> Inspection:
        """Read the Items and UOMs the target needs; round; list what stops a sync."""
        target = self.target
        codes = [line.item_code for line in target.lines]
        found = self.gw.items_by_code([*codes, target.assembly_item])
        items = {code.casefold(): row for code, row in found.items()}
        assembly_exists = target.assembly_item.casefold() in items
        uom_names = {line.uom for line in target.lines}
        uom_names |= {
            str(items[c.casefold()].get("stock_uom") or "") for c in codes if c.casefold() in items
        }
        if not assembly_exists:
            uom_names.add(ASSEMBLY_UOM)
        uoms = {
            name.casefold(): (name, whole)
            for name, whole in self.gw.uoms(n for n in uom_names if n).items()
        }
        whole = [name for name, is_whole in uoms.values() if is_whole]
        rows, zero = bom_rows(target.lines, whole)
        inspection = Inspection(
            items=items,
            uoms=uoms,
            rows=rows,
            zero=zero,
            missing_items=[],
            assembly_exists=assembly_exists,
        )
        self._check(inspection)
        return inspection

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
            if row.uom.casefold() not in insp.uoms:
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
                    if not target.create_missing_items:
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
            elif (
                str(item.get("stock_uom") or "").casefold() != row.uom.casefold()
                and key not in seen
            ):
                stock_uom = str(item.get("stock_uom") or "")
                insp.warnings.append(
                    f"{row.item_code}: the BOM row is in {row.uom}, the Item's stock UOM is "
                    f"{stock_uom}; ERPNext converts with the Item's UOM conversion factor."
                )
            seen.add(key)
        if not insp.assembly_exists and ASSEMBLY_UOM.casefold() not in insp.uoms:
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
        company, currency = self.gw.company(self.company or None)
        self.company, self.currency = company, self.currency or currency
        self.state.update(company=self.company, currency=self.currency)
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
                    "item_group": target.item_group,
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
            insp.items[code.casefold()] = {"name": name, "item_code": code}
            self.recorder.document("Item", name, "created")
        insp.missing_items = [c for c in insp.missing_items if c.casefold() not in insp.items]

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
            "rm_cost_as_per": DEFAULT_RM_COST_AS_PER,
            "docstatus": 1 if target.submit else 0,
            "items": [
                {
                    "item_code": insp.item_name(row.item_code),
                    "qty": row.qty,
                    "uom": insp.uom_name(row.uom),
                    **({"rate": row.rate} if row.rate is not None else {}),
                }
                for row in insp.rows
            ],
        }
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
        out: list[dict] = []
        for row in [*new_since, default, previous]:
            if row is not None and row not in out:
                out.append(row)
        return out

    def _known_content(self, row: dict, content: str) -> bool | None:
        """Whether our last BOM, untouched since, holds this content; None if not ours."""
        prev = self.previous
        if (
            prev
            and prev.content_fingerprint
            and row["name"] == prev.bom_name
            and str(row.get("modified")) == prev.bom_modified
        ):
            return prev.content_fingerprint == content
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
            for row in reversed(self.gw.boms_for_item(self.target.assembly_item)):
                if row["name"] not in known and same_content(self.gw.bom(row["name"]), payload):
                    self.recorder.document("BOM", row["name"], "created")
                    return self._result(Outcome.CREATED, row, content)
            saved = self._insert_bom_once_more(payload)
        except ErpnextValidationError as exc:
            raise LineErrors(row_errors(exc, payload)) from exc
        self.recorder.document("BOM", str(saved["name"]), "created")
        return self._result(Outcome.CREATED, saved, content)

    def _insert_bom_once_more(self, payload: dict) -> dict:
        try:
            return self.gw.insert_doc("BOM", payload)
        except ErpnextValidationError as exc:
            raise LineErrors(row_errors(exc, payload)) from exc

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
            except ApplicationError as exc:  # several companies: the preview says so
                insp.errors.append({"item_code": None, "error": exc.message})
        payload = self.bom_payload(insp)
        boms = self.gw.boms_for_item(self.target.assembly_item) if insp.assembly_exists else []
        current = _current_bom(boms)
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


def _current_bom(boms: list[dict]) -> dict | None:
    """The BOM that is default now (submitted), else the newest active draft."""
    for row in reversed(boms):
        if int(row.get("docstatus") or 0) == 1 and row.get("is_default") and row.get("is_active"):
            return row
    return next((b for b in reversed(boms) if b.get("is_active")), None)


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


def same_content(doc: dict, payload: dict) -> bool:
    """Whether a BOM from ERPNext holds what the payload would write (rates aside: ERPNext
    sets the rate of stock items itself from rm_cost_as_per)."""
    if int(doc.get("docstatus") or 0) == 2 or not doc.get("is_active"):
        return False
    for key in ("item", "company", "currency"):
        if str(doc.get(key) or "").casefold() != str(payload.get(key) or "").casefold():
            return False
    if str(doc.get("project") or "") != str(payload.get("project") or ""):
        return False
    if round(float(doc.get("quantity") or 0), QTY_DECIMALS) != float(payload["quantity"]):
        return False
    return diff_rows(payload["items"], doc.get("items") or []).is_empty


def content_fingerprint(payload: dict) -> str:
    """Fingerprint of a BOM's content as same_content() compares it."""
    return fingerprint(
        {
            "header": [payload.get(k) or "" for k in ("item", "company", "currency", "project")],
            "rows": sorted(
                [r["item_code"], r["uom"], round(float(r["qty"]), QTY_DECIMALS)]
                for r in payload["items"]
            ),
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


def _by_name(rows: list[dict], name: str | None) -> dict | None:
    return next((row for row in rows if name and row.get("name") == name), None)
