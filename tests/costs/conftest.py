"""Fixtures for costs: those of purchase orders (the recorded site, a linked project with a
takeoff, Items, suppliers, prices and rules)."""

import pytest

from tests.erpnext_double.erpnext import SITE_COMPANY
from tests.orders.conftest import (  # noqa: F401 - fixtures
    buyer,
    erp_project,
    linked,
    masters,
    ready,
    restricted,
    rules,
    site,
    version,
)

COGS = "Cost of Goods Sold - BTC"
PO_TOTAL = 2 * 500.0 + 3 * 30.0  # 2 Tonne of REBAR at 500, 3 Box of PIPE at 30
INVOICED = 500.0  # one Tonne of REBAR billed


@pytest.fixture
def seeded(site, ready, linked, erp_project):  # noqa: F811 - fixtures
    """A submitted PO (1,090) with one row half billed by a submitted PI (500), a budget of
    1,500 on COGS, 35 % complete on an estimated costing of 20,000."""
    name = erp_project["name"]
    site.patch_doc("Project", name, estimated_costing=20000.0, percent_complete=35.0)
    po = site.add_doc(
        "Purchase Order",
        {
            "supplier": "Steel Supplies",
            "company": SITE_COMPANY,
            "transaction_date": "2026-03-01",
            "schedule_date": "2026-03-15",
            "project": name,
            "buying_price_list": "Standard Buying",
            "docstatus": 1,
            "items": [
                {
                    "item_code": "REBAR",
                    "qty": 2,
                    "uom": "Tonne",
                    "rate": 500,
                    "project": name,
                    "expense_account": COGS,
                },
                {
                    "item_code": "PIPE",
                    "qty": 3,
                    "uom": "Box",
                    "rate": 30,
                    "project": name,
                    "expense_account": COGS,
                },
            ],
        },
    )
    rebar_row = next(r for r in po["items"] if r["item_code"] == "REBAR")
    site.add_doc(
        "Purchase Invoice",
        {
            "supplier": "Steel Supplies",
            "company": SITE_COMPANY,
            "posting_date": "2026-04-02",
            "project": name,
            "docstatus": 1,
            "items": [
                {
                    "item_code": "REBAR",
                    "qty": 1,
                    "uom": "Tonne",
                    "rate": 500,
                    "project": name,
                    "purchase_order": po["name"],
                    "po_detail": rebar_row["name"],
                },
            ],
        },
    )
    site.add_doc(
        "Budget",
        {
            "budget_against": "Project",
            "project": name,
            "company": SITE_COMPANY,
            "fiscal_year": "2026",
            "applicable_on_booking_actual_expenses": 1,
            "docstatus": 1,
            "accounts": [{"account": COGS, "budget_amount": 1500}],
        },
    )
    return name
