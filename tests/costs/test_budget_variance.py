"""ERPNext's own Budget Variance Report on the cost dashboard: its rows for the seeded project
(expected values computed here from the seeded Budget and Purchase Invoice), the role it needs
said where Budget is closed and the report then not asked, one request more per refresh."""

import pytest

from costs.erpnext import METHOD_RUN_REPORT
from tests.costs.conftest import COGS
from tests.costs.test_dashboard import costs

pytestmark = pytest.mark.django_db

REPORT_PATH = f"/api/method/{METHOD_RUN_REPORT}"


def _report_calls(site, since: int) -> list:
    return [r for r in site.requests[since:] if r.path == REPORT_PATH]


def test_report_rows_for_the_seeded_project(api_client_for, buyer, project, seeded, site):
    [budget] = site.docs("Budget")
    [invoice] = site.docs("Purchase Invoice")
    budgeted = sum(line["budget_amount"] for line in budget["accounts"])
    spent = sum(row["qty"] * row["rate"] for row in invoice["items"])

    figures = costs(api_client_for, buyer, project).json()["figures"]

    assert figures["budget_variance_fiscal_year"] == budget["fiscal_year"]
    assert figures["budget_variance"] == [
        {"account": COGS, "budget": budgeted, "actual": spent, "variance": budgeted - spent}
    ]
    assert "budget variance report" not in {gap["figure"] for gap in figures["gaps"]}
    [call] = _report_calls(site, 0)
    body = call.json()
    assert body["report_name"] == "Budget Variance Report"
    assert body["filters"]["period"] == "Yearly"
    assert body["filters"]["budget_against_filter"] == [seeded]
    assert body["filters"]["from_fiscal_year"] == budget["fiscal_year"]


def test_report_rows_are_rounded_to_cents(api_client_for, buyer, project, seeded, site):
    [budget] = site.docs("Budget")
    site.patch_doc(
        "Budget", budget["name"], accounts=[{**budget["accounts"][0], "budget_amount": 0.1 + 0.2}]
    )

    [row] = costs(api_client_for, buyer, project).json()["figures"]["budget_variance"]

    assert row["budget"] == 0.3


def test_page_shows_the_report_beside_the_budget(client, api_client_for, buyer, project, seeded):
    costs(api_client_for, buyer, project)
    client.force_login(buyer)

    html = client.get(f"/projects/{project.slug}/costs").content.decode()

    assert "ERPNext's Budget Variance Report (2026)" in html
    table = html[html.index('id="cost-budget-variance"') :]
    table = table[: table.index("</table>")]
    assert COGS in table and "1500.00" in table and "1000.00" in table


def test_without_budget_the_report_is_not_asked_and_its_role_is_said(
    api_client_for, client, project, seeded, site, restricted
):
    before = len(site.requests)

    figures = costs(api_client_for, restricted, project).json()["figures"]

    assert figures["budget_variance"] is None
    gaps = {gap["figure"]: gap for gap in figures["gaps"]}
    assert gaps["budget variance report"]["role"] == "Accounts Manager"
    assert "Accounts Manager" in gaps["budget variance report"]["message"]
    assert _report_calls(site, before) == []
    client.force_login(restricted)
    html = client.get(f"/projects/{project.slug}/costs").content.decode()
    assert 'id="cost-budget-variance"' not in html
    assert "may not run ERPNext&#x27;s Budget Variance Report" in html


def test_a_refresh_asks_one_request_more_only_where_budget_is_readable(
    api_client_for, buyer, project, seeded, site
):
    counts = {}
    for name in ("readable", "closed"):
        if name == "closed":
            site.forbid("Budget")  # the same user and figures, Budget answering 403
        before = len(site.requests)
        body = costs(api_client_for, buyer, project, refresh=True).json()
        sent = len(site.requests) - before
        counts[name] = (body["http_requests"], sent, len(_report_calls(site, before)))

    readable, closed = counts["readable"], counts["closed"]
    assert readable[2] == 1 and closed[2] == 0
    # the report is the one request more; nothing else changes
    assert readable[0] == closed[0] + 1
    assert readable[1] == closed[1] + 1
