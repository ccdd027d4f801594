"""Re-syncs after ERPNext changed on its own, the double's ERPNext rules, abandoned runs."""

from datetime import timedelta

import pytest
from django.utils import timezone

from bom.models import BomSyncRun
from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import ErpnextValidationError
from integrations.netguard import OutboundPolicy
from tests.bom.conftest import writes
from tests.factories import ERP_SECRET

pytestmark = pytest.mark.django_db


def test_our_bom_is_made_default_again_when_someone_else_replaced_it(
    erp_editor, erp, project, version, rules, stock, sync
):
    _, first = sync(project, erp_editor, version, submit=True, create_missing_items=True)
    first.refresh_from_db()
    theirs = erp.add_doc(
        "BOM",
        {
            "item": first.assembly_item,
            "currency": "EUR",
            "docstatus": 1,
            "items": [{"item_code": "DOOR-90", "qty": 1, "uom": "Nos"}],
        },
    )
    assert erp.get_doc("BOM", first.bom_name)["is_default"] == 0
    erp.clear_requests()

    _, run = sync(project, erp_editor, version, submit=True)

    run.refresh_from_db()
    assert run.outcome == "made_default", run.error
    assert erp.get_doc("BOM", first.bom_name)["is_default"] == 1
    assert erp.get_doc("BOM", theirs["name"])["is_default"] == 0
    assert len(erp.docs("BOM")) == 2
    assert [(r.method, r.path) for r in writes(erp)] == [
        ("PUT", f"/api/resource/BOM/{first.bom_name}")
    ]


def test_a_draft_edited_in_erpnext_is_left_alone_and_a_new_bom_written(
    erp_editor, erp, project, version, rules, stock, sync
):
    from tests.bom.conftest import make_version

    _, first = sync(project, erp_editor, version, create_missing_items=True)
    first.refresh_from_db()
    with ErpnextClient(
        erp.url, "bridge-key", ERP_SECRET, policy=OutboundPolicy(allow_private=True)
    ) as client:
        doc = client.get_doc("BOM", first.bom_name)
        client.update_doc("BOM", first.bom_name, {"items": doc["items"][:1]})
    newer = make_version(project, [("IfcDoor", "Door 90x210", None, 9, None, None, None, None)])

    _, run = sync(project, erp_editor, newer)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert run.outcome == "created"
    edited, new = erp.docs("BOM")
    assert edited["name"] == first.bom_name and len(edited["items"]) == 1
    assert [(r["item_code"], r["qty"]) for r in new["items"]] == [("DOOR-90", 9)]


def test_the_double_refuses_a_fraction_of_a_whole_number_uom(erp, stock):
    with ErpnextClient(
        erp.url, "bridge-key", ERP_SECRET, policy=OutboundPolicy(allow_private=True)
    ) as client:
        client.insert_doc(
            "Item", {"item_code": "ASM", "item_group": "All Item Groups", "stock_uom": "Nos"}
        )
        with pytest.raises(ErpnextValidationError) as caught:
            client.insert_doc(
                "BOM",
                {
                    "item": "ASM",
                    "company": "OpenAEC Demo",
                    "currency": "EUR",
                    "items": [{"item_code": "DOOR-90", "qty": 2.5, "uom": "Nos"}],
                },
            )

    assert caught.value.exc_type == "UOMMustBeIntegerError"
    assert "Row 1: Quantity (2.5) cannot be a fraction" in caught.value.message


def test_an_abandoned_run_is_failed_so_a_new_sync_can_start(
    erp_editor, project, version, rules, api_client_for
):
    client = api_client_for(erp_editor)
    url = f"/api/projects/{project.slug}/bom/sync"
    stuck = client.post(url, {"model_version": version.number}, format="json").json()
    BomSyncRun.objects.filter(pk=stuck["id"]).update(
        state="running", updated_at=timezone.now() - timedelta(hours=1)
    )

    response = client.post(url, {"model_version": version.number}, format="json")

    assert response.status_code == 202
    old = BomSyncRun.objects.get(pk=stuck["id"])
    assert old.state == "failed" and "Resume it" in old.error
