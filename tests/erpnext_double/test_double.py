"""Behaviours of the ERPNext double that the recordings describe but do not replay one by one
(README.md section 6, purchasing-and-costs.md section 12)."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests

from tests.erpnext_double import DocTypeSpec, FrappeDouble
from tests.erpnext_double.erpnext import (
    ADMIN_KEY,
    ADMIN_SECRET,
    RESTRICTED_KEY,
    RESTRICTED_SECRET,
    recorded_site,
)

ADMIN = {"Authorization": f"token {ADMIN_KEY}:{ADMIN_SECRET}"}
RESTRICTED = {"Authorization": f"token {RESTRICTED_KEY}:{RESTRICTED_SECRET}"}


@pytest.fixture
def site():
    with recorded_site() as double:
        double.add_doc(
            "Item",
            {
                "item_code": "STEEL",
                "item_group": "Raw Material",
                "stock_uom": "Kg",
                "uoms": [{"uom": "Tonne", "conversion_factor": 1000}],
                "purchase_uom": "Tonne",
            },
        )
        double.add_doc("Item", {"item_code": "WALL", "item_group": "Products"})
        double.add_doc("Supplier", {"supplier_name": "Steel Co"})
        yield double


def post(site, doctype, body, headers=ADMIN):
    return requests.post(f"{site.url}/api/resource/{doctype}", json=body, headers=headers)


def alerts(body):
    return [json.loads(m) for m in json.loads(body.get("_server_messages", "[]"))]


def test_bom_row_in_another_uom_keeps_factor_one_when_none_is_sent(site):
    # "10.266 Tonne became stock_qty 10.266 Kg" (README section 6)
    reply = post(
        site,
        "BOM",
        {"item": "WALL", "items": [{"item_code": "STEEL", "qty": 10.266, "uom": "Tonne"}]},
    )

    row = reply.json()["data"]["items"][0]
    assert (row["conversion_factor"], row["stock_qty"], row["stock_uom"]) == (1.0, 10.266, "Kg")


def test_bom_row_with_a_sent_factor_converts(site):
    reply = post(
        site,
        "BOM",
        {
            "item": "WALL",
            "items": [{"item_code": "STEEL", "qty": 2, "uom": "Tonne", "conversion_factor": 1000}],
        },
    )

    assert reply.json()["data"]["items"][0]["stock_qty"] == 2000.0


def test_bom_rates_come_from_valuation_rate_with_an_alert_when_there_is_none(site):
    reply = post(
        site, "BOM", {"item": "WALL", "items": [{"item_code": "STEEL", "qty": 3, "rate": 120}]}
    )

    body = reply.json()
    assert reply.status_code == 200
    assert (body["data"]["items"][0]["rate"], body["data"]["total_cost"]) == (0.0, 0.0)
    assert alerts(body) == [
        {"message": "Valuation Rate not found for item STEEL", "title": "Message", "alert": 1}
    ]

    site.set_doc("Item", "STEEL", valuation_rate=0.5)
    reply = post(
        site,
        "BOM",
        {
            "item": "WALL",
            "items": [{"item_code": "STEEL", "qty": 3, "uom": "Tonne", "conversion_factor": 1000}],
        },
    )
    assert reply.json()["data"]["items"][0]["rate"] == 500.0  # per Tonne
    assert reply.json()["data"]["total_cost"] == 1500.0
    assert "_server_messages" not in reply.json()


def test_bom_rates_from_a_price_list(site):
    site.add_doc(
        "Item Price",
        {"item_code": "STEEL", "price_list": "Standard Buying", "price_list_rate": 0.8},
    )

    reply = post(
        site,
        "BOM",
        {
            "item": "WALL",
            "rm_cost_as_per": "Price List",
            "buying_price_list": "Standard Buying",
            "items": [{"item_code": "STEEL", "qty": 10}],
        },
    )

    assert reply.json()["data"]["total_cost"] == 8.0


def test_the_newest_submitted_bom_becomes_default(site):
    first = post(site, "BOM", {"item": "WALL", "docstatus": 1, "items": [{"item_code": "STEEL"}]})
    second = post(site, "BOM", {"item": "WALL", "docstatus": 1, "items": [{"item_code": "STEEL"}]})

    assert site.get_doc("BOM", first.json()["data"]["name"])["is_default"] == 0
    assert site.get_doc("BOM", second.json()["data"]["name"])["is_default"] == 1
    assert site.get_doc("Item", "WALL")["default_bom"] == second.json()["data"]["name"]


def test_an_error_carries_the_alerts_made_before_it(site):
    reply = post(
        site,
        "BOM",
        {"item": "WALL", "items": [{"item_code": "STEEL", "qty": 1}, {"item_code": "NOPE"}]},
    )

    assert reply.status_code == 404
    assert [m["message"] for m in alerts(reply.json())] == [
        "Valuation Rate not found for item STEEL",
        "Item NOPE not found",
    ]


def test_a_po_row_without_uom_is_in_the_purchase_uom(site):
    reply = post(
        site,
        "Purchase Order",
        {
            "supplier": "Steel Co",
            "schedule_date": "2030-01-01",
            "items": [{"item_code": "STEEL", "qty": 2}],
        },
    )

    row = reply.json()["data"]["items"][0]
    assert (row["uom"], row["conversion_factor"], row["stock_qty"]) == ("Tonne", 1000.0, 2000.0)


def test_the_restricted_user_may_not_read_uom_nor_create_items(site):
    uoms = requests.get(f"{site.url}/api/resource/UOM", headers=RESTRICTED)
    item = post(site, "Item", {"item_code": "X", "item_group": "Products"}, RESTRICTED)
    bom = post(site, "BOM", {"item": "WALL", "items": [{"item_code": "STEEL"}]}, RESTRICTED)

    assert (uoms.status_code, uoms.json()["_error_message"]) == (403, "No permission for UOM")
    assert (
        "does not have doctype access via role permission for document <strong>UOM</strong>"
        in (alerts(uoms.json())[0]["message"])
    )
    assert (item.status_code, item.json()["_error_message"]) == (403, "No permission for Item")
    assert bom.status_code == 200


def test_data_fields_are_stored_html_escaped(site):
    reply = post(site, "Project", {"project_name": "Haus A&B <Nord>"})
    plain = post(site, "Project", {"project_name": "Haus A&B"})

    assert reply.json()["data"]["project_name"] == "Haus A&amp;B &lt;Nord&gt;"
    assert plain.json()["data"]["project_name"] == "Haus A&B"  # no < or >: left alone


def test_a_child_table_filter_keeps_its_doctype(site):
    reply = requests.get(
        f"{site.url}/api/resource/Item",
        params={"filters": json.dumps([["UOM Conversion Detail", "uom", "=", "Tonne"]])},
        headers=ADMIN,
    )

    assert reply.json()["data"] == [{"name": "STEEL"}]


def test_a_write_keeps_running_after_the_client_gave_up(site):
    site.inject("/api/resource/Project", delay_after_handling=1.0, method="POST")

    with pytest.raises(requests.Timeout):
        requests.post(
            f"{site.url}/api/resource/Project",
            json={"project_name": "Late"},
            headers=ADMIN,
            timeout=0.2,
        )

    # The insert finishes on the server's own thread, whenever the client stopped waiting.
    deadline = time.monotonic() + 5.0
    while not site.docs("Project") and time.monotonic() < deadline:
        time.sleep(0.02)
    assert [p["project_name"] for p in site.docs("Project")] == ["Late"]


def test_declared_hooks_run_without_a_subclass():
    seen = []
    with FrappeDouble() as double:
        double.register_doctype(
            DocTypeSpec(
                "Gadget",
                naming="field:title",
                submittable=True,
                validate=lambda d, doc, user, prev: doc.update(size=len(doc["title"])),
                on_submit=lambda d, doc, user, prev: seen.append(doc["name"]),
            )
        )
        doc = double.add_doc("Gadget", {"title": "abc", "docstatus": 1})

    assert (doc["size"], seen) == (3, ["abc"])


class _Flaky(BaseHTTPRequestHandler):
    statuses: list[int] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers["Content-Length"]))
        status = self.statuses.pop(0) if self.statuses else 200
        self.send_response(status)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def test_the_webhook_sender_retries_a_non_2xx_three_times_like_frappe(site):
    project = site.add_doc("Project", {"project_name": "Hooked"})
    _Flaky.statuses = [409, 409, 409]
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Flaky)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        started = time.monotonic()
        response = site.send_webhook(
            f"http://127.0.0.1:{server.server_address[1]}/hook",
            "Project",
            project["name"],
            secret="s",
            sleep_scale=0.01,
        )
    finally:
        server.shutdown()

    assert response.status_code == 409
    assert [status for status, _ in site.webhook_log] == [409, 409, 409]
    assert time.monotonic() - started >= (1 + 4 + 7) * 0.01
