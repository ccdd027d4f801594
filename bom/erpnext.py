"""The ERPNext reads and writes of a BOM sync, each counted as a read or a write.

Built on ``ErpnextClient``; knows nothing of Django models. Every method is one remote
operation (a list may page, ``insert_items`` batches by 200 as frappe.client.insert_many must).
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any

from integrations.erpnext.client import INSERT_MANY_LIMIT, ErpnextClient
from integrations.erpnext.errors import (
    ErpnextNetworkError,
    ErpnextNotFound,
    ErpnextPermissionError,
    ErpnextServerError,
)
from openaec.exceptions import ApplicationError

from .rows import item_uoms

METHOD_GET_LIST = "frappe.client.get_list"  # frappe/client.py get_list: whitelisted, GET or POST
ITEM_FIELDS = (
    "name",
    "item_code",
    "item_name",
    "stock_uom",
    "disabled",
    "is_stock_item",
    "valuation_rate",
    # The Item's UOM conversions, one list row per child row (readable by any Item reader,
    # unlike UOM itself, which needs Item Manager, Stock Manager or Stock User).
    "uoms.uom",
    "uoms.conversion_factor",
)
PRICE_FIELDS = ("name", "item_code", "uom", "price_list_rate", "supplier", "customer")
METHOD_EXCHANGE_RATE = "erpnext.setup.utils.get_exchange_rate"  # whitelisted, 0 when unknown
BOM_FIELDS = ("name", "docstatus", "is_active", "is_default", "modified", "creation", "project")
MAX_PAGE = 5000


class UnknownCompanyError(ApplicationError):
    """The Company the BOM should belong to does not exist in ERPNext."""


class BomGateway:
    """ERPNext calls of the BOM sync, with counts of reads, writes and HTTP requests."""

    def __init__(self, client: ErpnextClient) -> None:
        self.client = client
        self.reads = 0
        self.writes = 0

    @property
    def http_requests(self) -> int:
        """HTTP requests sent so far (retries included)."""
        return self.client.requests_made

    @contextlib.contextmanager
    def _counted(self, kind: str) -> Iterator[None]:
        before = self.client.requests_made
        try:
            yield
        finally:
            sent = self.client.requests_made - before
            if kind == "read":
                self.reads += sent
            else:
                self.writes += sent

    # Reads

    @property
    def alerts(self) -> list[str]:
        """ERPNext's alerts on the successful answers so far."""
        return list(self.client.alerts)

    def items_by_code(self, codes: Iterable[str]) -> dict[str, dict[str, Any]]:
        """Items whose item_code is one of ``codes``, by item code, each with ``uoms``
        (case-folded UOM -> (name, conversion factor)) (POST frappe.client.get_list).

        POST, not GET: a thousand codes in a query string would pass the URL limits of the
        proxies in front of ERPNext.
        """
        wanted = sorted(set(codes))
        if not wanted:
            return {}
        rows = self._post_list(
            "Item",
            fields=ITEM_FIELDS,
            filters=[["item_code", "in", wanted]],
            expected=2 * len(wanted),
        )
        return item_uoms(rows)

    def uoms(self, names: Iterable[str]) -> dict[str, bool] | None:
        """UOM name -> must_be_whole_number, for those of ``names`` that exist (GET UOM list);
        None when the user may not read UOM (it needs Item Manager, Stock Manager or Stock
        User)."""
        wanted = sorted(set(names))
        if not wanted:
            return {}
        with self._counted("read"):
            try:
                rows = list(
                    self.client.list_docs(
                        "UOM",
                        fields=["name", "must_be_whole_number"],
                        filters=[["name", "in", wanted]],
                        page_size=len(wanted) + 1,
                    )
                )
            except ErpnextPermissionError:
                return None
        return {str(row["name"]): bool(row.get("must_be_whole_number")) for row in rows}

    def uom_names(self) -> list[str] | None:
        """Every enabled UOM's name (GET UOM list, paged); None when the user may not read UOM."""
        with self._counted("read"):
            try:
                rows = self.client.list_docs(
                    "UOM", fields=["name"], filters=[["enabled", "=", 1]], page_size=500
                )
                return sorted((str(row["name"]) for row in rows), key=str.casefold)
            except ErpnextPermissionError:
                return None

    def missing(self, doctype: str, names: Iterable[str]) -> list[str] | None:
        """Those of ``names`` that ERPNext has no ``doctype`` of (GET list by name); None when
        the user may not read the doctype."""
        wanted = sorted({n for n in names if n})
        if not wanted:
            return []
        with self._counted("read"):
            try:
                rows = self.client.list_docs(
                    doctype,
                    fields=["name"],
                    filters=[["name", "in", wanted]],
                    page_size=len(wanted) + 1,
                )
                found = {str(row["name"]).casefold() for row in rows}
            except ErpnextPermissionError:
                return None
        return [n for n in wanted if n.casefold() not in found]

    def item_prices(self, codes: Iterable[str], price_list: str) -> list[dict[str, Any]]:
        """The Item Prices of ``codes`` on a price list (GET Item Price list)."""
        wanted = sorted(set(codes))
        if not wanted:
            return []
        with self._counted("read"):
            return list(
                self.client.list_docs(
                    "Item Price",
                    fields=list(PRICE_FIELDS),
                    filters=[["item_code", "in", wanted], ["price_list", "=", price_list]],
                    # room for a few prices per item: one page, however many items
                    page_size=min(4 * len(wanted) + 1, MAX_PAGE),
                )
            )

    def update_price(self, name: str, rate: float) -> None:
        """Change an Item Price's rate (PUT /api/resource/Item Price/<name>)."""
        with self._counted("write"):
            self.client.update_doc("Item Price", name, {"price_list_rate": rate})

    def exchange_rate(self, from_currency: str, to_currency: str) -> float:
        """ERPNext's exchange rate between two currencies; 0 when it has none."""
        with self._counted("read"):
            rate = self.client.call_method(
                METHOD_EXCHANGE_RATE,
                http_method="GET",
                from_currency=from_currency,
                to_currency=to_currency,
            )
        try:
            return float(rate or 0)
        except (TypeError, ValueError):
            return 0.0

    def company(self, name: str | None) -> tuple[str, str]:
        """(company, default currency): the named Company, or the only one there is."""
        with self._counted("read"):
            if name:
                try:
                    doc = self.client.get_doc("Company", name)
                except ErpnextNotFound:
                    raise UnknownCompanyError(
                        f"ERPNext has no Company {name}: name one that exists (the company "
                        "option, or the linked Project's company)."
                    ) from None
                return str(doc["name"]), str(doc.get("default_currency") or "")
            rows = list(
                self.client.list_docs("Company", fields=["name", "default_currency"], page_size=20)
            )
        if len(rows) != 1:
            raise ApplicationError(
                f"ERPNext has {len(rows)} companies: say which one the BOM belongs to "
                "(the company option)."
            )
        return str(rows[0]["name"]), str(rows[0].get("default_currency") or "")

    def boms_for_item(self, item: str) -> list[dict[str, Any]]:
        """The BOMs of an item that are not cancelled, oldest first (GET BOM list)."""
        with self._counted("read"):
            return list(
                self.client.list_docs(
                    "BOM",
                    fields=list(BOM_FIELDS),
                    filters=[["item", "=", item], ["docstatus", "<", 2]],
                    order_by="creation asc",
                )
            )

    def bom(self, name: str) -> dict[str, Any]:
        """One BOM with its rows (GET /api/resource/BOM/<name>)."""
        with self._counted("read"):
            return self.client.get_doc("BOM", name)

    def items_for_suggestions(self, limit: int) -> list[dict[str, Any]]:
        """Enabled Items (code, name, stock UOM), at most ``limit`` (GET Item list, paged)."""
        out: list[dict[str, Any]] = []
        with self._counted("read"):
            for row in self.client.list_docs(
                "Item",
                fields=["item_code", "item_name", "stock_uom"],
                filters=[["disabled", "=", 0]],
            ):
                out.append(row)
                if len(out) >= limit:
                    break
        return out

    # Writes

    def insert_many(self, docs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Insert up to 200 documents in one transaction (POST frappe.client.insert_many)."""
        if len(docs) > INSERT_MANY_LIMIT:
            raise ValueError("insert_many takes at most 200 documents")
        with self._counted("write"):
            return self.client.insert_many(docs)

    def insert_doc(self, doctype: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Insert one document (POST /api/resource/<doctype>)."""
        with self._counted("write"):
            return self.client.insert_doc(doctype, doc)

    def update_bom(self, name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change a BOM (PUT /api/resource/BOM/<name>); docstatus 1 submits it."""
        with self._counted("write"):
            return self.client.update_doc("BOM", name, fields)

    # Helpers

    def _post_list(
        self,
        doctype: str,
        *,
        fields: Sequence[str],
        filters: Any,
        expected: int,
    ) -> list[dict[str, Any]]:
        """Page through frappe.client.get_list by POST; a read, so one failed page is re-sent."""
        page = min(max(expected + 1, 20), MAX_PAGE)
        rows: list[dict[str, Any]] = []
        start = 0
        while True:
            batch = self._post_page(doctype, fields, filters, start, page)
            rows.extend(batch)
            if len(batch) < page:
                return rows
            start += len(batch)

    def _post_page(self, doctype, fields, filters, start: int, page: int) -> list[dict[str, Any]]:
        params = {
            "doctype": doctype,
            "fields": list(fields),
            "filters": filters,
            "order_by": "name asc",
            "limit_start": start,
            "limit_page_length": page,
        }
        with self._counted("read"):
            try:
                message = self.client.call_method(METHOD_GET_LIST, http_method="POST", **params)
            except (ErpnextNetworkError, ErpnextServerError):
                message = self.client.call_method(METHOD_GET_LIST, http_method="POST", **params)
        if not isinstance(message, list):
            raise ApplicationError("ERPNext answered frappe.client.get_list without a list.")
        return message
