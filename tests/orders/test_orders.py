"""Purchase orders from the takeoff against the recorded ERPNext 15 site (double): the delta,
units, rates, never twice, budgets, roles, Material Requests."""

import pytest

from tests.bom.conftest import add_rule, make_version
from tests.orders.conftest import BEAMS, CHOSEN, DOORS, MODEL, PIPES, pos

pytestmark = pytest.mark.django_db


def lines_by_item(body):
    return {line["item_code"]: line for line in body["lines"]}


def test_preview_plans_one_order_per_supplier_with_units_rates_and_sources(
    buyer, project, ready, preview
):
    response = preview(buyer, project, ready, **CHOSEN)

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["problems"] == []
    lines = lines_by_item(body)
    rebar, pipe, door = lines["REBAR"], lines["PIPE"], lines["DOOR-90"]
    assert (rebar["uom"], rebar["conversion_factor"], rebar["to_order"]) == (
        "Tonne",
        1000.0,
        10.266,
    )
    assert (rebar["rate"], rebar["rate_source"]) == (500.0, "price_list")  # 0.5/Kg x 1000
    assert (rebar["supplier"], rebar["supplier_source"]) == ("Steel Supplies", "item_default")
    # 100 m of pipe is 8.33 boxes of 12 m; Box must be whole: 9, shown as rounded up
    assert (pipe["uom"], pipe["to_order"], pipe["rounded_up"]) == ("Box", 9.0, True)
    assert (pipe["rate"], pipe["supplier_source"]) == (30.0, "rule")
    assert (door["rate"], door["rate_source"], door["supplier_source"]) == (
        120.0,
        "last_purchase_rate",
        "chosen",
    )
    assert sorted(o["supplier"] for o in body["orders"]) == [
        "Build Mart",
        "Door Co",
        "Steel Supplies",
    ]
    assert {r["item_code"] for r in body["rounding"]} == {"PIPE"}


def test_create_writes_drafts_with_project_uom_and_factor_on_every_row(
    site, buyer, project, ready, create, erp_project
):
    response, job = create(buyer, project, ready, **CHOSEN)

    assert response.status_code == 202, response.content
    job.refresh_from_db()
    assert job.state == "succeeded", (job.error, job.error_details)
    orders = pos(site)
    assert len(orders) == 3
    for order in orders:
        assert order["docstatus"] == 0
        assert order["project"] == erp_project["name"]
        for row in order["items"]:
            assert row["project"] == erp_project["name"]
    [steel] = [o for o in orders if o["supplier"] == "Steel Supplies"]
    [row] = steel["items"]
    # sent in Tonne with the factor: 10.266 t is 10,266 kg, not 10.266 kg
    assert (row["uom"], row["qty"], row["conversion_factor"], row["stock_qty"]) == (
        "Tonne",
        10.266,
        1000.0,
        10266.0,
    )
    assert [d["action"] for d in job.documents] == ["created"] * 3


def test_after_a_first_order_the_preview_orders_nothing_more(
    site, buyer, project, ready, create, preview
):
    create(buyer, project, ready, **CHOSEN)

    body = preview(buyer, project, ready, **CHOSEN).json()

    assert body["orders"] == []
    rebar = lines_by_item(body)["REBAR"]
    assert (rebar["model_qty"], rebar["ordered_qty"], rebar["to_order"]) == (10.266, 10.266, 0.0)
    # 9 boxes (108 m) for 100 m of pipe: more than the model, but only by the rounding
    [pipe] = body["over_ordered"]
    assert (pipe["item_code"], pipe["rounding_only"]) == ("PIPE", True)


def test_a_changed_model_orders_only_the_difference(site, buyer, project, ready, create):
    create(buyer, project, ready, **CHOSEN)
    bigger = make_version(project, [(*BEAMS[:7], 12000.0), PIPES, DOORS])

    _, job = create(buyer, project, bigger, **CHOSEN)

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    [new] = [o for o in pos(site) if o["name"] == job.result["orders"][0]["name"]]
    [row] = new["items"]
    assert (row["item_code"], row["uom"], row["qty"]) == ("REBAR", "Tonne", 1.734)
    assert len(pos(site)) == 4


def test_a_shrunk_model_shows_the_over_order_and_no_negative_line(
    site, buyer, project, ready, create, preview
):
    create(buyer, project, ready, **CHOSEN)
    smaller = make_version(project, [(*BEAMS[:7], 8000.0), PIPES, DOORS])

    body = preview(buyer, project, smaller, **CHOSEN).json()

    rebar = lines_by_item(body)["REBAR"]
    assert rebar["to_order"] == 0.0
    assert all(line["to_order"] >= 0 for line in body["lines"])
    [over] = [o for o in body["over_ordered"] if not o["rounding_only"]]
    assert (over["item_code"], over["over_ordered_stock_qty"]) == ("REBAR", 2266.0)
    assert len(over["documents"]) == 1
    assert body["orders"] == []


def test_cancelled_orders_do_not_count_as_ordered(site, buyer, project, ready, create, preview):
    _, job = create(buyer, project, ready, **CHOSEN)
    for order in job.result["orders"]:
        site.set_doc("Purchase Order", order["name"], docstatus=1)
        site.set_doc("Purchase Order", order["name"], docstatus=2)

    body = preview(buyer, project, ready, **CHOSEN).json()

    assert len(body["orders"]) == 3


def test_a_lost_answer_is_found_by_its_marker_and_not_ordered_twice(
    site, buyer, project, ready, create, settings
):
    settings.ERPNEXT_TIMEOUT = 0.3
    site.inject("/api/resource/Purchase%20Order", delay_after_handling=1.0, method="POST")

    _, job = create(buyer, project, ready, **CHOSEN)

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert len(pos(site)) == 3
    assert sorted(d["action"] for d in job.documents) == ["adopted", "created", "created"]


def test_resume_after_a_failure_continues_without_duplicates(
    site, buyer, project, ready, create, api_client_for, django_capture_on_commit_callbacks
):
    # the orders are made, then ERPNext fails on the submit
    site.inject("/api/resource/Purchase%20Order/", status=503, method="PUT", times=1)
    _, job = create(buyer, project, ready, submit=True, **CHOSEN)
    job.refresh_from_db()
    assert job.state == "failed"
    assert len(pos(site)) == 3

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(buyer).post(
            f"/api/projects/{project.slug}/purchase-orders/runs/{job.pk}/resume"
        )

    assert response.status_code == 202, response.content
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert len(pos(site)) == 3
    assert all(order["docstatus"] == 1 for order in pos(site))


def test_orders_made_before_the_worker_died_are_adopted_on_resume(
    site, buyer, project, ready, create, api_client_for, django_capture_on_commit_callbacks
):
    site.inject("/api/resource/Purchase%20Order/", status=503, method="PUT", times=1)
    _, job = create(buyer, project, ready, submit=True, **CHOSEN)
    # a worker that died between the insert and its checkpoint never noted what it made
    job.refresh_from_db()
    job.checkpoint = {"plan": job.checkpoint["plan"], "made": {}}
    job.save(update_fields=["checkpoint"])

    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(buyer).post(f"/api/jobs/{job.pk}/retry")

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert len(pos(site)) == 3
    assert [d["action"] for d in job.documents].count("adopted") == 3


def budget(site, erp_project, action, amount=100):
    doc = site.add_doc(
        "Budget",
        {
            "budget_against": "Project",
            "project": erp_project["name"],
            "fiscal_year": "2026",
            "applicable_on_purchase_order": 1,
            "applicable_on_booking_actual_expenses": 1,
            "action_if_annual_budget_exceeded_on_po": action,
            "accounts": [{"account": "Cost of Goods Sold - BTC", "budget_amount": amount}],
        },
    )
    return site.set_doc("Budget", doc["name"], docstatus=1)


def test_a_stop_budget_refuses_the_submit_with_erpnexts_message_per_order(
    site, buyer, project, ready, create, erp_project
):
    budget(site, erp_project, "Stop")

    _, job = create(buyer, project, ready, submit=True, **CHOSEN)

    job.refresh_from_db()
    assert job.state == "failed"
    assert "ERPNext refused to submit" in job.error
    refused = job.error_details
    assert refused and all(e["order"] for e in refused)
    assert (
        "Annual Budget for Account Cost of Goods Sold - BTC against Project" in refused[0]["error"]
    )
    assert "It will be exceed by" in refused[0]["error"]
    assert "<strong>" not in refused[0]["error"]
    assert all(order["docstatus"] == 0 for order in pos(site))  # the drafts stay


def test_a_warn_budget_submits_and_keeps_erpnexts_alerts(
    site, buyer, project, ready, create, erp_project
):
    budget(site, erp_project, "Warn")

    _, job = create(buyer, project, ready, submit=True, **CHOSEN)

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    alerts = [a for order in job.result["orders"] for a in order["alerts"]]
    assert any(a.startswith("Annual Budget for Account Cost of Goods Sold - BTC") for a in alerts)
    assert all(order["docstatus"] == 1 for order in pos(site))
    assert all(o["status"] == "To Receive and Bill" for o in pos(site))  # a separate submit


def test_the_preview_shows_the_budget_left(site, buyer, project, ready, preview, erp_project):
    budget(site, erp_project, "Stop", amount=20000)

    body = preview(buyer, project, ready, **CHOSEN).json()

    [account] = body["budget"]["accounts"]
    assert (account["account"], account["amount"], account["left"]) == (
        "Cost of Goods Sold - BTC",
        20000.0,
        20000.0,
    )
    assert account["exceeded_by_this_order"] is False


def test_without_a_supplier_the_preview_asks_to_choose_one_and_create_refuses(
    site, buyer, project, ready, preview, create
):
    body = preview(buyer, project, ready).json()

    [problem] = body["problems"]
    assert problem["item_code"] == "DOOR-90"
    assert "choose one" in problem["error"]
    assert lines_by_item(body)["DOOR-90"]["supplier"] == ""
    _, job = create(buyer, project, ready)
    job.refresh_from_db()
    assert job.state == "failed"
    assert job.error_details[0]["item_code"] == "DOOR-90"
    assert pos(site) == []


def test_a_supplier_or_item_missing_in_erpnext_names_the_role_that_creates_it(
    site, buyer, project, ready, preview
):
    add_rule(project, ifc_class="IfcWindow", item_code="WINDOW-X", quantity="count", uom="Nos")
    version = make_version(project, [*MODEL, ("IfcWindow", "W1", None, 2, None, None, None, None)])

    body = preview(buyer, project, version, suppliers={"DOOR-90": "Nobody Ltd"}).json()

    errors = {p.get("item_code") or p.get("supplier"): p for p in body["problems"]}
    assert errors["WINDOW-X"]["role"] == "Item Manager"
    assert errors["Nobody Ltd"]["role"] == "Purchase Master Manager"


def test_the_restricted_purchase_user_previews_and_orders(
    site, restricted, project, linked, masters, rules, version, preview, create
):
    # no UOM, no Item Price, no Budget, no Item/Supplier writes for this user
    body = preview(restricted, project, version, **CHOSEN)

    assert body.status_code == 200, body.content
    body = body.json()
    assert body["problems"] == []
    assert lines_by_item(body)["REBAR"]["rate"] == 500.0  # through apply_price_list
    assert body["budget"]["readable"] is False
    assert "Accounts Manager" in body["budget"]["message"]
    _, job = create(restricted, project, version, submit=True, **CHOSEN)
    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    assert len(pos(site)) == 3


def test_a_viewer_gets_403_and_nothing_is_read(
    site, project, project_viewer_global_editor, ready, preview, create
):
    from tests.orders.conftest import connect

    connect(project_viewer_global_editor, site)
    before = len(site.requests)

    response = preview(project_viewer_global_editor, project, ready)
    created, _ = create(project_viewer_global_editor, project, ready)

    assert (response.status_code, created.status_code) == (403, 403)
    assert len(site.requests) == before


def test_a_global_viewer_gets_403(site, viewer, project, ready, create):
    from projects import services as project_services

    project_services.project_member_set(project=project, user_id=viewer.pk, role="admin")
    response, _ = create(viewer, project, ready)

    assert response.status_code == 403


def test_an_unlinked_project_is_a_400_saying_so(buyer, project, masters, rules, version, preview):
    response = preview(buyer, project, version)

    assert response.status_code == 400
    assert "Link this project to an ERPNext Project" in response.json()["detail"]


def test_material_requests_instead_and_the_delta_counts_open_requests(
    site, buyer, project, ready, create, preview, erp_project
):
    _, job = create(buyer, project, ready, doctype="Material Request", **CHOSEN)

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    requests = site.docs("Material Request")
    assert len(requests) == 3
    for request in requests:
        assert request["material_request_type"] == "Purchase"
        assert all(row["project"] == erp_project["name"] for row in request["items"])
    body = preview(buyer, project, ready, **CHOSEN).json()
    assert body["orders"] == []
    assert lines_by_item(body)["REBAR"]["ordered_qty"] == 10.266


def test_a_150_line_takeoff_is_one_order_with_150_rows_and_constant_reads(
    site, buyer, project, linked, masters, create
):
    lines = []
    for n in range(160):
        code = f"PART-{n:03d}"
        site.add_doc("Item", {"item_code": code, "item_group": "Raw Material", "stock_uom": "Nos"})
        add_rule(
            project,
            type_name=f"T{n:03d}",
            item_code=code,
            quantity="count",
            uom="Nos",
            rate="2",
            supplier="Build Mart",
        )
        lines.append(("IfcMember", f"T{n:03d}", None, 1 + n % 3, None, None, None, None))
    version = make_version(project, lines)
    before = len(site.requests)

    _, job = create(buyer, project, version, submit=True)

    job.refresh_from_db()
    assert job.state == "succeeded", job.error
    [order] = pos(site)
    assert len(order["items"]) == 160
    assert order["docstatus"] == 1
    writes = [
        r
        for r in site.requests[before:]
        if r.method in ("POST", "PUT") and "get_list" not in r.path
    ]
    assert len(writes) == 2  # one insert, one submit
    assert job.reads <= 12


def test_per_storey_one_order_per_supplier_and_storey_and_ordered_covers_the_first(
    site, buyer, project, linked, masters, rules, create, preview
):
    from projects.models import TakeoffElement

    version = make_version(project, [BEAMS])  # 6 beams, 1,711 kg each
    elements = TakeoffElement.objects.filter(model_version=version).order_by("global_id")
    for n, element in enumerate(elements):
        element.storey = "Level 1" if n < 2 else "Level 2"
        element.save(update_fields=["storey"])
    dates = {"Level 1": "2027-01-10", "Level 2": "2027-02-10"}

    body = preview(buyer, project, version, delivery="storey", schedule_dates=dates).json()

    assert [(o["group"], o["schedule_date"]) for o in body["orders"]] == [
        ("Level 1", "2027-01-10"),
        ("Level 2", "2027-02-10"),
    ]
    assert [o["rows"][0]["qty"] for o in body["orders"]] == [3.422, 6.844]
    # 4 t already on order (a first run of Level 1 and part of Level 2): Level 1 is covered first
    site.add_doc(
        "Purchase Order",
        {
            "supplier": "Steel Supplies",
            "project": linked.erpnext_project,
            "schedule_date": "2027-01-01",
            "items": [
                {"item_code": "REBAR", "qty": 4, "uom": "Tonne", "project": linked.erpnext_project}
            ],
        },
    )
    body = preview(buyer, project, version, delivery="storey", schedule_dates=dates).json()
    [order] = body["orders"]
    assert (order["group"], order["rows"][0]["qty"]) == ("Level 2", 6.266)
    _, job = create(buyer, project, version, delivery="storey", schedule_dates=dates)
    job.refresh_from_db()
    [made] = [o for o in pos(site) if o["name"] == job.result["orders"][0]["name"]]
    assert made["schedule_date"] == "2027-02-10"
    assert "Level 2" in made["title"]


@pytest.mark.parametrize(
    ("body", "named"),
    [
        ({"schedule_date": "next week"}, "schedule_date"),
        ({"delivery": "floor"}, "delivery"),
        ({"suppliers": {"DOOR-90": "Door*"}}, "Suppliers"),
        ({"colour": "red"}, "colour"),
    ],
)
def test_bad_options_are_a_400_naming_them_and_nothing_is_read(
    site, buyer, project, ready, preview, body, named
):
    before = len(site.requests)

    response = preview(buyer, project, ready, **body)

    assert response.status_code == 400
    assert named in str(response.json())
    assert len(site.requests) == before


def test_a_rule_names_its_supplier_through_the_rules_api(buyer, project, api_client_for):
    response = api_client_for(buyer).post(
        f"/api/projects/{project.slug}/bom/rules",
        {"item_code": "PIPE", "quantity": "length", "uom": "Box", "supplier": "Build Mart"},
        format="json",
    )

    assert response.status_code == 201, response.content
    assert response.json()["supplier"] == "Build Mart"


def test_an_implausible_beam_volume_is_ordered_as_measured_unless_exported_is_chosen(
    buyer, project, ready, rules, preview
):
    from projects.models import TakeoffElement

    # Steel bought by the tonne from its volume (7.85 t/m³); the beams' exported volume is in
    # m²·mm, a thousand times what their bodies hold.
    rebar = rules[0]
    rebar.quantity, rebar.unit_factor = "volume", "7.85"
    rebar.save()
    beams = TakeoffElement.objects.filter(model_version=ready, ifc_class="IfcBeam")
    beams.update(volume=190.0 / 6, implausible=True, measured_volume=0.19 / 6)

    measured = preview(buyer, project, ready, **CHOSEN).json()
    exported = preview(buyer, project, ready, implausible_quantities="exported", **CHOSEN).json()

    assert lines_by_item(measured)["REBAR"]["to_order"] == pytest.approx(0.19 * 7.85, abs=1e-3)
    assert lines_by_item(exported)["REBAR"]["to_order"] == pytest.approx(190 * 7.85, abs=1e-3)
    [note] = measured["implausible"]
    assert (note["item_code"], note["quantity"], note["used"]) == ("REBAR", "volume", "measured")
    assert note["exported"] == pytest.approx(190.0) and note["measured"] == pytest.approx(0.19)
    assert any("uses the measured values" in w for w in measured["warnings"])
    assert exported["implausible"][0]["used"] == "exported"
