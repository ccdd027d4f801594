"""The BOM in the Django admin: rules (one validation box) and read-only runs."""

import pytest
from django.test import Client

from bom.models import MappingRule
from tests.bom.conftest import add_rule
from tests.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_admin(db):
    return make_user("root", role="admin", is_staff=True, is_superuser=True)


def test_admin_lists_rules_and_runs(
    staff_admin, project, erp_editor, erp, version, rules, stock, sync
):
    sync(project, erp_editor, version, create_missing_items=True)
    client = Client()
    client.login(username=staff_admin.username, password=PASSWORD)

    assert client.get("/admin/bom/mappingrule/").status_code == 200
    assert client.get("/admin/bom/bomsyncrun/").status_code == 200


def test_admin_rule_form_uses_the_same_validation(staff_admin, project):
    client = Client()
    client.login(username=staff_admin.username, password=PASSWORD)
    rule = add_rule(project, item_code="DOOR-90")

    response = client.post(
        f"/admin/bom/mappingrule/{rule.pk}/change/",
        {
            "project": project.pk,
            "ifc_class": "*",
            "type_name": "*",
            "material": "*",
            "item_code": "DOOR*",
            "item_name": "",
            "quantity": "count",
            "uom": "Nos",
            "waste_factor": "0",
            "unit_factor": "1",
            "rate": "",
            "priority": "0",
        },
    )

    assert response.status_code == 200
    assert "no wildcards" in response.content.decode()
    assert MappingRule.objects.get().item_code == "DOOR-90"
