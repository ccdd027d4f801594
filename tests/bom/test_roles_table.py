"""The README's table of ERPNext roles per BOM feature, checked against the double's role
permissions: each feature works with exactly the listed roles and is refused, naming the
missing role, without the one it adds to Manufacturing User."""

from pathlib import Path

import pytest

from openaec.accounts.services import integration_settings_update
from tests.bom.conftest import add_rule
from tests.bom.double import ErpnextStockDouble
from tests.factories import ERP_SECRET

pytestmark = pytest.mark.django_db

README = Path(__file__).resolve().parents[2] / "README.md"
KEY, SECRET = "limited-key", "limited-secret-0123456789"


def readme_table() -> dict[str, tuple[str, ...]]:
    lines = README.read_text().splitlines()
    start = lines.index("| feature | ERPNext roles it needs |")
    table = {}
    for line in lines[start + 2 :]:
        if not line.startswith("|"):
            break
        feature, roles = (cell.strip() for cell in line.strip("|").split("|"))
        table[feature] = tuple(role.strip() for role in roles.split("+"))
    return table


def existing_items(erp, project, **rule):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", quantity="count", uom="Nos", **rule)
    erp.add_doc(
        "Item", {"item_code": "DOOR-90", "item_group": "All Item Groups", "stock_uom": "Nos"}
    )
    erp.add_doc(
        "Item",
        {"item_code": f"BIM-{project.slug}", "item_group": "All Item Groups", "stock_uom": "Nos"},
    )
    return {}


def with_rates(erp, project):
    return existing_items(erp, project, rate="10")


def new_items(erp, project):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-NEW", quantity="count", uom="Nos")
    return {"create_missing_items": True}


SCENARIOS = {
    "BOM preview and sync, every Item exists, no rates on the rules": existing_items,
    "BOM with rates on the rules (Item Prices)": with_rates,
    "BOM that creates missing Items": new_items,
}


def test_the_table_lists_every_feature_tested_here():
    from tests.costs.test_roles_table import COST_SCENARIOS
    from tests.orders.test_roles_table import ORDER_SCENARIOS

    assert set(readme_table()) == set(SCENARIOS) | set(ORDER_SCENARIOS) | set(COST_SCENARIOS)


@pytest.fixture
def limited(allow_private, editor):
    doubles = []

    def build(roles):
        double = ErpnextStockDouble(version=15, api_key="bridge-key", api_secret=ERP_SECRET)
        doubles.append(double.__enter__())
        double.add_api_user(KEY, SECRET, "limited@example.com", roles=roles)
        integration_settings_update(
            user=editor,
            changes={
                "erpnext_url": double.url,
                "erpnext_api_key": KEY,
                "erpnext_api_secret": SECRET,
            },
        )
        editor.refresh_from_db()
        return double

    yield build
    for double in doubles:
        double.__exit__(None, None, None)


@pytest.mark.parametrize("feature", sorted(SCENARIOS))
def test_each_feature_works_with_the_roles_the_table_names(
    feature, limited, editor, project, version, sync, api_client_for
):
    roles = readme_table()[feature]
    erp = limited(roles)
    options = SCENARIOS[feature](erp, project)

    preview = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number, **options},
        format="json",
    )
    _, run = sync(project, editor, version, submit=True, **options)

    assert preview.status_code == 200, preview.content
    assert preview.json()["errors"] == []
    run.refresh_from_db()
    assert run.state == "succeeded", run.error


@pytest.mark.parametrize(
    "feature", sorted(f for f, roles in readme_table().items() if len(roles) > 1 and f in SCENARIOS)
)
def test_without_the_added_role_the_refusal_names_it(
    feature, limited, editor, project, version, sync
):
    *base, added = readme_table()[feature]
    erp = limited(tuple(base))
    options = SCENARIOS[feature](erp, project)
    _, run = sync(project, editor, version, submit=True, **options)

    run.refresh_from_db()
    assert run.state == "failed"
    assert added in (run.error + " ".join(e["error"] for e in run.line_errors))
