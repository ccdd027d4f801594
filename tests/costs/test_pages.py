"""The cost dashboard page: the chart's bars in proportion to the figures, thresholds marked,
the tables beside it; role gaps said in place."""

import re

import pytest

from jobs.models import Job
from tests.costs.conftest import COGS, PO_TOTAL
from tests.costs.test_dashboard import costs

pytestmark = pytest.mark.django_db


def bars(html: str) -> dict[str, list[float]]:
    svg = html[html.index('id="cost-chart"') :]
    svg = svg[: svg.index("</svg>")]
    found: dict[str, list[float]] = {}
    for series, width in re.findall(
        r'data-series="([^"]+)"[^>]*>.*?<rect [^>]*width="([0-9.]+)"', svg
    ):
        found.setdefault(series, []).append(float(width))
    return found


def test_page_draws_budget_committed_actual_in_proportion(
    client, api_client_for, buyer, project, seeded
):
    costs(api_client_for, buyer, project)
    client.force_login(buyer)

    response = client.get(f"/projects/{project.slug}/costs")

    assert response.status_code == 200
    html = response.content.decode()
    widths = bars(html)
    # the first group is the total: budget 1,500, committed 590, actual 500
    budget, committed, actual = widths["Budget"][0], widths["Committed"][0], widths["Actual"][0]
    assert committed / budget == pytest.approx((PO_TOTAL - 500) / 1500, rel=0.01)
    assert actual / budget == pytest.approx(500 / 1500, rel=0.01)
    assert 'data-mark="80 % of the budget"' in html and 'data-mark="95 % of the budget"' in html
    assert "Covers 3 of 3 takeoff lines" in html


def test_page_says_the_missing_role_in_place(
    client, api_client_for, editor, project, seeded, restricted
):
    costs(api_client_for, restricted, project)
    client.force_login(restricted)

    response = client.get(f"/projects/{project.slug}/costs")

    assert response.status_code == 200
    assert "may not read Budget: that needs the Accounts Manager role" in response.content.decode()


def test_refresh_button_queues_the_job_and_the_page_shows_it_with_the_last_figures(
    client, api_client_for, buyer, project, seeded
):
    costs(api_client_for, buyer, project)
    client.force_login(buyer)

    response = client.post(f"/projects/{project.slug}/costs")
    page = client.get(f"/projects/{project.slug}/costs").content.decode()

    assert response.status_code == 302
    job = Job.objects.filter(project=project, kind="cost_refresh", state="queued").get()
    assert f'href="/jobs/{job.pk}"' in page and 'http-equiv="refresh"' in page
    assert 'id="cost-chart"' in page  # the cached figures meanwhile


def test_cost_over_time_is_drawn_per_posting_month_with_its_table(
    client, api_client_for, buyer, project, seeded, site
):
    site.add_doc(
        "GL Entry",
        {
            "account": COGS,
            "debit": 250.0,
            "credit": 0.0,
            "posting_date": "2026-05-20",
            "project": seeded,
            "voucher_type": "Journal Entry",
            "is_cancelled": 0,
        },
    )
    costs(api_client_for, buyer, project)
    client.force_login(buyer)

    html = client.get(f"/projects/{project.slug}/costs").content.decode()

    svg = html[html.index('id="cost-over-time"') :]
    svg = svg[: svg.index("</svg>")]
    april, may = (float(w) for w in re.findall(r'<rect [^>]*width="([0-9.]+)"', svg))
    assert may / april == pytest.approx(250 / 500, rel=0.01)
    table = html[html.index('id="cost-over-time-table"') :]
    assert re.search(r"2026-05</td>.*?250\.00</td>.*?750\.00</td>", table, re.S)


def test_every_chart_has_a_phone_drawing_with_a_narrow_viewbox(
    client, api_client_for, buyer, project, seeded
):
    costs(api_client_for, buyer, project)
    client.force_login(buyer)

    html = client.get(f"/projects/{project.slug}/costs").content.decode()

    for chart in ("cost-chart", "cost-over-time", "estimate-materials"):
        assert re.search(rf'id="{chart}" viewBox="0 0 720 ', html)
        assert re.search(rf'id="{chart}-phone" viewBox="0 0 360 ', html)
    assert 'class="data stack" id="cost-accounts"' in html
