"""The cost dashboard against the recorded site's double: every figure on a seeded project
(expected values computed here), thresholds, the restricted user (Budget and GL Entry 403:
said, the rest shown), viewers, ERPNext down (the last figures with their age), and the
refresh as a job (queued by the button and by a stale cache, never awaited by a GET)."""

import datetime as dt

import pytest
from django.test import TestCase

from costs.models import CostSnapshot
from jobs.models import Job
from tests.costs.test_estimate import DOORS, PVC, STEEL
from tests.erpnext_double.erpnext import SITE_COMPANY
from tests.factories import make_user
from tests.orders.conftest import connect

pytestmark = pytest.mark.django_db

from tests.costs.conftest import COGS, INVOICED, PO_TOTAL  # noqa: E402


def costs(api_client_for, user, project, *, refresh=False):
    """GET the figures (or press Refresh), let the queued refresh job run as a worker would,
    and GET them again."""
    client = api_client_for(user)
    url = f"/api/projects/{project.slug}/costs"
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(f"{url}/refresh") if refresh else client.get(url)
    return client.get(url)


def _make_stale(project, hours=2):
    snapshot = CostSnapshot.objects.get(project=project)
    CostSnapshot.objects.filter(project=project).update(
        fetched_at=snapshot.fetched_at - dt.timedelta(hours=hours)
    )


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
    assert {gap["figure"] for gap in figures["gaps"]} == {
        "budget",
        "actual per account",
        "budget variance report",
    }
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
    _make_stale(project)
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


def test_refresh_button_queues_a_job_and_answers_202_without_reading_erpnext(
    api_client_for, buyer, project, seeded, site
):
    client = api_client_for(buyer)
    before = len(site.requests)

    response = client.post(f"/api/projects/{project.slug}/costs/refresh")
    again = client.post(f"/api/projects/{project.slug}/costs/refresh")

    assert response.status_code == 202
    body = response.json()
    assert body["kind"] == "cost_refresh" and body["state"] == "queued"
    assert again.json()["id"] == body["id"]  # one refresh at a time per project
    assert not CostSnapshot.objects.filter(project=project).exists()
    assert len(site.requests) == before


def test_refresh_job_reads_the_figures_and_counts_its_requests(
    api_client_for, buyer, project, seeded
):
    body = costs(api_client_for, buyer, project, refresh=True).json()

    job = Job.objects.get(pk=body["refresh"]["id"])
    assert job.state == Job.State.SUCCEEDED, job.error
    assert job.http_requests == body["http_requests"] > 0
    assert job.result["totals"]["committed"] == PO_TOTAL - INVOICED
    assert body["refresh"]["url"] == f"/jobs/{job.pk}"
    assert body["figures"]["totals"]["budget"] == 1500.0


def test_get_without_figures_queues_a_refresh_and_does_not_wait(
    api_client_for, buyer, project, seeded
):
    response = api_client_for(buyer).get(f"/api/projects/{project.slug}/costs")

    assert response.status_code == 200
    body = response.json()
    assert body["figures"] is None and body["message"] == ""
    assert body["refresh"]["state"] == "queued"
    assert Job.objects.filter(project=project, kind="cost_refresh").count() == 1


def test_fresh_figures_queue_nothing_and_stale_ones_queue_one_refresh(
    api_client_for, buyer, project, seeded
):
    costs(api_client_for, buyer, project)
    client = api_client_for(buyer)

    client.get(f"/api/projects/{project.slug}/costs")
    assert Job.objects.filter(project=project, kind="cost_refresh").count() == 1
    _make_stale(project)
    stale = client.get(f"/api/projects/{project.slug}/costs").json()
    client.get(f"/api/projects/{project.slug}/costs")

    assert stale["figures"]["totals"]["budget"] == 1500.0  # the cached figures meanwhile
    assert stale["refresh"]["state"] == "queued"
    assert Job.objects.filter(project=project, kind="cost_refresh").count() == 2


def test_failed_refresh_is_not_queued_again_on_every_get(
    api_client_for, buyer, project, seeded, site
):
    costs(api_client_for, buyer, project)
    _make_stale(project)
    site.stop()
    costs(api_client_for, buyer, project)

    body = costs(api_client_for, buyer, project).json()

    assert Job.objects.filter(project=project, kind="cost_refresh").count() == 2
    assert "Could not reach ERPNext" in body["message"] and body["stale"] is True


def test_refresh_of_an_unlinked_project_says_so_at_once(api_client_for, buyer, project):
    response = api_client_for(buyer).post(f"/api/projects/{project.slug}/costs/refresh")

    assert response.status_code == 400
    assert "Link this project" in response.json()["detail"]
    assert not Job.objects.filter(project=project).exists()
