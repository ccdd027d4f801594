"""The ERPNext reads and writes of purchase orders, each counted as a read or a write.

Built on the BOM's gateway (Items with their UOM tables, UOMs, Item Prices, Company, paged
``frappe.client.get_list`` by POST); knows nothing of Django models. Reads do not grow with
the number of takeoff lines: every list is asked for all items at once.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from bom.erpnext import MAX_PAGE, BomGateway
from integrations.erpnext.errors import ErpnextPermissionError

from .constants import MATERIAL_REQUEST, PURCHASE_ORDER

ITEM_DEFAULT_FIELDS = (
    "name",
    "purchase_uom",
    "last_purchase_rate",
    "item_defaults.company",
    "item_defaults.default_supplier",
)
# Rows across orders: on the parent, `items.<field>` joins the rows (keys come back without the
# prefix; `items.name` needs an alias or it overwrites the order's name); a child-doctype filter
# `["Purchase Order Item", "project", "=", P]` keeps the project's rows (recorded A3.60/A3.61).
ORDER_ROW_FIELDS = (
    "name",
    "docstatus",
    "status",
    "title",
    "supplier",
    "items.name as row_name",
    "items.item_code",
    "items.qty",
    "items.uom",
    "items.stock_qty",
    "items.project",
    "items.amount",
    "items.expense_account",
    "items.material_request",
)
REQUEST_ROW_FIELDS = (
    "name",
    "docstatus",
    "status",
    "title",
    "items.name as row_name",
    "items.item_code",
    "items.qty",
    "items.uom",
    "items.stock_qty",
    "items.project",
)
BUDGET_FIELDS = (
    "name",
    "fiscal_year",
    "applicable_on_purchase_order",
    "action_if_annual_budget_exceeded_on_po",
    "accounts.account",
    "accounts.budget_amount",
)
METHOD_APPLY_PRICE_LIST = "erpnext.stock.get_item_details.apply_price_list"
# Rows across orders come in pages as large as ERPNext allows: the read does not grow with them.
ROW_PAGE = MAX_PAGE


class OrderGateway(BomGateway):
    """ERPNext calls of purchase orders and material requests."""

    def item_defaults(self, codes: Iterable[str], company: str) -> dict[str, dict[str, Any]]:
        """Per item code: purchase UOM, last purchase rate (per stock UOM) and the default
        supplier for ``company`` (POST frappe.client.get_list on Item with item_defaults.*)."""
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = self._post_list(
            "Item",
            fields=ITEM_DEFAULT_FIELDS,
            filters=[["item_code", "in", wanted]],
            expected=2 * len(wanted),
        )
        out: dict[str, dict[str, Any]] = {}
        for row in rows:
            item = out.setdefault(
                str(row["name"]),
                {
                    "purchase_uom": row.get("purchase_uom") or "",
                    "last_purchase_rate": float(row.get("last_purchase_rate") or 0),
                    "default_supplier": "",
                },
            )
            if row.get("default_supplier") and row.get("company") in (company, None, ""):
                item["default_supplier"] = str(row["default_supplier"])
        return out

    def ordered_rows(self, project: str) -> list[dict[str, Any]]:
        """The project's Purchase Order rows in draft and submitted orders, one read for all
        (cancelled orders have docstatus 2, and their rows too)."""
        return self._rows_across(PURCHASE_ORDER, ORDER_ROW_FIELDS, project)

    def requested_rows(self, project: str) -> list[dict[str, Any]]:
        """The project's Material Request rows in draft and submitted requests."""
        rows = self._rows_across(MATERIAL_REQUEST, REQUEST_ROW_FIELDS, project)
        return [row for row in rows if row.get("status") != "Stopped"]

    def _rows_across(self, doctype: str, fields: Iterable[str], project: str) -> list[dict]:
        rows = self._post_list(
            doctype,
            fields=tuple(fields),
            filters=[[f"{doctype} Item", "project", "=", project], ["docstatus", "!=", 2]],
            expected=ROW_PAGE,
        )
        # A real site filters joined rows; keep only this project's even where it does not.
        return [row for row in rows if row.get("project") == project]

    def suppliers(self, names: Iterable[str]) -> set[str]:
        """Those of ``names`` that are Suppliers in ERPNext (GET Supplier list)."""
        wanted = sorted(set(names))
        if not wanted:
            return set()
        with self._counted("read"):
            rows = self.client.list_docs(
                "Supplier", fields=["name"], filters=[["name", "in", wanted]]
            )
            return {str(row["name"]) for row in rows}

    def budgets(self, project: str) -> list[dict[str, Any]] | None:
        """The project's submitted Budgets, one row per account; None when the user may not
        read Budget (Accounts roles)."""
        with self._counted("read"):
            try:
                return list(
                    self.client.list_docs(
                        "Budget",
                        fields=list(BUDGET_FIELDS),
                        filters=[["project", "=", project], ["docstatus", "=", 1]],
                    )
                )
            except ErpnextPermissionError:
                return None

    def prices(self, codes: Iterable[str], price_list: str) -> list[dict[str, Any]] | None:
        """Item Prices of ``codes`` on a price list; None when the user may not read Item
        Price (it needs Purchase Master Manager)."""
        try:
            return self.item_prices(codes, price_list)
        except ErpnextPermissionError:
            return None

    def applied_prices(
        self, rows: list[Mapping[str, Any]], *, company: str, price_list: str, currency: str
    ) -> dict[int, float]:
        """ERPNext's price-list rate per row index, in the row's UOM (POST apply_price_list,
        which a Purchase User may call although Item Price itself is closed to them)."""
        if not rows:
            return {}
        args = {
            "items": [
                {
                    "item_code": row["item_code"],
                    "qty": row["qty"],
                    "uom": row["uom"],
                    "conversion_factor": row["conversion_factor"],
                    "stock_uom": row["stock_uom"],
                    "doctype": f"{PURCHASE_ORDER} Item",
                    "name": f"row{index}",
                    "child_docname": f"row{index}",
                }
                for index, row in enumerate(rows)
            ],
            "company": company,
            "doctype": PURCHASE_ORDER,
            "buying_price_list": price_list,
            "price_list": price_list,
            "currency": currency,
            "price_list_currency": currency,
            "conversion_rate": 1,
            "plc_conversion_rate": 1,
        }
        with self._counted("read"):
            message = self.client.call_method(METHOD_APPLY_PRICE_LIST, args=args)
        children = (message or {}).get("children") or [] if isinstance(message, dict) else []
        out: dict[int, float] = {}
        for child in children:
            name = str(child.get("child_docname") or child.get("name") or "")
            if name.startswith("row") and child.get("price_list_rate") is not None:
                out[int(name[3:])] = float(child["price_list_rate"])
        return out

    def orders_marked(self, doctype: str, marker: str) -> list[dict[str, Any]]:
        """Documents whose title carries ``marker`` (an earlier attempt's), not cancelled."""
        with self._counted("read"):
            return list(
                self.client.list_docs(
                    doctype,
                    fields=["name", "title", "docstatus", "status", "modified"],
                    filters=[["title", "like", f"%{marker}%"], ["docstatus", "!=", 2]],
                )
            )

    def submit(self, doctype: str, name: str) -> dict[str, Any]:
        """Submit a draft (PUT docstatus 1: the status is set, unlike a one-POST submit)."""
        with self._counted("write"):
            return self.client.submit_doc(doctype, name)
