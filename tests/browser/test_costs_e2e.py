"""The cost dashboard in headless Chromium, without JavaScript, at desktop and phone width:
the chart is drawn with the bars in proportion (budget 1,500, committed 590, actual 500), its
text stays readable, and nothing is wider than the screen."""

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


# Elements whose right edge passes the viewport (a table or chart running past the card);
# a visually hidden table head (clipped to 1 px, for screen readers) is not seen.
OVERFLOWING = """() => [...document.querySelectorAll('body *')]
  .filter(e => !e.closest('thead') || getComputedStyle(e.closest('thead')).position !== 'absolute')
  .filter(e => e.getClientRects().length && e.getBoundingClientRect().right > innerWidth + 0.5)
  .map(e => e.tagName + (e.id ? '#' + e.id : '') + '.' + e.className)"""


@pytest.mark.parametrize(("width", "height"), [(1366, 900), (390, 844)])
def test_dashboard_draws_the_bars_in_proportion(
    page,  # noqa: F811
    live_server,
    buyer,  # noqa: F811
    project,
    seeded,  # noqa: F811
    width,
    height,
):
    page.set_viewport_size({"width": width, "height": height})
    page.goto(f"{live_server.url}/login")
    page.fill("#id_username", buyer.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.goto(f"{live_server.url}/projects/{project.slug}/costs")  # queues the refresh job
    page.goto(f"{live_server.url}/projects/{project.slug}/costs")
    chart = "#cost-chart" if width > 700 else "#cost-chart-phone"

    total = {}
    for series in ("Budget", "Committed", "Actual"):
        bar = page.locator(f'{chart} g[data-series="{series}"] rect').last
        total[series] = bar.bounding_box()["width"]
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/costs-{width}.png", full_page=True)

    assert total["Committed"] / total["Budget"] == pytest.approx((PO_TOTAL - 500) / 1500, rel=0.02)
    assert total["Actual"] / total["Budget"] == pytest.approx(500 / 1500, rel=0.02)
    assert page.locator(chart).bounding_box()["width"] <= width
    assert page.locator("#cost-accounts").is_visible()
    assert page.evaluate(OVERFLOWING) == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    # the chart's labels are drawn at 11 px or more on screen
    label = page.locator(f"{chart} text.chart-label").first.bounding_box()
    assert label["height"] >= 11
