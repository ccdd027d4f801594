"""A rule's UOM is checked against ERPNext when it is saved, and the forms offer ERPNext's UOMs."""

import pytest

from bom.models import MappingRule
from tests.bom.test_pages import FORM, signed_in

pytestmark = pytest.mark.django_db


def test_a_uom_erpnext_does_not_have_is_refused_when_the_rule_is_saved(erp_editor, project):
    response = signed_in(erp_editor).post(f"/projects/{project.slug}/bom", {**FORM, "uom": "stuks"})

    assert response.status_code == 400
    assert f"ERPNext at {erp_editor.erpnext_url} has no UOM stuks" in response.content.decode()
    assert not MappingRule.objects.exists()


def test_the_api_refuses_it_too(erp_editor, project, api_client_for):
    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/rules",
        {"item_code": "DOOR-90", "quantity": "count", "uom": "stuks"},
        format="json",
    )

    assert response.status_code == 400
    assert "has no UOM stuks" in response.json()["detail"]


def test_a_uom_is_saved_as_erpnext_spells_it(erp_editor, project):
    response = signed_in(erp_editor).post(f"/projects/{project.slug}/bom", {**FORM, "uom": "nos"})

    assert response.status_code == 302
    assert MappingRule.objects.get().uom == "Nos"


def test_the_rule_form_offers_the_uoms_erpnext_has(erp_editor, project):
    html = signed_in(erp_editor).get(f"/projects/{project.slug}/bom").content.decode()

    assert 'list="uom-choices"' in html
    assert '<datalist id="uom-choices">' in html and '<option value="Nos">' in html


def test_a_user_who_may_not_read_uom_is_told_it_was_not_checked(erp_editor, erp, project):
    erp.set_roles(erp.user, ["Manufacturing User"])
    client = signed_in(erp_editor)

    response = client.post(f"/projects/{project.slug}/bom", {**FORM, "uom": "stuks"}, follow=True)

    html = response.content.decode()
    assert MappingRule.objects.get().uom == "stuks"
    assert "could not be checked: your ERPNext user may not read UOM" in html


def test_without_erpnext_the_rule_is_saved_unchecked(editor, project):
    response = signed_in(editor).post(f"/projects/{project.slug}/bom", {**FORM, "uom": "stuks"})

    assert response.status_code == 302
    assert MappingRule.objects.get().uom == "stuks"
