"""The README's ERPNext roles table, for the cost dashboard: each cost feature works for an
ERPNext user with exactly the listed roles (against the recorded site's permissions), and
without the role a row adds, the dashboard says which role is missing."""

import pytest

from tests.bom.test_roles_table import readme_table
from tests.costs.conftest import INVOICED, PO_TOTAL
from tests.costs.test_dashboard import costs
from tests.orders.test_roles_table import limited  # noqa: F401 - fixture

pytestmark = pytest.mark.django_db


def base(figures):
    assert figures["totals"]["committed"] == PO_TOTAL - INVOICED
    assert figures["project"]["total_purchase_cost"] == INVOICED
    assert figures["estimate"]["total"] > 0 and figures["estimate"]["unpriced"] == []
    return "figures"


def with_actual(figures):
    base(figures)
    assert figures["totals"]["actual_source"] == "GL Entry"
    assert figures["actual_by_month"] == [{"month": "2026-04", "amount": INVOICED}]
    return "actual per account"


def with_budget(figures):
    base(figures)
    assert figures["totals"]["budget"] == 1500.0
    return "budget"


COST_SCENARIOS = {
    "Cost dashboard: Project totals, committed, model estimate": base,
    "Cost dashboard with actual per account and cost over time": with_actual,
    "Cost dashboard with the budget per account": with_budget,
}


@pytest.mark.parametrize("feature", sorted(COST_SCENARIOS))
def test_each_cost_feature_works_with_the_roles_the_table_names(
    feature,
    limited,  # noqa: F811 - fixture
    api_client_for,
    project,
    seeded,
):
    user = limited(readme_table()[feature])

    body = costs(api_client_for, user, project).json()

    assert body["message"] == "", body["message"]
    figure = COST_SCENARIOS[feature](body["figures"])
    assert figure not in {gap["figure"] for gap in body["figures"]["gaps"]}


@pytest.mark.parametrize(
    "feature",
    sorted(f for f, roles in readme_table().items() if f in COST_SCENARIOS and len(roles) > 2),
)
def test_without_the_added_role_the_dashboard_names_it(
    feature,
    limited,  # noqa: F811 - fixture
    api_client_for,
    project,
    seeded,
):
    *rest, added = readme_table()[feature]
    user = limited(tuple(rest))

    figures = costs(api_client_for, user, project).json()["figures"]

    gaps = {gap["figure"]: gap for gap in figures["gaps"]}
    wanted = "budget" if added == "Accounts Manager" else "actual per account"
    assert added in gaps[wanted]["message"]
