"""The cost dashboard against the recorded site's double: every figure on a seeded project
(expected values computed here), thresholds, the restricted user (Budget and GL Entry 403:
said, the rest shown), viewers, and ERPNext down (the last figures with their age)."""

import datetime as dt

import pytest

from costs.models import CostSnapshot
from tests.costs.test_estimate import DOORS, PVC, STEEL
from tests.erpnext_double.erpnext import SITE_COMPANY
from tests.factories import make_user
from tests.orders.conftest import connect

pytestmark = pytest.mark.django_db

from tests.costs.conftest import COGS, INVOICED, PO_TOTAL  # noqa: E402


def costs(api_client_for, user, project, *, refresh=False):
    client = api_client_for(user)
    if refresh:
        return client.post(f"/api/projects/{project.slug}/costs/refresh")
    return client.get(f"/api/projects/{project.slug}/costs")


def test_every_figure_matches_what_erpnext_holds(api_client_for, buyer, project, seeded):
    response = costs(api_client_for, buyer, project)

    assert response.status_code == 200, response.content
    body = response.json()
    figures = body["figures"]
    assert body["stale"] is False and body["message"] == ""
    assert figures["project"]["total_purchase_cost"] == INVOICED
    assert figures["project"]["estimated_costing"] == 20000.0
    assert figures["project"]["gross_margin"] == -INVOICED
    totals = figures["totals"]
    assert totals["budget"] == 1500.0
    assert totals["committed"] == PO_TOTAL - INVOICED
    assert totals["actual"] == INVOICED  # the expense debit; the payable credit has no project
    assert totals["actual_source"] == "GL Entry"
    assert totals["estimate"] == pytest.approx(round(STEEL + PVC + DOORS, 2))
    # used: 500 actual + 590 committed of 1,500 = 72.7 %: below the 80 % threshold
    assert totals["used_share"] == pytest.approx(round(1090 / 1500, 4))
    assert totals["level"] == "ok"
    [cogs] = figures["accounts"]
    assert cogs == {
        "account": COGS,
        "budget": 1500.0,
        "committed": PO_TOTAL - INVOICED,
        "actual": INVOICED,
        "left": 1500.0 - PO_TOTAL,
        "used_share": pytest.approx(round(PO_TOTAL / 1500, 4)),
        "level": "ok",
    }
    # still needed: 10.266 t of REBAR less the 2 t ordered, 8.33 boxes less 3, 5 doors
    still = (10.266 - 2) * 500 + (100 * 0.083333 - 3) * 30 + DOORS
    assert totals["still_needed"] == pytest.approx(still, abs=0.02)
    assert totals["forecast_at_completion"] == pytest.approx(
        INVOICED + PO_TOTAL - INVOICED + still, abs=0.02
    )
    ev = 1500.0 * 0.35
    assert figures["earned_value"]["earned_value"] == ev
    assert figures["earned_value"]["cpi"] == round(ev / INVOICED, 3)
    assert figures["actual_by_month"] == [{"month": "2026-04", "amount": INVOICED}]
    assert CostSnapshot.objects.get(project=project).figures == figures


def test_thresholds_flag_accounts_near_and_over_budget(
    api_client_for, buyer, project, seeded, site
):
    [budget] = site.docs("Budget")
    rows = [{**budget["accounts"][0], "budget_amount": 1200}]
    site.patch_doc("Budget", budget["name"], accounts=rows)  # 1,090 of 1,200 = 90.8 %

    warn = costs(api_client_for, buyer, project, refresh=True).json()["figures"]
    site.patch_doc("Budget", budget["name"], accounts=[{**rows[0], "budget_amount": 1100}])
    over = costs(api_client_for, buyer, project, refresh=True).json()["figures"]

    assert warn["accounts"][0]["level"] == "warn" and warn["totals"]["level"] == "warn"
    assert over["accounts"][0]["level"] == "over"


def test_restricted_user_sees_what_they_may_and_the_roles_for_the_rest(
    api_client_for, editor, site, project, seeded, restricted
):
    response = costs(api_client_for, restricted, project)

    assert response.status_code == 200
    figures = response.json()["figures"]
    assert {gap["figure"] for gap in figures["gaps"]} == {"budget", "actual per account"}
    assert any("Accounts Manager" in gap["message"] for gap in figures["gaps"])
    assert figures["totals"]["budget"] is None
    assert figures["totals"]["actual_source"] == "Project"
    assert figures["totals"]["actual"] == INVOICED  # the Project's total_purchase_cost
    assert figures["totals"]["committed"] == PO_TOTAL - INVOICED
    assert figures["estimate"]["total"] > 0


def test_viewer_member_reads_the_figures_and_strangers_get_404(
    api_client_for, buyer, project, seeded, project_viewer, site
):
    costs(api_client_for, buyer, project)  # cached by the editor
    stranger = connect(make_user("sam"), site)

    viewer = costs(api_client_for, project_viewer, project)

    assert viewer.status_code == 200
    assert viewer.json()["figures"]["totals"]["budget"] == 1500.0
    assert costs(api_client_for, stranger, project).status_code == 404


def test_erpnext_down_shows_the_last_figures_with_their_age(
    api_client_for, buyer, project, seeded, site
):
    costs(api_client_for, buyer, project)
    CostSnapshot.objects.filter(project=project).update(
        fetched_at=CostSnapshot.objects.get(project=project).fetched_at - dt.timedelta(hours=2)
    )
    site.stop()

    response = costs(api_client_for, buyer, project)

    assert response.status_code == 200
    body = response.json()
    assert body["stale"] is True
    assert "Could not reach ERPNext" in body["message"]
    assert body["age_seconds"] >= 7200
    assert body["figures"]["totals"]["budget"] == 1500.0


def test_refresh_requests_do_not_grow_with_orders(api_client_for, buyer, project, seeded, site):
    first = costs(api_client_for, buyer, project, refresh=True).json()["http_requests"]
    for _ in range(30):
        site.add_doc(
            "Purchase Order",
            {
                "supplier": "Build Mart",
                "company": SITE_COMPANY,
                "transaction_date": "2026-03-01",
                "schedule_date": "2026-03-15",
                "project": seeded,
                "docstatus": 1,
                "items": [
                    {"item_code": "PIPE", "qty": 1, "uom": "Box", "rate": 30, "project": seeded}
                ],
            },
        )

    again = costs(api_client_for, buyer, project, refresh=True).json()

    assert again["http_requests"] == first
    assert again["figures"]["totals"]["committed"] == PO_TOTAL - INVOICED + 30 * 30
