"""The BOM sync against the ERPNext double: first sync, re-syncs, rounding, faults, resume."""

import pytest

from bom.models import BomSyncRun
from tests.bom.conftest import add_rule, make_version, reads, writes

pytestmark = pytest.mark.django_db


def boms(erp):
    return erp.docs("BOM")


def test_first_sync_writes_one_submitted_default_bom_in_nine_requests(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.clear_requests()

    response, run = sync(project, erp_editor, version, submit=True, create_missing_items=True)

    assert response.status_code == 202, response.content
    assert response.json()["state"] == "queued"
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert run.outcome == "created"
    [bom] = boms(erp)
    assert bom["item"] == f"BIM-{project.slug}"
    assert (bom["company"], bom["currency"], bom["quantity"]) == ("OpenAEC Demo", "EUR", 1)
    assert (bom["docstatus"], bom["is_default"], bom["is_active"]) == (1, 1, 1)
    rows = {(r["item_code"], r["uom"]): r for r in bom["items"]}
    assert rows[("CONCRETE-C30", "m³")]["qty"] == pytest.approx(round((12.2 + 25.0) * 1.05, 3))
    assert rows[("BRICK-WF", "m²")]["qty"] == 40.0
    assert rows[("DOOR-90", "Nos")]["qty"] == 5
    assert rows[("STEEL-HEA200", "kg")]["rate"] == 1.25
    assert erp.get_doc("Item", f"BIM-{project.slug}")["default_bom"] == bom["name"]
    # Items by code, UOMs, the Price List checked and its Item Prices (a rule sets a rate),
    # Company, one insert_many (the assembly item), one insert_many (the rule's rate as an
    # Item Price), the BOM; and at the start, before anything is queued, may this user submit
    # a BOM (the preflight: one question, the strongest permission the run needs).
    assert len(erp.requests) == 9
    assert len(writes(erp)) == 3
    assert (run.http_requests, run.reads, run.writes) == (8, 5, 3)
    assert (bom["rm_cost_as_per"], bom["buying_price_list"]) == ("Price List", "Standard Buying")
    [price] = erp.docs("Item Price")
    assert (price["item_code"], price["uom"], price["price_list_rate"]) == (
        "STEEL-HEA200",
        "kg",
        1.25,
    )
    assert run.bom_name == bom["name"] and run.bom_docstatus == 1
    assert {(d["doctype"], d["action"]) for d in run.documents} == {
        ("Item", "created"),
        ("Item Price", "created"),
        ("BOM", "created"),
    }
    assert run.username == erp_editor.username
    assert run.model_version_number == version.number
    assert len(run.plan["unmapped"]) == 1  # the chairs


def test_unchanged_resync_reads_once_and_writes_nothing(
    erp_editor, erp, project, version, rules, stock, sync
):
    sync(project, erp_editor, version, submit=True, create_missing_items=True)
    erp.clear_requests()

    _, run = sync(project, erp_editor, version, submit=True, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "succeeded" and run.outcome == "unchanged"
    assert len(erp.requests) == 1
    assert writes(erp) == []
    assert (run.http_requests, run.reads, run.writes) == (1, 1, 0)
    assert len(boms(erp)) == 1


def test_changed_takeoff_makes_a_new_default_bom_and_keeps_the_old_one(
    erp_editor, erp, project, version, rules, stock, sync
):
    _, first = sync(project, erp_editor, version, submit=True, create_missing_items=True)
    first.refresh_from_db()
    lines = [("IfcDoor", "Door 90x210", None, 7, None, None, None, None)]
    newer = make_version(project, lines)
    erp.clear_requests()

    _, run = sync(project, erp_editor, newer, submit=True)

    run.refresh_from_db()
    assert run.state == "succeeded" and run.outcome == "created", run.error
    old, new = boms(erp)
    assert old["name"] == first.bom_name
    assert (old["docstatus"], old["is_default"], old["is_active"]) == (1, 0, 1)
    assert (new["docstatus"], new["is_default"]) == (1, 1)
    assert [(r["item_code"], r["qty"]) for r in new["items"]] == [("DOOR-90", 7)]
    assert len(writes(erp)) == 1


def test_draft_is_updated_in_place_and_submitted_when_asked(
    erp_editor, erp, project, version, rules, stock, sync
):
    _, draft = sync(project, erp_editor, version, create_missing_items=True)
    draft.refresh_from_db()
    assert draft.outcome == "created" and boms(erp)[0]["docstatus"] == 0
    add_rule(project, ifc_class="IfcFurniture", item_code="DOOR-90", priority=1)

    _, updated = sync(project, erp_editor, version)
    _, submitted = sync(project, erp_editor, version, submit=True)

    updated.refresh_from_db()
    submitted.refresh_from_db()
    assert updated.outcome == "updated" and submitted.outcome == "submitted"
    [bom] = boms(erp)
    assert bom["docstatus"] == 1 and bom["name"] == draft.bom_name
    assert {r["item_code"]: r["qty"] for r in bom["items"]}["DOOR-90"] == 17


def test_whole_number_uom_is_rounded_up_in_preview_and_sync_never_a_417(
    erp_editor, erp, project, api_client_for, stock, sync
):
    # Tiles of 0.25 m² counted in Nos: 40 m² of brick wall / 0.25 * 1.02 = 163.2 -> 164
    lines = [("IfcWall", "Basic Wall 100", "Brick", 3, 15.0, 40.0, 4.0, None)]
    version = make_version(project, lines)
    add_rule(
        project,
        material="Brick",
        item_code="TILE",
        quantity="area",
        uom="Nos",
        unit_factor="4",
        waste_factor="0.02",
    )
    erp.add_doc("Item", {"item_code": "TILE", "item_group": "All Item Groups", "stock_uom": "Nos"})
    client = api_client_for(erp_editor)

    preview = client.post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number, "create_missing_items": True},
        format="json",
    )
    _, run = sync(project, erp_editor, version, create_missing_items=True, submit=True)

    assert preview.status_code == 200, preview.content
    [line] = preview.json()["lines"]
    assert (line["qty"], line["rounded_up"], line["raw_qty"]) == (164, True, 163.2)
    assert preview.json()["rounding"] == [
        {"item_code": "TILE", "uom": "Nos", "qty": 164, "raw_qty": 163.2}
    ]
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert boms(erp)[0]["items"][0]["qty"] == 164
    assert run.checkpoint["rounding"][0]["qty"] == 164


def test_missing_items_without_permission_to_create_fail_the_run_naming_them(
    erp_editor, erp, project, version, rules, sync
):
    _, run = sync(project, erp_editor, version)

    run.refresh_from_db()
    assert run.state == "failed"
    codes = sorted(e["item_code"] for e in run.line_errors)
    assert codes == ["BRICK-WF", "CONCRETE-C30", "DOOR-90", "STEEL-HEA200"]
    assert "does not exist in ERPNext" in run.line_errors[0]["error"]
    assert writes(erp) == []


def test_missing_items_are_created_with_group_and_stock_uom(
    erp_editor, erp, project, version, rules, sync
):
    _, run = sync(project, erp_editor, version, create_missing_items=True, item_group="Products")

    run.refresh_from_db()
    assert run.state == "failed"  # the item group does not exist
    erp.add_doc("Item Group", {"item_group_name": "Products"})

    _, run = sync(project, erp_editor, version, create_missing_items=True, item_group="Products")

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    brick = erp.get_doc("Item", "BRICK-WF")
    assert (brick["item_group"], brick["stock_uom"], brick["is_stock_item"]) == (
        "Products",
        "m²",
        1,
    )
    assembly = erp.get_doc("Item", f"BIM-{project.slug}")
    assert (assembly["is_stock_item"], assembly["item_name"]) == (0, "Harbour Office")


def test_a_417_on_one_item_names_it_and_the_reason_and_the_others_are_created(
    erp_editor, erp, project, version, rules, sync
):
    erp.add_doc(
        "Item Group", {"item_group_name": "BRICK-WF", "parent_item_group": "All Item Groups"}
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "failed"
    assert run.line_errors == [
        {
            "item_code": "BRICK-WF",
            "error": "An Item Group exists with same name, please change the item name or "
            "rename the item group",
        }
    ]
    assert "BRICK-WF" in run.error
    created = {d["name"] for d in run.documents}
    assert {"CONCRETE-C30", "DOOR-90", "STEEL-HEA200"} <= created
    assert boms(erp) == []


def test_a_417_on_a_bom_row_names_the_row_item(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.inject(
        "/api/resource/BOM",
        status=417,
        exc_type="ValidationError",
        message="Row 2: Item DOOR-90 has no valuation rate",
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "failed"
    [error] = run.line_errors
    assert error["item_code"] == "CONCRETE-C30" and error["row"] == 2


def test_lost_response_of_the_bom_insert_does_not_make_a_second_bom(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.add_doc(
        "Item",
        {"item_code": f"BIM-{project.slug}", "item_group": "All Item Groups", "stock_uom": "Nos"},
    )
    erp.inject("/api/resource/BOM", drop_after_handling=True)

    _, run = sync(project, erp_editor, version, submit=True)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert run.outcome == "created"
    assert len(boms(erp)) == 1
    assert [r.method for r in erp.requests if r.path == "/api/resource/BOM"].count("POST") == 1
    assert [d for d in run.documents if d["doctype"] == "BOM"] == [
        {"doctype": "BOM", "name": boms(erp)[0]["name"], "action": "created"}
    ]


def test_lost_response_of_insert_many_does_not_make_a_second_item(
    erp_editor, erp, project, version, rules, sync
):
    erp.inject("/api/method/frappe.client.insert_many", drop_after_handling=True)

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    inserts = [r for r in erp.requests if r.path.endswith("insert_many") and b'"Item"' in r.body]
    assert len(inserts) == 1
    assert len(erp.docs("Item")) == 5


def test_server_error_part_way_then_resume_finishes_without_duplicates(
    erp_editor, erp, project, sync, resume
):
    lines = [("IfcMember", f"Stud {n:03d}", "Timber", 1, 3.0, None, None, None) for n in range(250)]
    version = make_version(project, lines)
    add_rule(project, ifc_class="IfcMember", item_code="STUD", quantity="length", uom="m")
    for n in range(250):
        add_rule(
            project,
            type_name=f"Stud {n:03d}",
            item_code=f"STUD-{n:03d}",
            quantity="length",
            uom="m",
            priority=1,
        )
    insert_many = "/api/method/frappe.client.insert_many"
    erp.inject(insert_many)  # the first batch (200 Items) goes through untouched
    erp.inject(insert_many, status=500)  # the second fails

    _, run = sync(project, erp_editor, version, create_missing_items=True, submit=True)

    run.refresh_from_db()
    assert run.state == "failed"
    assert "HTTP 500" in run.error and "Resume" in run.error
    assert len([d for d in run.documents if d["doctype"] == "Item"]) == 200
    assert boms(erp) == []

    response, run = resume(project, erp_editor, run)

    assert response.status_code == 202, response.content
    assert run.state == "succeeded", run.error
    assert run.attempts == 2
    assert len(erp.docs("Item")) == 251
    assert len([d for d in run.documents if d["doctype"] == "Item"]) == 251
    [bom] = boms(erp)
    assert len(bom["items"]) == 250
    assert run.checkpoint["history"][0]["error"].startswith("ERPNext at")


def test_server_error_on_the_bom_insert_then_resume(
    erp_editor, erp, project, version, rules, stock, sync, resume
):
    erp.inject("/api/resource/BOM", status=502)

    _, run = sync(project, erp_editor, version, submit=True, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "failed" and "HTTP 502" in run.error
    _, run = resume(project, erp_editor, run)
    assert run.state == "succeeded" and run.outcome == "created"
    assert len(boms(erp)) == 1
    assert run.resumed_by == erp_editor


def test_the_bom_header_carries_the_linked_erpnext_project(
    erp_editor, erp, project, version, rules, stock, sync
):
    from erp import services as erp_services

    erp_project = erp.add_doc("Project", {"project_name": "Harbour Office ERP"})
    erp_services.project_link_create(
        project=project, user=erp_editor, erpnext_project=erp_project["name"]
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert boms(erp)[0]["project"] == erp_project["name"] == run.erpnext_project


def test_a_user_whose_erpnext_is_another_site_cannot_sync_a_linked_project(
    erp_editor, erp, project, version, rules, member, connect, sync
):
    from erp import services as erp_services
    from tests.bom.double import ErpnextStockDouble
    from tests.factories import ERP_SECRET

    erp_project = erp.add_doc("Project", {"project_name": "Harbour Office ERP"})
    erp_services.project_link_create(
        project=project, user=erp_editor, erpnext_project=erp_project["name"]
    )
    with ErpnextStockDouble(api_key="bridge-key", api_secret=ERP_SECRET) as other:
        pete = connect(member("pete", project_role="editor"), other)

        response, _ = sync(project, pete, version)

    assert response.status_code == 409
    assert "linked to the ERPNext site" in response.json()["detail"]
    assert BomSyncRun.objects.count() == 0


def test_only_one_sync_of_a_project_at_a_time(erp_editor, project, version, rules, api_client_for):
    client = api_client_for(erp_editor)
    url = f"/api/projects/{project.slug}/bom/sync"

    first = client.post(url, {"model_version": version.number}, format="json")  # not run
    second = client.post(url, {"model_version": version.number}, format="json")

    assert first.status_code == 202
    assert second.status_code == 409
    assert second.json()["run_id"] == first.json()["id"]


def test_a_rerun_of_the_task_does_nothing(erp_editor, erp, project, version, rules, stock, sync):
    from jobs.runner import run_job

    _, run = sync(project, erp_editor, version, create_missing_items=True)
    erp.clear_requests()

    # A finished job is not taken again: it answers with what it produced.
    assert run_job(run.pk) == run.result
    assert run.refresh_from_db() is None and run.attempts == 1
    assert erp.requests == []


def test_reads_are_counted_apart_from_writes(erp_editor, erp, project, version, rules, stock, sync):
    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    preflight = [r for r in reads(erp) if "has_permission" in r.path]
    assert run.reads == len(reads(erp)) - len(preflight) and run.writes == len(writes(erp))
