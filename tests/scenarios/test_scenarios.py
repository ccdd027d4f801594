"""The ERPNext scenarios, end to end through our services: link, push, pull, webhook, BOM,
orders (the preflight's writing flows) and the preflight itself. Each runs against the
double seeded like the recorded site and, with ERPNEXT_LIVE_* set, against a live ERPNext."""

import json

import pytest

from bom.models import BomSyncRun
from erp import services as erp_services
from erp.models import ErpnextProjectLink
from preflight.services import erpnext_preflight
from projects import services as project_services
from tests.bom.conftest import add_rule, make_version

pytestmark = pytest.mark.django_db

DOORS = [("IfcDoor", "Door 90x210", None, 5, None, None, None, None)]


@pytest.fixture
def project(erpnext_target, editor):
    name = erpnext_target.unique("Bridge scenario")
    return project_services.project_create(user=editor, name=name, code=erpnext_target.token)


@pytest.fixture
def linked(erpnext_target, editor, project) -> ErpnextProjectLink:
    """``project`` linked to a new ERPNext Project (removed at teardown)."""
    erpnext_target.connect(editor)
    link = erp_services.project_link_create_new(
        project=project, user=editor, company=erpnext_target.company()
    )
    erpnext_target.remember("Project", link.erpnext_project)
    return link


def erpnext_project(target, name: str) -> dict:
    with target.client() as client:
        return client.get_doc("Project", name)


def test_create_link_and_unlink(erpnext_target, editor, project, linked):
    doc = erpnext_project(erpnext_target, linked.erpnext_project)
    assert doc["project_name"] == project.name and doc["status"] == "Open"

    erp_services.project_link_delete(project=project, user=editor)

    assert not ErpnextProjectLink.objects.filter(project=project).exists()
    assert erpnext_project(erpnext_target, linked.erpnext_project)["name"] == linked.erpnext_project


def test_a_bim_status_change_is_pushed(
    erpnext_target, editor, project, linked, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        project_services.project_update(project=project, status="completed", actor=editor)

    assert erpnext_project(erpnext_target, linked.erpnext_project)["status"] == "Completed"


def test_a_change_in_erpnext_is_pulled(erpnext_target, editor, project, linked):
    with erpnext_target.client() as client:
        client.update_doc("Project", linked.erpnext_project, {"status": "Completed"})

    outcome = erp_services.project_link_pull(project=project, user=editor)

    linked.refresh_from_db()
    project.refresh_from_db()
    assert outcome.result == "updated"
    assert (linked.status, project.status) == ("Completed", "completed")


def test_a_signed_webhook_delivery_is_applied(
    erpnext_target, editor, admin_user, project, linked, client
):
    secret = "scenario-webhook-secret-0123456789"
    erp_services.erpnext_site_webhook_secret_set(user=admin_user, site=linked.site, secret=secret)
    with erpnext_target.client() as erp:
        doc = erp.update_doc("Project", linked.erpnext_project, {"status": "Completed"})
    # What the README's Webhook template sends, signed as Frappe signs it.
    body = json.dumps(
        {key: doc.get(key) for key in ("doctype", "name", "project_name", "status", "modified")}
    ).encode()

    response = client.post(
        f"/api/webhooks/erpnext/{linked.site.webhook_token}",
        body,
        content_type="application/json",
        headers={
            "X-Frappe-Webhook-Signature": erp_services.webhook_signature(secret=secret, body=body)
        },
    )

    assert response.status_code == 200, response.content
    assert response.json()["result"] == "updated"
    project.refresh_from_db()
    assert project.status == "completed"


def test_a_bom_sync_creates_items_and_a_submitted_bom(
    erpnext_target, editor, project, linked, api_client_for, django_capture_on_commit_callbacks
):
    code = erpnext_target.unique("BR-DOOR")
    add_rule(project, ifc_class="IfcDoor", item_code=code, quantity="count", uom="Nos")
    version = make_version(project, DOORS)

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(editor).post(
            f"/api/projects/{project.slug}/bom/sync",
            {"model_version": version.number, "create_missing_items": True, "submit": True},
            format="json",
        )

    assert response.status_code == 202, response.content
    run = BomSyncRun.objects.get(pk=response.json()["id"])
    for doc in run.documents:
        erpnext_target.remember(doc["doctype"], doc["name"])
    assert run.state == "succeeded", run.error
    with erpnext_target.client() as erp:
        bom = erp.get_doc("BOM", run.bom_name)
    assert (bom["docstatus"], bom["project"]) == (1, linked.erpnext_project)
    assert [(r["item_code"], r["qty"], r["uom"]) for r in bom["items"]] == [(code, 5.0, "Nos")]


def test_orders_and_every_writing_flow_are_proven_and_removed(erpnext_target, editor):
    report = erpnext_preflight(user=erpnext_target.connect(editor), write=True)

    assert report.left_behind == []
    made = {(s.doctype, s.action) for s in report.writes if s.ok}
    assert ("Purchase Order", "created") in made and ("Purchase Order", "deleted") in made
    assert ("Material Request", "created") in made and ("Project", "deleted") in made


def test_the_restricted_user_is_told_what_is_missing_and_the_fix(erpnext_target, editor):
    report = erpnext_preflight(user=erpnext_target.connect(editor, restricted=True))

    states = {f.key: f.status for f in report.features}
    assert states["connection"] == "ready" and states["projects"] == "ready"
    assert states["costs"] != "ready"  # Budget needs Accounts roles on a real site
    for feature in report.features:
        for check in feature.problems:
            assert check.reason and (check.fix or check.ok is None or check.severity == "note")
