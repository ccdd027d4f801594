"""What a real ERPNext 15 does to our BOMs (issue 8): units, rates, roles, earlier models, races."""

import json

import pytest

from bom.models import BomSyncRun
from tests.bom.conftest import add_rule, make_version, writes
from tests.erpnext_double import FrappeException

pytestmark = pytest.mark.django_db

STEEL = [("IfcBeam", "HEA 200", "Steel S235", 6, 36.0, None, 0.19, 10266.0)]


def steel_item(erp, **extra):
    erp.add_doc(
        "Item",
        {
            "item_code": "REBAR",
            "item_group": "All Item Groups",
            "stock_uom": "kg",
            "uoms": [
                {"uom": "kg", "conversion_factor": 1},
                {"uom": "Tonne", "conversion_factor": 1000},
            ],
            **extra,
        },
    )


def tonne_rule(project, **fields):
    return add_rule(
        project,
        ifc_class="IfcBeam",
        item_code="REBAR",
        quantity="weight",
        uom="Tonne",
        unit_factor="0.001",
        **fields,
    )


def preview(api_client_for, user, project, version, **options):
    return api_client_for(user).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number, **options},
        format="json",
    )


@pytest.fixture
def tonne(erp):
    erp.add_doc("UOM", {"uom_name": "Tonne"})
    return erp


def test_a_row_in_another_uom_carries_the_items_conversion_factor(
    erp_editor, erp, tonne, project, sync, api_client_for
):
    # 10.266 Tonne became stock_qty 10.266 Kg on the real site (factor 1 when none is sent).
    steel_item(erp)
    tonne_rule(project)
    version = make_version(project, STEEL)

    body = preview(api_client_for, erp_editor, project, version).json()
    _, run = sync(project, erp_editor, version, submit=True)

    [line] = body["lines"]
    assert (line["uom"], line["qty"], line["conversion_factor"], line["stock_qty"]) == (
        "Tonne",
        10.266,
        1000.0,
        10266.0,
    )
    assert not any("ERPNext converts" in w for w in body["warnings"])
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    [row] = erp.get_doc("BOM", run.bom_name)["items"]
    assert (row["uom"], row["qty"], row["conversion_factor"]) == ("Tonne", 10.266, 1000.0)


def test_a_row_in_a_uom_the_item_cannot_convert_stops_the_sync_with_a_line_error(
    erp_editor, erp, tonne, project, sync, api_client_for
):
    steel_item(erp, uoms=[{"uom": "kg", "conversion_factor": 1}])
    tonne_rule(project)
    version = make_version(project, STEEL)

    body = preview(api_client_for, erp_editor, project, version).json()
    _, run = sync(project, erp_editor, version)

    error = body["errors"][0]
    assert error["item_code"] == "REBAR"
    assert "no conversion factor from Tonne" in error["error"]
    assert body["would_write"].startswith("nothing")
    run.refresh_from_db()
    assert run.state == "failed" and "no conversion factor from Tonne" in run.error
    assert erp.docs("BOM") == []


def test_on_request_a_row_without_factor_is_sent_in_the_stock_uom_converted_by_us(
    erp_editor, erp, tonne, project, sync, api_client_for
):
    steel_item(erp, uoms=[{"uom": "kg", "conversion_factor": 1}])
    tonne_rule(project)
    version = make_version(project, STEEL)

    body = preview(api_client_for, erp_editor, project, version, convert_to_stock_uom=True).json()
    _, run = sync(project, erp_editor, version, convert_to_stock_uom=True)

    [line] = body["lines"]
    assert (line["uom"], line["qty"], line["converted_from"]) == ("kg", 10266.0, "Tonne")
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    [row] = erp.get_doc("BOM", run.bom_name)["items"]
    assert (row["uom"], row["qty"], row["conversion_factor"]) == ("kg", 10266.0, 1)


def test_preview_says_where_each_rate_comes_from_and_the_total(
    erp_editor, erp, project, version, rules, stock, api_client_for
):
    erp.set_doc("Item", "DOOR-90", valuation_rate=100.0)

    body = preview(api_client_for, erp_editor, project, version).json()

    assert (body["rm_cost_as_per"], body["price_list"]) == ("Price List", "Standard Buying")
    lines = {line["item_code"]: line for line in body["lines"]}
    assert lines["STEEL-HEA200"]["rate"] == 1.25
    assert "mapping rule" in lines["STEEL-HEA200"]["rate_source"]
    assert "Item Price on Standard Buying" in lines["DOOR-90"]["rate_source"]
    assert body["total_cost"] == pytest.approx(1.25 * 1521.6, abs=0.01)
    assert "Price not found for item DOOR-90 in price list Standard Buying" in body["alerts"]


def test_without_rule_rates_the_bom_is_costed_at_valuation_rates(
    erp_editor, erp, project, version, stock, api_client_for
):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", quantity="count", uom="Nos")
    erp.set_doc("Item", "DOOR-90", valuation_rate=100.0)

    body = preview(api_client_for, erp_editor, project, version).json()

    assert body["rm_cost_as_per"] == "Valuation Rate"
    assert body["total_cost"] == 500.0
    assert body["alerts"] == []


def test_a_restricted_user_previews_and_syncs_when_every_item_exists(
    erp_editor, erp, project, version, stock, sync, api_client_for
):
    # Projects User + Manufacturing User + Purchase User: no UOM read, no Item Price.
    erp.forbid("UOM")
    erp.forbid("Item Price")
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", quantity="count", uom="Nos")
    erp.add_doc(
        "Item",
        {"item_code": f"BIM-{project.slug}", "item_group": "All Item Groups", "stock_uom": "Nos"},
    )

    response = preview(api_client_for, erp_editor, project, version)
    _, run = sync(project, erp_editor, version, submit=True)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["errors"] == []
    assert any("may not read UOM" in w for w in body["warnings"])
    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert erp.get_doc("BOM", run.bom_name)["items"][0]["qty"] == 5


def test_rule_rates_without_item_price_permission_name_the_role(
    erp_editor, erp, project, version, rules, stock, api_client_for
):
    erp.forbid("Item Price")

    body = preview(api_client_for, erp_editor, project, version).json()

    [error] = body["errors"]
    assert "Purchase Master Manager" in error["error"] and "Item Price" in error["error"]


def test_creating_items_without_item_manager_names_the_role_and_doctype(
    erp_editor, erp, project, version, rules, sync
):
    erp.inject(
        "/api/method/frappe.client.insert_many",
        status=403,
        body={
            "exc_type": "PermissionError",
            "_error_message": "No permission for Item",
            "_server_messages": json.dumps([json.dumps({"message": "No permission for Item"})]),
        },
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "failed"
    assert "Item Manager role on Item" in run.error


def test_going_back_to_an_earlier_model_makes_its_bom_default_again(
    erp_editor, erp, project, version, rules, stock, sync
):
    _, first = sync(project, erp_editor, version, submit=True, create_missing_items=True)
    newer = make_version(project, [("IfcDoor", "Door 90x210", None, 7, None, None, None, None)])
    sync(project, erp_editor, newer, submit=True)
    erp.clear_requests()

    _, again = sync(project, erp_editor, version, submit=True, create_missing_items=True)

    first.refresh_from_db()
    again.refresh_from_db()
    assert again.state == "succeeded", again.error
    assert again.outcome == BomSyncRun.Outcome.DEFAULTED
    assert again.bom_name == first.bom_name
    assert len(erp.docs("BOM")) == 2
    assert erp.get_doc("BOM", first.bom_name)["is_default"] == 1
    assert [r.method for r in writes(erp)] == ["PUT"]


def test_a_resent_bom_insert_adopts_the_bom_the_first_one_made(
    erp_editor, erp, project, version, rules, stock, sync
):
    # The first POST times out while ERPNext keeps working on it: our look-up finds nothing
    # yet, and the resend meets the name the first one has taken meanwhile.
    erp.inject("/api/resource/BOM", drop=True)
    handle, insert = erp.handle, erp._insert
    posts = []

    def refuse_the_resend(doctype, data, user):
        if doctype == "BOM":
            raise FrappeException(
                "DuplicateEntryError", f"BOM BOM-{data['item']}-001 already exists", 409
            )
        return insert(doctype, data, user)

    def first_finishes_meanwhile(request):
        reply = handle(request)
        if request.method == "POST" and request.path == "/api/resource/BOM":
            posts.append(request)
            insert("BOM", dict(request.json()), "Administrator")
        return reply

    erp.handle, erp._insert = first_finishes_meanwhile, refuse_the_resend

    _, run = sync(project, erp_editor, version, submit=True, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert len(posts) == 1  # the resend, refused
    [bom] = erp.docs("BOM")
    assert run.bom_name == bom["name"]


def test_unknown_company_in_the_preview_is_a_400_naming_it(
    erp_editor, erp, project, version, rules, stock, api_client_for
):
    response = preview(api_client_for, erp_editor, project, version, company="No Such Co")

    assert response.status_code == 400
    assert "No Such Co" in response.json()["detail"]


def test_a_currency_erpnext_cannot_convert_is_refused(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    body = preview(api_client_for, erp_editor, project, version, currency="CHF").json()
    _, run = sync(project, erp_editor, version, currency="CHF")

    assert any("no exchange rate from CHF to EUR" in e["error"] for e in body["errors"])
    run.refresh_from_db()
    assert run.state == "failed" and "no exchange rate from CHF" in run.error
    assert erp.docs("BOM") == []


def test_a_convertible_currency_is_sent_with_its_rate(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.exchange_rates[("CHF", "EUR")] = 1.05

    _, run = sync(project, erp_editor, version, currency="CHF")

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert erp.get_doc("BOM", run.bom_name)["conversion_rate"] == 1.05


def test_the_assembly_item_is_not_put_in_the_raw_material_group(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.add_doc("Item Group", {"item_group_name": "Raw Material"})

    _, run = sync(
        project, erp_editor, version, create_missing_items=True, item_group="Raw Material"
    )

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert erp.get_doc("Item", f"BIM-{project.slug}")["item_group"] != "Raw Material"


def _messages(*messages):
    return json.dumps([json.dumps(m) for m in messages])


def test_erpnext_alerts_are_shown_on_the_run_apart_from_the_error(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    alert = {"message": "Valuation Rate not found for item DOOR-90", "alert": 1}
    erp.inject(
        "/api/resource/BOM",
        status=409,
        body={
            "exc_type": "DuplicateEntryError",
            "_server_messages": _messages(
                alert, {"message": "BOM BOM-X-001 already exists", "indicator": "red"}
            ),
        },
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "failed"
    assert "already exists" in run.error and "Valuation Rate" not in run.error
    detail = api_client_for(erp_editor).get(f"/api/projects/{project.slug}/bom/runs/{run.pk}")
    assert detail.json()["alerts"] == ["Valuation Rate not found for item DOOR-90"]


def test_erpnext_alerts_on_a_successful_write_are_kept_with_the_run(
    erp_editor, erp, project, version, rules, stock, sync
):
    alert = {"message": "Valuation Rate not found for item DOOR-90", "alert": 1}
    erp.inject(
        "/api/resource/BOM",
        status=200,
        body={
            "data": {"name": "BOM-X-001", "modified": "2026-01-01 00:00:00", "docstatus": 0},
            "_server_messages": _messages(alert),
        },
    )

    _, run = sync(project, erp_editor, version, create_missing_items=True)

    run.refresh_from_db()
    assert run.state == "succeeded", run.error
    assert run.checkpoint["alerts"] == ["Valuation Rate not found for item DOOR-90"]
