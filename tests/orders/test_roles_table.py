"""The README's ERPNext roles table, for purchase orders: each order feature works for an
ERPNext user with exactly the listed roles (against the recorded site's permissions), and
without the role a row adds, the preview says which role is missing."""

import pytest

from tests.bom.test_roles_table import readme_table
from tests.orders.conftest import CHOSEN, connect, pos

pytestmark = pytest.mark.django_db

KEY, SECRET = "limited-key", "limited-secret-0123456789"


def orders(site, preview_body, job):
    assert preview_body["problems"] == []
    assert job.state == "succeeded", job.error
    assert {o["docstatus"] for o in pos(site)} == {1}
    return preview_body


def with_budget(site, preview_body, job):
    orders(site, preview_body, job)
    assert preview_body["budget"]["readable"] is True
    return preview_body


def requests(site, preview_body, job):
    assert job.state == "succeeded", job.error
    assert len(site.docs("Material Request")) == 3
    return preview_body


ORDER_SCENARIOS = {
    "Purchase orders from the takeoff (preview, drafts, submit)": ({}, orders),
    "Purchase orders with the budget left in the preview": ({}, with_budget),
    "Material Requests instead of purchase orders": ({"doctype": "Material Request"}, requests),
}


@pytest.fixture
def limited(site, editor, linked):
    def build(roles):
        site.add_api_user(KEY, SECRET, "limited@example.com", roles=roles)
        return connect(editor, site, key=KEY, secret=SECRET)

    return build


@pytest.mark.parametrize("feature", sorted(ORDER_SCENARIOS))
def test_each_order_feature_works_with_the_roles_the_table_names(
    feature, site, limited, project, ready, preview, create
):
    user = limited(readme_table()[feature])
    options, check = ORDER_SCENARIOS[feature]

    body = preview(user, project, ready, submit=True, **options, **CHOSEN)
    assert body.status_code == 200, body.content
    _, job = create(user, project, ready, submit=True, **options, **CHOSEN)
    job.refresh_from_db()

    check(site, body.json(), job)


@pytest.mark.parametrize(
    "feature",
    sorted(f for f, roles in readme_table().items() if f in ORDER_SCENARIOS and len(roles) > 1),
)
def test_without_the_added_role_the_preview_names_it(
    feature, site, limited, project, ready, preview
):
    *base, added = readme_table()[feature]
    user = limited(tuple(base))

    body = preview(user, project, ready, **CHOSEN).json()

    assert body["budget"]["readable"] is False
    assert added in body["budget"]["message"]
