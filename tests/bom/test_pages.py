"""The BOM's HTML pages: rules form, preview, sync, run page, shared rules."""

from decimal import Decimal

import pytest
from django.test import Client

from bom.models import BomSyncRun, MappingRule
from tests.bom.conftest import add_rule
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

FORM = {
    "ifc_class": "IfcDoor",
    "type_name": "*",
    "material": "",
    "item_code": "DOOR-90",
    "item_name": "",
    "quantity": "count",
    "uom": "Nos",
    "waste_percent": "0",
    "unit_factor": "1",
    "rate": "",
    "priority": "0",
}


def signed_in(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_viewers_see_rules_and_runs_without_forms(project_viewer_global_editor, project, version):
    add_rule(project, item_code="DOOR-90")

    response = signed_in(project_viewer_global_editor).get(f"/projects/{project.slug}/bom")

    assert response.status_code == 200
    html = response.content.decode()
    assert "DOOR-90" in html and 'id="rules"' in html and 'id="runs"' in html
    assert 'id="rule-form"' not in html and 'id="sync-form"' not in html


def test_viewer_posting_a_rule_gets_403(project_viewer_global_editor, project):
    response = signed_in(project_viewer_global_editor).post(f"/projects/{project.slug}/bom", FORM)

    assert response.status_code == 403
    assert MappingRule.objects.count() == 0


def test_editor_adds_edits_and_deletes_a_rule(editor, project):
    client = signed_in(editor)

    added = client.post(f"/projects/{project.slug}/bom", FORM)
    rule = MappingRule.objects.get()
    edited = client.post(f"/projects/{project.slug}/bom/rules/{rule.pk}", {**FORM, "priority": "7"})
    deleted = client.post(f"/projects/{project.slug}/bom/rules/{rule.pk}/delete")

    assert added.status_code == 302 and added["Location"] == f"/projects/{project.slug}/bom"
    assert edited.status_code == 302
    assert deleted.status_code == 302
    assert MappingRule.objects.count() == 0
    assert rule.material == "*"


def test_a_bad_rule_is_shown_again_with_the_error(editor, project):
    response = signed_in(editor).post(
        f"/projects/{project.slug}/bom", {**FORM, "waste_percent": "500"}
    )

    assert response.status_code == 400
    assert "Waste is a percentage from 0 to 100 %" in response.content.decode()


def test_preview_page_then_sync_then_run_page(
    erp_editor, erp, project, version, rules, stock, django_capture_on_commit_callbacks
):
    client = signed_in(erp_editor)
    options = {"model_version": str(version.number), "create_missing_items": "on", "submit": "on"}

    preview = client.post(f"/projects/{project.slug}/bom/preview", options)
    with django_capture_on_commit_callbacks(execute=True):
        synced = client.post(f"/projects/{project.slug}/bom/sync", options)
    run = BomSyncRun.objects.get()
    page = client.get(synced["Location"])

    assert preview.status_code == 200
    html = preview.content.decode()
    assert "CONCRETE-C30" in html and "IfcFurniture" in html and 'id="would-write"' in html
    assert synced.status_code == 302
    assert synced["Location"] == f"/projects/{project.slug}/bom/runs/{run.pk}"
    assert page.status_code == 200
    text = page.content.decode()
    assert "Succeeded" in text and run.bom_name in text
    assert 'http-equiv="refresh"' not in text
    assert erp.docs("BOM")[0]["docstatus"] == 1


def test_failed_run_page_offers_resume(
    erp_editor, erp, project, version, rules, stock, sync, django_capture_on_commit_callbacks
):
    erp.inject("/api/resource/BOM", status=503)
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    client = signed_in(erp_editor)

    page = client.get(f"/projects/{project.slug}/bom/runs/{run.pk}")
    with django_capture_on_commit_callbacks(execute=True):
        resumed = client.post(f"/projects/{project.slug}/bom/runs/{run.pk}/resume")

    assert "Resume" in page.content.decode() and "HTTP 503" in page.content.decode()
    assert resumed.status_code == 302
    run.refresh_from_db()
    assert run.state == "succeeded"


def test_sync_page_errors_are_pages_not_500(editor, project, version, rules):
    response = signed_in(editor).post(
        f"/projects/{project.slug}/bom/preview", {"model_version": str(version.number)}
    )

    assert response.status_code == 400
    assert "ERPNext credentials not configured" in response.content.decode()


def test_suggestions_page(erp_editor, erp, project, version):
    erp.add_doc(
        "Item",
        {
            "item_code": "CHAIR-OAK",
            "item_name": "Oak chair",
            "item_group": "All Item Groups",
            "stock_uom": "Nos",
        },
    )

    response = signed_in(erp_editor).get(
        f"/projects/{project.slug}/bom/suggestions", {"model_version": version.number}
    )

    assert response.status_code == 200
    assert "CHAIR-OAK" in response.content.decode()


def test_shared_rules_page_admin_writes_editor_reads(admin_user, editor):
    added = signed_in(admin_user).post("/bom/rules", FORM)
    page = signed_in(editor).get("/bom/rules")
    refused = signed_in(editor).post("/bom/rules", FORM)

    assert added.status_code == 302
    assert page.status_code == 200 and "DOOR-90" in page.content.decode()
    assert 'id="rule-form"' not in page.content.decode()
    assert refused.status_code == 403
    assert MappingRule.objects.count() == 1


def test_pages_need_a_sign_in(project):
    response = Client().get(f"/projects/{project.slug}/bom")

    assert response.status_code == 302 and "/login" in response["Location"]


@pytest.mark.parametrize(
    ("typed", "field", "stored"),
    [
        ({"rate": "350,00"}, "rate", "350"),
        ({"rate": "1.234,5"}, "rate", "1234.5"),
        ({"unit_factor": "0,001"}, "unit_factor", "0.001"),
        ({"waste_percent": "5 %"}, "waste_factor", "0.05"),
        ({"waste_percent": "2,5"}, "waste_factor", "0.025"),
    ],
)
def test_rule_form_reads_numbers_as_people_type_them(editor, project, typed, field, stored):
    response = signed_in(editor).post(f"/projects/{project.slug}/bom", {**FORM, **typed})

    assert response.status_code == 302
    assert getattr(MappingRule.objects.get(), field) == Decimal(stored)


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({"rate": "1e23"}, "Rate is too large"),
        ({"unit_factor": "1e308"}, "Unit factor is too large"),
        ({"rate": "-1"}, "Rate must be 0 or more"),
        ({"rate": "12,500"}, "could mean 12500 or 12.500"),
    ],
)
def test_rule_form_says_the_real_reason_a_number_is_refused(editor, project, typed, message):
    response = signed_in(editor).post(f"/projects/{project.slug}/bom", {**FORM, **typed})

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not MappingRule.objects.exists()


def test_rule_page_shows_waste_as_percent(editor, project):
    rule = add_rule(project, item_code="DOOR-90", waste_factor="0.05")

    html = signed_in(editor).get(f"/projects/{project.slug}/bom/rules/{rule.pk}").content.decode()

    assert 'name="waste_percent" value="5"' in html


def test_preview_flags_an_item_group_erpnext_does_not_have(
    erp_editor, erp, project, version, rules
):
    options = {
        "model_version": str(version.number),
        "create_missing_items": "on",
        "item_group": "Rohstoffe",
    }

    html = signed_in(erp_editor).post(f"/projects/{project.slug}/bom/preview", options)
    html = html.content.decode()

    assert "What stops the sync" in html
    assert "ERPNext has no Item Group Rohstoffe" in html
    assert 'id="sync-form"' not in html  # no Sync button under a preview that would fail
    # The company is not asked for while something else stops the sync: said so, not "(—)".
    assert "(—)" not in html and "not looked up yet" in html


def test_preview_flags_a_price_list_erpnext_does_not_have(
    erp_editor, erp, project, version, rules, stock
):
    options = {"model_version": str(version.number), "price_list": "Standard-Einkauf"}

    response = signed_in(erp_editor).post(f"/projects/{project.slug}/bom/preview", options)

    assert response.status_code == 200
    assert "ERPNext has no Price List Standard-Einkauf" in response.content.decode()


def test_bom_pages_say_how_much_of_the_model_is_mapped(
    erp_editor, erp, project, version, rules, stock
):
    client = signed_in(erp_editor)
    overview = client.get(f"/projects/{project.slug}/bom").content.decode()
    preview = client.post(
        f"/projects/{project.slug}/bom/preview", {"model_version": str(version.number)}
    ).content.decode()

    # Six takeoff lines; the rules map five (the chairs have none); 41.39 of 41.39 m³.
    for html in (overview, preview):
        assert "83.3 %</strong> of the takeoff lines mapped: 5 of 6" in html
        assert "100 %</strong> of the volume mapped: 41.39 of 41.39 m³" in html
    assert "of the BOM rows have a cost" in preview


def test_documents_in_erpnext_are_links_to_its_desk(
    erp_editor, erp, project, version, rules, stock, django_capture_on_commit_callbacks
):
    client = signed_in(erp_editor)
    options = {"model_version": str(version.number), "create_missing_items": "on"}
    with django_capture_on_commit_callbacks(execute=True):
        synced = client.post(f"/projects/{project.slug}/bom/sync", options)
    run = BomSyncRun.objects.get()
    run_page = client.get(synced["Location"]).content.decode()
    preview = client.post(f"/projects/{project.slug}/bom/preview", options).content.decode()

    bom_link = f'href="{erp.url}/app/bom/{run.bom_name}"'
    assert bom_link in run_page
    assert bom_link in client.get(f"/projects/{project.slug}/bom").content.decode()
    assert bom_link in preview
    assert f'href="{erp.url}/app/item/CONCRETE-C30"' in preview
