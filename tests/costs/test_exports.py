"""The numbers behind every chart, as CSV and XLSX, from the cached figures: the same numbers
as the API, money as numbers, names that look like formulas neutralised."""

import csv
import io

import pytest
from openpyxl import load_workbook

from costs.models import CostSnapshot
from tests.costs.conftest import COGS, INVOICED, PO_TOTAL
from tests.costs.test_dashboard import costs

pytestmark = pytest.mark.django_db


def test_xlsx_has_a_sheet_per_chart_with_the_dashboard_numbers(
    api_client_for, buyer, project, seeded
):
    figures = costs(api_client_for, buyer, project).json()["figures"]

    response = api_client_for(buyer).get(f"/api/projects/{project.slug}/costs.xlsx")

    assert response.status_code == 200
    book = load_workbook(io.BytesIO(response.content))
    assert book.sheetnames == [
        "Accounts",
        "Cost over time",
        "Materials",
        "Items",
        "Storeys",
        "About",
    ]
    accounts = list(book["Accounts"].iter_rows(values_only=True))
    assert accounts[1] == (COGS, 1500.0, None, PO_TOTAL - INVOICED, INVOICED, 1500.0 - PO_TOTAL)
    assert accounts[2][0] == "Total" and accounts[2][2] == figures["totals"]["estimate"]
    months = list(book["Cost over time"].iter_rows(values_only=True))
    assert months[1:] == [("2026-04", INVOICED, INVOICED)]
    materials = {row[0]: row[1] for row in book["Materials"].iter_rows(min_row=2, values_only=True)}
    assert materials == {
        row["material"]: row["amount"] for row in figures["estimate"]["by_material"]
    }


def test_csv_is_one_long_table_and_neutralises_formula_names(
    api_client_for, buyer, project, seeded
):
    costs(api_client_for, buyer, project)
    snapshot = CostSnapshot.objects.get(project=project)
    snapshot.figures["accounts"][0]["account"] = '=HYPERLINK("http://x")'
    snapshot.save()

    response = api_client_for(buyer).get(f"/api/projects/{project.slug}/costs.csv")

    assert response.status_code == 200 and response["Content-Type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(response.content.decode())))
    assert rows[0] == ["Chart", "Row", "Column", "Value"]
    assert ["Accounts", '\'=HYPERLINK("http://x")', "Budget", "1500.0"] in rows
    assert ["Cost over time", "2026-04", "Cumulative", str(INVOICED)] in rows


def test_export_before_any_figures_is_409_not_a_call_to_erpnext(
    api_client_for, buyer, project, seeded, site
):
    before = len(site.requests)

    response = api_client_for(buyer).get(f"/api/projects/{project.slug}/costs.xlsx")

    assert response.status_code == 409
    assert "refresh them first" in response.json()["detail"]
    assert len(site.requests) == before
