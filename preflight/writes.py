"""``--write``: prove the writing flows with throwaway documents, then remove them.

Each flow writes only what its permissions allow (checked first), with a unique marker in the
names; whatever is made is removed again in reverse order (submitted documents cancelled
first), and anything that could not be removed is reported by doctype and name.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import asdict, dataclass
from typing import Any

from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import ErpnextError

from .report import Feature, SiteFacts

MARKER = "BRIDGE-PREFLIGHT"
METHOD_CANCEL = "frappe.client.cancel"  # frappe/client.py cancel(doctype, name)


@dataclass
class WriteStep:
    """One write the preflight tried, and how it went."""

    flow: str
    action: str  # created, submitted, cancelled, deleted, skipped
    doctype: str
    name: str
    ok: bool
    detail: str = ""

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


class _Writes:
    def __init__(self, client: ErpnextClient, token: str) -> None:
        self.client = client
        self.token = token
        self.steps: list[WriteStep] = []
        self.made: list[tuple[str, str, bool]] = []  # (doctype, name, submitted)

    def insert(self, flow: str, doctype: str, doc: dict[str, Any]) -> dict[str, Any] | None:
        try:
            saved = self.client.insert_doc(doctype, doc)
        except ErpnextError as exc:
            self.steps.append(WriteStep(flow, "created", doctype, "", False, _words(exc)))
            return None
        submitted = saved.get("docstatus") == 1
        self.made.append((doctype, str(saved["name"]), submitted))
        action = "created and submitted" if submitted else "created"
        self.steps.append(WriteStep(flow, action, doctype, str(saved["name"]), True))
        return saved

    def update(self, flow: str, doctype: str, name: str, fields: dict[str, Any]) -> None:
        try:
            self.client.update_doc(doctype, name, fields)
        except ErpnextError as exc:
            self.steps.append(WriteStep(flow, "changed", doctype, name, False, _words(exc)))
        else:
            self.steps.append(WriteStep(flow, "changed", doctype, name, True))

    def skip(self, flow: str, doctype: str, why: str) -> None:
        self.steps.append(WriteStep(flow, "skipped", doctype, "", True, why))

    def clean_up(self) -> list[str]:
        left = []
        for doctype, name, submitted in reversed(self.made):
            try:
                if submitted:
                    self.client.call_method(METHOD_CANCEL, doctype=doctype, name=name)
                    self.steps.append(WriteStep("clean-up", "cancelled", doctype, name, True))
                self.client.delete_doc(doctype, name)
            except ErpnextError as exc:
                self.steps.append(
                    WriteStep("clean-up", "deleted", doctype, name, False, _words(exc))
                )
                left.append(f"{doctype} {name}: {_words(exc)}")
            else:
                self.steps.append(WriteStep("clean-up", "deleted", doctype, name, True))
        return left


def prove_writes(
    client: ErpnextClient, *, report_features: list[Feature], facts: SiteFacts, company: str
) -> tuple[list[WriteStep], list[str]]:
    """Write and remove a Project, Items, a BOM, a draft Purchase Order and Material Request,
    as far as the permissions found allow; returns the steps and what was left behind."""
    allowed = {
        c.name
        for f in report_features
        for c in f.checks
        if c.ok is True and c.name.split(" ", 1)[0] in ("create", "submit", "write")
    }
    w = _Writes(client, secrets.token_hex(4).upper())
    try:
        _flows(w, allowed, facts, company)
    finally:
        left = w.clean_up()
    return w.steps, left


def _flows(w: _Writes, allowed: set[str], facts: SiteFacts, company: str) -> None:
    project = None
    if "create Project" in allowed and company:
        project = w.insert(
            "link projects",
            "Project",
            {
                "project_name": f"{MARKER} {w.token}",
                "company": company,
                "notes": "Made by the bridge's preflight to test writing; it deletes it.",
            },
        )
        if project and "write Project" in allowed:
            w.update("status push", "Project", project["name"], {"status": "Completed"})
    else:
        w.skip("link projects", "Project", "no create permission on Project or no company")
    fg, rm, rm_uom = _items(w, allowed, facts)
    # Rows in the raw material's stock UOM (factor 1 by definition): a row without uom would be
    # read in its purchase UOM, and one without a factor stored with 1.
    unit = {"uom": rm_uom, "conversion_factor": 1} if rm_uom else {}
    if fg and rm and "create BOM" in allowed and company:
        w.insert(
            "BOM sync",
            "BOM",
            {
                "item": fg,
                "company": company,
                "quantity": 1,
                "is_default": 0,
                "items": [{"item_code": rm, "qty": 1, **unit}],
                "docstatus": 1 if "submit BOM" in allowed else 0,
            },
        )
    else:
        w.skip("BOM sync", "BOM", "no create permission on BOM, no Items or no company")
    row = {"item_code": rm, "qty": 1, **unit, "schedule_date": facts.today}
    if project:
        row["project"] = project["name"]
    supplier = _first(w, "Supplier")
    if not supplier and "create Purchase Order" in allowed:
        made = w.insert("purchase orders", "Supplier", {"supplier_name": f"{MARKER} {w.token}"})
        supplier = str(made["name"]) if made else ""
    if rm and supplier and "create Purchase Order" in allowed:
        # No rate: a rate on an Item without a price makes ERPNext add an Item Price.
        w.insert(
            "purchase orders",
            "Purchase Order",
            {
                "supplier": supplier,
                "company": company,
                "transaction_date": facts.today,
                "schedule_date": facts.today,
                "items": [row],
            },
        )
    else:
        w.skip("purchase orders", "Purchase Order", "no create permission, Item or Supplier")
    if rm and "create Material Request" in allowed:
        w.insert(
            "material requests",
            "Material Request",
            {
                "material_request_type": "Purchase",
                "company": company,
                "transaction_date": facts.today,
                "schedule_date": facts.today,
                "items": [row],
            },
        )
    else:
        w.skip("material requests", "Material Request", "no create permission or no Item")


def _items(w: _Writes, allowed: set[str], facts: SiteFacts) -> tuple[str, str, str]:
    """An assembly and a raw material Item (and the raw material's stock UOM): made when
    allowed, else two existing ones."""
    if "create Item" in allowed:
        made = [
            w.insert(
                "BOM sync",
                "Item",
                {
                    "item_code": f"{MARKER}-{w.token}-{part}",
                    "item_group": facts.item_group,
                    "stock_uom": "Nos",
                    "is_stock_item": 0,
                },
            )
            for part in ("FG", "RM")
        ]
        if all(made):
            return str(made[0]["name"]), str(made[1]["name"]), "Nos"
        return "", "", ""
    try:
        found = w.client.list_docs(
            "Item", fields=["name", "stock_uom"], filters=[["disabled", "=", 0]], page_size=2
        )
        rows = list(itertools.islice(found, 2))
    except ErpnextError as exc:
        w.skip("BOM sync", "Item", f"cannot read Items: {_words(exc)}")
        return "", "", ""
    names = [str(r["name"]) for r in rows[:2]]
    uoms = [str(r.get("stock_uom") or "") for r in rows[:2]]
    if len(names) < 2:
        w.skip("BOM sync", "Item", "no create permission on Item and fewer than two Items exist")
        return "", names[0] if names else "", uoms[0] if uoms else ""
    return names[0], names[1], uoms[1]


def _first(w: _Writes, doctype: str) -> str:
    try:
        rows = w.client.list_docs(doctype, fields=["name"], page_size=1)
        row = next(iter(rows), None)
    except ErpnextError:
        return ""
    return str(row["name"]) if row else ""


def _words(exc: ErpnextError) -> str:
    return (exc.message or "").strip() or f"HTTP {exc.status}"
