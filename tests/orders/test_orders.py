"""Purchase orders from the takeoff against the recorded ERPNext 15 site (double): the delta,
units, rates, never twice, budgets, roles, Material Requests."""

import pytest

from tests.bom.conftest import make_version
from tests.orders.conftest import BEAMS, CHOSEN, DOORS, PIPES, pos

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
