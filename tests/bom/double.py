"""FrappeDouble grown with what ERPNext does to Items and BOMs, for the BOM sync tests.

Follows erpnext/manufacturing/doctype/bom/bom.py (validate_materials, validate_uom_is_interger
-> erpnext.utilities.transaction_base.validate_uom_is_integer, manage_default_bom on submit),
erpnext/stock/doctype/item/item.py (validate_name_with_item_group, item_name defaults to the
code) and ERPNext's UOM data (Nos and Unit are "must be whole number"). Also serves
``frappe.client.get_list`` (frappe/client.py: whitelisted, GET or POST).
"""

from __future__ import annotations

import copy
from typing import Any

from tests.erpnext_double import DocTypeSpec, FrappeDouble, FrappeException
from tests.erpnext_double.frappe_double import (
    DEFAULT_PAGE_LENGTH,
    _bom_name,
    _compare,
    _json_param,
    _normalize_filters,
    _order,
    _select,
    _sort_key,
)

WHOLE_NUMBER_UOMS = ("Nos", "Unit")
BOM_ALLOW_ON_SUBMIT = {"is_active", "is_default"}  # bom.json: allow_on_submit


class ErpnextStockDouble(FrappeDouble):
    """A Frappe double with ERPNext's Item, UOM and BOM rules."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_stock_doctypes()
        self.register_doctype(
            "UOM",
            naming="field:uom_name",
            mandatory=("uom_name",),
            defaults={"must_be_whole_number": 0, "enabled": 1},
        )
        bom_item = DocTypeSpec(
            "BOM Item",
            mandatory=("item_code", "qty", "uom"),
            links={"item_code": "Item", "uom": "UOM"},
            defaults={"rate": 0},
            labels={"uom": "UOM"},
        )
        self.register_doctype(
            "BOM",
            naming=_bom_name,
            mandatory=("item", "company", "currency", "quantity", "items"),
            links={"item": "Item", "company": "Company", "project": "Project"},
            selects={"rm_cost_as_per": ("Valuation Rate", "Last Purchase Rate", "Price List")},
            defaults={
                "quantity": 1,
                "is_active": 1,
                "is_default": 1,
                "rm_cost_as_per": "Valuation Rate",
                "with_operations": 0,
                "company": self.company,
            },
            child_tables={"items": bom_item},
            submittable=True,
        )
        with self._lock:
            for name, doc in self._store["UOM"].items():
                doc.setdefault("must_be_whole_number", 0)
                doc["must_be_whole_number"] = 1 if name in WHOLE_NUMBER_UOMS else 0
            for doc in self._store["Item"].values():
                doc.setdefault("item_name", doc["item_code"])
        self.register_method("frappe.client.get_list", _get_list)
        # Item Price (erpnext/stock/doctype/item_price): named by a random hash.
        self.register_doctype(
            "Item Price",
            mandatory=("item_code", "price_list", "price_list_rate"),
            links={"item_code": "Item"},
            defaults={"buying": 1, "selling": 0},
        )
        # erpnext.setup.utils.get_exchange_rate: 0 when the site knows no rate for the pair.
        self.exchange_rates: dict[tuple[str, str], float] = {}
        self.register_method(
            "erpnext.setup.utils.get_exchange_rate",
            lambda double, params, user: double.exchange_rates.get(
                (params.get("from_currency"), params.get("to_currency")),
                1.0 if params.get("from_currency") == params.get("to_currency") else 0.0,
            ),
        )

    def _list(self, doctype: str, params: Any) -> list[dict[str, Any]]:
        """FrappeDouble._list with an "in" filter of text values tested by set membership,
        as a database index would: 1,000 codes against 1,000 Items is otherwise 10^6
        comparisons in the double, which the BOM benchmark would count as ours."""
        fields = _json_param(params.get("fields")) or ["name"]
        tests = [_condition(*f) for f in _normalize_filters(params.get("filters"))]
        rows = [d for d in self._store[doctype].values() if all(t(d) for t in tests)]
        for fieldname, descending in reversed(_order(params.get("order_by") or "modified desc")):
            rows.sort(key=lambda d, f=fieldname: _sort_key(d.get(f)), reverse=descending)
        start = int(params.get("limit_start") or 0)
        length = int(
            params.get("limit_page_length")
            or params.get("limit")
            or params.get("page_length")
            or (0 if "limit_page_length" in params else DEFAULT_PAGE_LENGTH)
        )
        children = [f for f in fields if "." in f]
        if children:
            # Child fields ("uoms.uom"): one list row per child row, keys without the table
            # prefix, as frappe.model.db_query answers (purchasing-and-costs.md, A1.16).
            rows = [
                {**row, **{f.split(".", 1)[1]: child.get(f.split(".", 1)[1]) for f in children}}
                for row in rows
                for child in (row.get(children[0].split(".", 1)[0]) or [{}])
            ]
            fields = [f for f in fields if "." not in f] + [f.split(".", 1)[1] for f in children]
        rows = rows[start : start + length] if length else rows[start:]
        return [_select(row, fields) for row in rows]

    def set_whole_number(self, uom: str, whole: bool = True) -> None:
        """Change a UOM's "must be whole number"."""
        with self._lock:
            self._store["UOM"][uom]["must_be_whole_number"] = int(whole)

    # ------------------------------------------------------------------ writes

    def _insert(self, doctype: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        if doctype == "Item":
            data = dict(data)
            if not data.get("item_name"):
                data["item_name"] = data.get("item_code")
            if data.get("item_code") in self._store["Item Group"]:
                # erpnext Item.validate_name_with_item_group
                raise FrappeException(
                    "ValidationError",
                    "An Item Group exists with same name, please change the item name or "
                    "rename the item group",
                )
        if doctype == "BOM":
            self._validate_bom(data)
        stored = super()._insert(doctype, data, user)
        if doctype == "BOM" and stored["docstatus"] == 1:
            self._manage_default_bom(stored, user)
        return stored

    def _update(self, doctype: str, name: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        if doctype != "BOM":
            return super()._update(doctype, name, data, user)
        current = self._existing(doctype, name)
        changes = {k: v for k, v in data.items() if k not in ("modified", "name", "doctype")}
        if current["docstatus"] == 1 and set(changes) <= BOM_ALLOW_ON_SUBMIT | {"docstatus"}:
            if int(changes.pop("docstatus", 1)) != 1:
                return super()._update(doctype, name, data, user)
            if "modified" in data and str(data["modified"]) != current["modified"]:
                return super()._update(doctype, name, data, user)  # raises the mismatch
            current.update({k: int(bool(v)) for k, v in changes.items()})
            current["modified"] = self._tick()
            current["modified_by"] = user
            self._manage_default_bom(current, user)
            return current
        merged = {**copy.deepcopy(current), **changes}
        self._validate_bom(merged)
        stored = super()._update(doctype, name, data, user)
        if current["docstatus"] == 0 and stored["docstatus"] == 1:
            self._manage_default_bom(stored, user)
        return stored

    def _validate_bom(self, doc: dict[str, Any]) -> None:
        rows = doc.get("items") or []
        if not rows:
            raise FrappeException("ValidationError", "Raw Materials cannot be blank.")
        integer_uoms = {n for n, u in self._store["UOM"].items() if u.get("must_be_whole_number")}
        for idx, row in enumerate(rows, start=1):
            if not isinstance(row, dict):
                continue
            qty = float(row.get("qty") or 0)
            if qty <= 0:
                raise FrappeException(
                    "ValidationError",
                    f"Quantity required for Item {row.get('item_code')} in row {idx}",
                )
            # validate_uom_is_integer: flt(qty, precision 3) != cint(qty)
            if row.get("uom") in integer_uoms and round(qty, 3) != int(round(qty, 3)):
                raise FrappeException(
                    "UOMMustBeIntegerError",
                    f"Row {idx}: Quantity ({round(qty, 3)}) cannot be a fraction. To allow this, "
                    f"disable '<strong>Must be Whole Number</strong>' in UOM "
                    f"<strong>{row.get('uom')}</strong>.",
                )

    def _manage_default_bom(self, bom: dict[str, Any], user: str) -> None:
        """BOM.manage_default_bom: one default per item, kept in Item.default_bom."""
        others = [
            b
            for b in self._store["BOM"].values()
            if b["item"] == bom["item"] and b["name"] != bom["name"]
        ]
        item = self._store["Item"].get(bom["item"])
        if bom.get("is_default") and bom.get("is_active"):
            for other in others:
                other["is_default"] = 0  # frappe.model.utils.set_default: SQL, modified kept
            if item is not None:
                item["default_bom"] = bom["name"]
                item["modified"] = self._tick()
        elif bom.get("is_active") and not any(
            b["docstatus"] == 1 and b.get("is_default") for b in others
        ):
            bom["is_default"] = 1
            if item is not None:
                item["default_bom"] = bom["name"]
        else:
            bom["is_default"] = 0


def _get_list(double: FrappeDouble, params: dict[str, Any], user: str) -> list[dict[str, Any]]:
    doctype = params.get("doctype") or ""
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    if doctype in double._forbidden:
        raise FrappeException("PermissionError", f"No permission for {doctype}", 403)
    return double._list(doctype, params)


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _condition(field: str, op: str, value: Any):
    """One filter as a test of a row; "in" over text values by set membership (the same
    result as frappe_double._compare, which compares text case-insensitively)."""
    if op in ("in", "not in") and isinstance(value, list) and not any(map(_is_number, value)):
        options = {str(v).lower() for v in value if v is not None}

        def member(doc: dict[str, Any]) -> bool:
            left = doc.get(field)
            found = left not in (None, "") and not _is_number(left) and str(left).lower() in options
            return found if op == "in" else not found

        return member
    return lambda doc: _compare(doc.get(field), op, value)
