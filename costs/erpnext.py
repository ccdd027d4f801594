"""The ERPNext reads of the cost dashboard, each counted: the Project's cost fields, the
project's open Purchase Order rows (ordered minus billed), GL Entries by project, Budgets,
ERPNext's Budget Variance Report.

Built on the purchase orders' gateway; a read the user's ERPNext roles do not allow answers
None, so the dashboard shows the rest and says which role is missing. Requests do not grow
with the model: every list is one paged read for the whole project.
"""

from __future__ import annotations

from typing import Any

from integrations.erpnext.errors import ErpnextPermissionError
from orders.constants import PURCHASE_ORDER
from orders.erpnext import ROW_PAGE, OrderGateway

from .constants import PROJECT_COST_FIELDS

# Submitted orders' rows with what is billed of each (billed_amt, per_billed on the header);
# `items.<field>` joins the rows, a child-doctype filter keeps the project's (recorded A3.60).
COMMITTED_FIELDS = (
    "name",
    "status",
    "per_billed",
    "transaction_date",
    "items.name as row_name",
    "items.item_code",
    "items.amount",
    "items.billed_amt",
    "items.expense_account",
    "items.project",
)
METHOD_RUN_REPORT = "frappe.desk.query_report.run"
BUDGET_VARIANCE_REPORT = "Budget Variance Report"
# Entries of a cancelled voucher stay in the list with is_cancelled 1 (B9.1).
GL_FIELDS = ("name", "account", "debit", "credit", "posting_date", "voucher_type")


class CostGateway(OrderGateway):
    """ERPNext calls of the cost dashboard."""

    def project_costs(self, project: str) -> dict[str, Any]:
        """The Project's cost fields (GET Project; a Projects User may read them)."""
        with self._counted("read"):
            doc = self.client.get_doc("Project", project)
        return {name: float(doc.get(name) or 0) for name in PROJECT_COST_FIELDS} | {
            "percent_complete_method": doc.get("percent_complete_method") or "",
            "company": doc.get("company") or "",
        }

    def open_order_rows(self, project: str) -> list[dict[str, Any]]:
        """Rows of the project's submitted Purchase Orders that are not closed or cancelled."""
        rows = self._post_list(
            PURCHASE_ORDER,
            fields=COMMITTED_FIELDS,
            filters=[[f"{PURCHASE_ORDER} Item", "project", "=", project], ["docstatus", "=", 1]],
            expected=ROW_PAGE,
        )
        return [
            row
            for row in rows
            if row.get("project") == project and row.get("status") not in ("Closed", "Cancelled")
        ]

    def gl_entries(self, project: str) -> list[dict[str, Any]] | None:
        """The project's GL Entries that are not cancelled; None when the user may not read
        GL Entry (Accounts roles, B9.3)."""
        try:
            return self._post_list(
                "GL Entry",
                fields=GL_FIELDS,
                filters=[["project", "=", project], ["is_cancelled", "=", 0]],
                expected=ROW_PAGE,
            )
        except ErpnextPermissionError:
            return None

    def budget_variance(
        self, project: str, *, company: str, fiscal_year: str
    ) -> list[dict[str, Any]] | None:
        """ERPNext's Budget Variance Report for the project, one fiscal year, yearly (B8.1:
        without ``period`` the report fails with a 500); rows ``budget_<year>``,
        ``actual_<year>``, ``variance_<year>`` per account. None when the user may not run it
        (Accounts roles, B8.7)."""
        filters = {
            "company": company,
            "from_fiscal_year": fiscal_year,
            "to_fiscal_year": fiscal_year,
            "period": "Yearly",
            "budget_against": "Project",
            "budget_against_filter": [project],
            "show_cumulative": 0,
        }
        with self._counted("read"):
            try:
                message = self.client.call_method(
                    METHOD_RUN_REPORT, report_name=BUDGET_VARIANCE_REPORT, filters=filters
                )
            except ErpnextPermissionError:
                return None
        rows = (message or {}).get("result") if isinstance(message, dict) else None
        return [row for row in rows or [] if isinstance(row, dict)]
