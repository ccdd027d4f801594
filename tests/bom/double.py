"""The ERPNext double of the BOM tests: FrappeDouble with ERPNext's doctypes declared
(tests/erpnext_double/erpnext.py holds their rules and behaviour)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from tests.erpnext_double import FrappeDouble
from tests.erpnext_double.erpnext import WHOLE_NUMBER_UOMS
from tests.erpnext_double.frappe_double import _json_param, _select

__all__ = ["WHOLE_NUMBER_UOMS", "ErpnextStockDouble"]


class ErpnextStockDouble(FrappeDouble):
    """A FrappeDouble with ERPNext's Item, UOM, BOM (and buying) doctypes registered."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.register_stock_doctypes()
        # erpnext.setup.utils.get_exchange_rate: 0 when the site knows no rate for the pair.
        self.exchange_rates: dict[tuple[str, str], float] = {}
        self.register_method("erpnext.setup.utils.get_exchange_rate", _exchange_rate)

    def _list(self, doctype: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        """Child fields ("uoms.uom") as frappe.model.db_query answers them: one row per child
        row, keys without the table prefix (purchasing-and-costs.md, A1.16)."""
        fields = _json_param(params.get("fields")) or ["name"]
        children = [f for f in fields if isinstance(f, str) and "." in f]
        if not children:
            return super()._list(doctype, params)
        parents = super()._list(
            doctype,
            {**params, "fields": json.dumps(["name"]), "limit_start": 0, "limit_page_length": 0},
        )
        table = children[0].split(".", 1)[0]
        rows = [
            {**doc, **{f.split(".", 1)[1]: child.get(f.split(".", 1)[1]) for f in children}}
            for parent in parents
            for doc in [self._store[doctype][parent["name"]]]
            for child in (doc.get(table) or [{}])
        ]
        start = int(params.get("limit_start") or 0)
        length = int(params.get("limit_page_length") or 0)
        rows = rows[start : start + length] if length else rows[start:]
        plain = [f for f in fields if f not in children] + [f.split(".", 1)[1] for f in children]
        return [_select(row, plain) for row in rows]

    def set_whole_number(self, uom: str, whole: bool = True) -> None:
        """Change a UOM's "must be whole number"."""
        with self._lock:
            self.patch_doc("UOM", uom, must_be_whole_number=int(whole))


def _exchange_rate(double: FrappeDouble, params: dict[str, Any], user: str) -> float:
    pair = (params.get("from_currency"), params.get("to_currency"))
    return double.exchange_rates.get(pair, 1.0 if pair[0] == pair[1] else 0.0)
