"""The cost dashboard in headless Chromium, without JavaScript, at desktop and phone width:
the chart is drawn with the bars in proportion (budget 1,500, committed 590, actual 500)."""

import os

import pytest

from tests.browser.test_settings_e2e import CHROMIUM, page  # noqa: F401 - fixture
from tests.costs.conftest import (  # noqa: F401 - fixtures
    PO_TOTAL,
    buyer,
    erp_project,
    linked,
    masters,
    ready,
    rules,
    seeded,
    site,
    version,
)
from tests.factories import PASSWORD

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(CHROMIUM is None, reason="chromium is not installed"),
]
SHOTS = os.environ.get("COSTS_SCREENSHOTS", "")


@pytest.mark.parametrize("width", [1366, 390])
def test_dashboard_draws_the_bars_in_proportion(page, live_server, buyer, project, seeded, width):  # noqa: F811
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", buyer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/projects/{project.slug}/costs")

    total = {}
    for series in ("Budget", "Committed", "Actual"):
        bar = page.locator(f'#cost-chart g[data-series="{series}"] rect').last
        total[series] = bar.bounding_box()["width"]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/costs-{width}.png", full_page=True)

    assert total["Committed"] / total["Budget"] == pytest.approx((PO_TOTAL - 500) / 1500, rel=0.02)
    assert total["Actual"] / total["Budget"] == pytest.approx(500 / 1500, rel=0.02)
    assert page.locator("#cost-chart").bounding_box()["width"] <= width
