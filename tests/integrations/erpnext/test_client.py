"""ErpnextClient against FrappeDouble, a real Frappe-speaking server on loopback."""

from __future__ import annotations

import json
import logging
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from integrations.erpnext.client import INSERT_MANY_LIMIT, ErpnextClient
from integrations.erpnext.errors import (
    ErpnextAuthError,
    ErpnextConflict,
    ErpnextError,
    ErpnextNetworkError,
    ErpnextNotFound,
    ErpnextPermissionError,
    ErpnextProtocolError,
    ErpnextRateLimited,
    ErpnextServerError,
    ErpnextValidationError,
)
from integrations.netguard import OutboundPolicy, safe_session
from tests.erpnext_double import FrappeDouble
from tests.erpnext_double.tls import make_tls

POLICY = OutboundPolicy(allow_private=True, timeout=3)
KEY = "a1b2c3d4e5f6a7b"
SECRET = "9f8e7d6c5b4a3f2"


@pytest.fixture
def frappe():
    with FrappeDouble(version=15, api_key=KEY, api_secret=SECRET) as double:
        yield double


@pytest.fixture
def client(frappe):
    with ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY) as erp:
        yield erp


def add_projects(double: FrappeDouble, count: int, **fields) -> list[str]:
    start = len(double.docs("Project"))  # project_name is unique in ERPNext
    return [
        double.add_doc("Project", {"project_name": f"Tower {start + i}", **fields})["name"]
        for i in range(count)
    ]


# ---------------------------------------------------------------------------- headers and auth


def test_sends_token_authorization_and_accept_json(frappe, client):
    client.get_logged_user()

    (request,) = frappe.requests
    assert request.path == "/api/method/frappe.auth.get_logged_user"
    assert request.headers["Authorization"] == f"token {KEY}:{SECRET}"
    assert request.headers["Accept"] == "application/json"


def test_get_logged_user_returns_frappes_message_as_is():
    with FrappeDouble(api_key=KEY, api_secret=SECRET, user="jan@bouwbedrijf.nl") as double:
        erp = ErpnextClient(double.url, KEY, SECRET, policy=POLICY)
        assert erp.get_logged_user() == "jan@bouwbedrijf.nl"


def test_get_logged_user_200_without_message_is_protocol_error(frappe, client):
    frappe.inject(body={"data": "Administrator"})

    with pytest.raises(ErpnextProtocolError):
        client.get_logged_user()


@pytest.mark.parametrize("version", [15, 16])
def test_bad_secret_on_v15_and_later_is_401_auth_error(version):
    with FrappeDouble(version=version, api_key=KEY, api_secret=SECRET) as double:
        erp = ErpnextClient(double.url, KEY, "wrong-secret-1234", policy=POLICY)

        with pytest.raises(ErpnextAuthError) as caught:
            erp.get_logged_user()

    assert caught.value.status == 401
    assert caught.value.exc_type == "AuthenticationError"


def test_bad_secret_on_v14_is_403_and_still_an_auth_error():
    # v14 leaves the request as Guest; Frappe then refuses the whitelisted method with 403.
    with FrappeDouble(version=14, api_key=KEY, api_secret=SECRET) as double:
        erp = ErpnextClient(double.url, KEY, "wrong-secret-1234", policy=POLICY)

        with pytest.raises(ErpnextAuthError) as caught:
            erp.get_logged_user()

    assert caught.value.status == 403
    assert caught.value.exc_type == "PermissionError"
    assert "not permitted" in caught.value.message


def test_unknown_key_on_v14_is_401_auth_error():
    with FrappeDouble(version=14, api_key=KEY, api_secret=SECRET) as double:
        erp = ErpnextClient(double.url, "unknown-key-123", SECRET, policy=POLICY)

        with pytest.raises(ErpnextAuthError) as caught:
            erp.get_logged_user()

    assert caught.value.status == 401


def test_403_with_authentication_error_exc_type_is_auth_error(frappe, client):
    frappe.inject(status=403, exc_type="AuthenticationError", message="Invalid key")

    with pytest.raises(ErpnextAuthError) as caught:
        client.get_doc("Project", "PROJ-0001")

    assert caught.value.status == 403


def test_bad_secret_on_v14_resource_call_is_permission_error():
    # Outside get_logged_user a v14 Guest refusal cannot be told from a real permission error.
    with FrappeDouble(version=14, api_key=KEY, api_secret=SECRET) as double:
        erp = ErpnextClient(double.url, KEY, "wrong-secret-1234", policy=POLICY)

        with pytest.raises(ErpnextPermissionError):
            list(erp.list_docs("Project"))


# ---------------------------------------------------------------------------- error mapping


def test_missing_document_is_not_found(client):
    with pytest.raises(ErpnextNotFound) as caught:
        client.get_doc("Project", "PROJ-9999")

    assert caught.value.status == 404
    assert caught.value.exc_type == "DoesNotExistError"
    assert caught.value.message == "Project PROJ-9999 not found"


def test_unknown_doctype_is_not_found(client):
    with pytest.raises(ErpnextNotFound):
        list(client.list_docs("Bouwdeel"))


def test_missing_mandatory_field_is_validation_error_with_frappes_message(client):
    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc("Project", {"status": "Open"})

    assert caught.value.status == 417
    assert caught.value.exc_type == "MandatoryError"
    assert caught.value.message == "Error: Value missing for Project: Project Name"


def test_broken_link_is_validation_error(client):
    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc("Project", {"project_name": "Dak", "company": "No Such BV"})

    assert caught.value.exc_type == "LinkValidationError"
    assert caught.value.message == "Could not find Company: No Such BV"


def test_duplicate_name_is_conflict(client):
    with pytest.raises(ErpnextConflict) as caught:
        client.insert_doc("Company", {"company_name": "OpenAEC Demo"})

    assert caught.value.status == 409
    assert caught.value.exc_type == "DuplicateEntryError"


def test_stale_modified_timestamp_is_conflict(frappe, client):
    (name,) = add_projects(frappe, 1)

    with pytest.raises(ErpnextConflict) as caught:
        client.update_doc("Project", name, {"status": "Completed", "modified": "2001-01-01"})

    assert caught.value.exc_type == "TimestampMismatchError"
    assert caught.value.status == 417


def test_forbidden_doctype_is_permission_error(frappe, client):
    frappe.forbid("Project")

    with pytest.raises(ErpnextPermissionError) as caught:
        client.get_doc("Project", "PROJ-0001")

    assert caught.value.status == 403


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        (500, ErpnextServerError),
        (502, ErpnextServerError),
        (504, ErpnextServerError),
        (404, ErpnextNotFound),
        (409, ErpnextConflict),
        (417, ErpnextValidationError),
        (401, ErpnextAuthError),
        (429, ErpnextRateLimited),
    ],
)
def test_status_maps_to_error_type(frappe, status, expected):
    erp = ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY, retries=0)
    frappe.inject(status=status)

    with pytest.raises(expected) as caught:
        erp.get_doc("Company", "OpenAEC Demo")

    assert caught.value.status == status


def test_server_messages_are_json_strings_of_json_strings(frappe, client):
    messages = [json.dumps({"message": "<b>Rate</b> is required"}), json.dumps({"message": "x"})]
    frappe.inject(
        status=417,
        body={"exc_type": "ValidationError", "_server_messages": json.dumps(messages)},
    )

    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc("Project", {"project_name": "A"})

    assert caught.value.message == "Rate is required; x"


def test_exception_line_used_when_no_server_messages(frappe, client):
    frappe.inject(
        status=417,
        body={"exception": "frappe.exceptions.MandatoryError: [Project, new]: project_name"},
    )

    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc("Project", {"project_name": "A"})

    assert caught.value.exc_type == "MandatoryError"
    assert caught.value.message == "[Project, new]: project_name"


def test_error_body_is_cut_to_500_characters(frappe, client):
    frappe.inject(status=417, body={"exc_type": "ValidationError", "exc": "x" * 5000})

    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc("Project", {"project_name": "A"})

    assert len(caught.value.body) == 500


def test_html_answer_is_protocol_error(frappe, client):
    frappe.inject(html=True)

    with pytest.raises(ErpnextProtocolError) as caught:
        client.get_logged_user()

    assert caught.value.kind == "not_frappe"
    assert "<html" in caught.value.body


def test_garbage_answer_is_protocol_error(frappe, client):
    frappe.inject(garbage=True)

    with pytest.raises(ErpnextProtocolError):
        client.get_doc("Company", "OpenAEC Demo")


def test_json_without_data_is_protocol_error(frappe, client):
    frappe.inject(body={"message": "ok"})

    with pytest.raises(ErpnextProtocolError):
        client.get_doc("Company", "OpenAEC Demo")


def test_body_over_the_limit_is_protocol_error(frappe):
    erp = ErpnextClient(
        frappe.url,
        KEY,
        SECRET,
        policy=OutboundPolicy(allow_private=True, max_body_bytes=2000),
    )
    frappe.inject(body={"data": "x" * 5000})

    with pytest.raises(ErpnextProtocolError) as caught:
        erp.get_doc("Company", "OpenAEC Demo")

    assert caught.value.kind == "too_large"


def test_dropped_connection_is_network_error(frappe, client):
    frappe.inject(drop=True, times=None)

    with pytest.raises(ErpnextNetworkError) as caught:
        client.get_logged_user()

    assert caught.value.kind == "connect"
    assert len(frappe.requests) == 3  # a GET is retried twice before giving up


def test_write_dropped_after_handling_is_not_sent_again(frappe, client):
    frappe.inject("/api/resource/Project", drop_after_handling=True)

    with pytest.raises(ErpnextNetworkError):
        client.insert_doc("Project", {"project_name": "Written once"})

    assert [r.method for r in frappe.requests] == ["POST"]
    assert [d["project_name"] for d in frappe.docs("Project")] == ["Written once"]


def test_refused_address_is_network_error_and_nothing_is_sent(frappe):
    erp = ErpnextClient(frappe.url, KEY, SECRET, policy=OutboundPolicy())

    with pytest.raises(ErpnextNetworkError) as caught:
        erp.get_logged_user()

    assert caught.value.kind == "refused_address"
    assert frappe.connection_count == 0


def test_timeout_is_network_error(frappe):
    erp = ErpnextClient(
        frappe.url, KEY, SECRET, policy=OutboundPolicy(allow_private=True, timeout=0.3), retries=0
    )
    frappe.inject(delay=2)

    with pytest.raises(ErpnextNetworkError) as caught:
        erp.get_logged_user()

    assert caught.value.kind == "timeout"


def test_tls_failure_is_network_error(tmp_path):
    tls = make_tls(tmp_path)
    with FrappeDouble(ssl_context=tls.server_context, url_host="localhost") as double:
        erp = ErpnextClient(double.url, double.api_key, double.api_secret, policy=POLICY)

        with pytest.raises(ErpnextNetworkError) as caught:
            erp.get_logged_user()

        assert caught.value.kind == "tls"
        trusting = OutboundPolicy(allow_private=True, ca_bundle=str(tls.ca_path))
        erp = ErpnextClient(double.url, double.api_key, double.api_secret, policy=trusting)
        assert erp.get_logged_user() == "Administrator"


# ---------------------------------------------------------------------------- reading


def test_paging_45_projects_with_page_size_20_takes_3_requests(frappe, client):
    add_projects(frappe, 45)

    rows = list(client.list_docs("Project", fields=["name", "project_name"], page_size=20))

    assert len(rows) == 45
    assert len({row["name"] for row in rows}) == 45
    pages = [(r.param("limit_start"), r.param("limit_page_length")) for r in frappe.requests]
    assert pages == [("0", "20"), ("20", "20"), ("40", "20")]


def test_list_docs_always_sends_a_page_length(frappe, client):
    add_projects(frappe, 25)  # Frappe would answer only 20 without limit_page_length

    assert len(list(client.list_docs("Project"))) == 25
    assert frappe.requests[0].param("limit_page_length") == "500"


def test_list_docs_sends_fields_filters_and_order(frappe, client):
    add_projects(frappe, 3)
    add_projects(frappe, 2, status="Completed")

    rows = list(
        client.list_docs(
            "Project",
            fields=["name", "status"],
            filters={"status": "Completed"},
            order_by="name desc",
        )
    )

    assert rows == [
        {"name": "PROJ-0005", "status": "Completed"},
        {"name": "PROJ-0004", "status": "Completed"},
    ]
    request = frappe.requests[0]
    assert json.loads(request.param("filters")) == {"status": "Completed"}
    assert json.loads(request.param("fields")) == ["name", "status"]
    assert request.param("order_by") == "name desc"


def test_list_docs_accepts_list_filters(frappe, client):
    add_projects(frappe, 4)
    frappe.add_doc("Project", {"project_name": "Kantoor", "percent_complete": 80})

    rows = list(client.list_docs("Project", filters=[["percent_complete", ">", 50]]))

    assert rows == [{"name": "PROJ-0005"}]


def test_count_docs(frappe, client):
    add_projects(frappe, 7)
    add_projects(frappe, 2, status="Cancelled")

    assert client.count_docs("Project") == 9
    assert client.count_docs("Project", {"status": "Cancelled"}) == 2


def test_get_doc_quotes_names(frappe, client):
    frappe.register_stock_doctypes()
    frappe.add_doc("Item Group", {"item_group_name": "Ruwbouw / Beton"})

    doc = client.get_doc("Item Group", "Ruwbouw / Beton")

    assert doc["name"] == "Ruwbouw / Beton"
    assert frappe.requests[-1].path == "/api/resource/Item%20Group/Ruwbouw%20%2F%20Beton"


# ---------------------------------------------------------------------------- writing


def test_insert_doc_returns_the_saved_document(frappe, client):
    doc = client.insert_doc(
        "Project", {"project_name": "Brug", "expected_start_date": "2025-03-01"}
    )

    assert doc["name"] == "PROJ-0001"
    assert doc["status"] == "Open"
    assert frappe.get_doc("Project", "PROJ-0001")["expected_start_date"] == "2025-03-01"


def test_insert_many_450_docs_takes_3_calls(frappe, client):
    docs = [{"doctype": "Project", "project_name": f"Woning {i}"} for i in range(450)]

    names = client.insert_many(docs)

    assert len(names) == 450
    assert len(set(names)) == 450
    sizes = [len(r.json()["docs"]) for r in frappe.requests]
    assert sizes == [INSERT_MANY_LIMIT, INSERT_MANY_LIMIT, 50]
    assert len(frappe.docs("Project")) == 450


def test_insert_many_failed_batch_is_rolled_back_and_earlier_names_reported(frappe, client):
    docs = [{"doctype": "Project", "project_name": f"Woning {i}"} for i in range(250)]
    docs[230] = {"doctype": "Project", "status": "Open"}  # no project_name

    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_many(docs)

    assert len(caught.value.inserted) == 200
    assert len(frappe.docs("Project")) == 200  # the second batch was all or nothing


def test_insert_many_needs_a_doctype_on_every_doc(client):
    with pytest.raises(ValueError):
        client.insert_many([{"project_name": "x"}])


def test_update_doc_changes_fields_and_modified(frappe, client):
    (name,) = add_projects(frappe, 1)
    before = frappe.get_doc("Project", name)["modified"]

    doc = client.update_doc("Project", name, {"status": "Completed", "percent_complete": 100})

    assert doc["status"] == "Completed"
    assert doc["modified"] > before
    assert frappe.requests[-1].method == "PUT"


def test_submit_doc_submits_a_bom(frappe, client):
    frappe.register_stock_doctypes()
    frappe.add_doc(
        "Item", {"item_code": "BETON-C30", "item_group": "All Item Groups", "stock_uom": "m³"}
    )
    frappe.add_doc(
        "Item", {"item_code": "WAND-01", "item_group": "All Item Groups", "stock_uom": "Nos"}
    )
    bom = client.insert_doc(
        "BOM",
        {"item": "WAND-01", "items": [{"item_code": "BETON-C30", "qty": 2.5, "uom": "m³"}]},
    )

    submitted = client.submit_doc("BOM", bom["name"])

    assert bom["name"] == "BOM-WAND-01-001"
    assert submitted["docstatus"] == 1


def test_bom_row_with_unknown_uom_is_validation_error(frappe, client):
    frappe.register_stock_doctypes()
    frappe.add_doc(
        "Item", {"item_code": "WAND-01", "item_group": "All Item Groups", "stock_uom": "Nos"}
    )

    with pytest.raises(ErpnextValidationError) as caught:
        client.insert_doc(
            "BOM", {"item": "WAND-01", "items": [{"item_code": "WAND-01", "qty": 1, "uom": "st"}]}
        )

    assert caught.value.exc_type == "LinkValidationError"


def test_delete_doc(frappe, client):
    (name,) = add_projects(frappe, 1)

    client.delete_doc("Project", name)

    assert frappe.get_doc("Project", name) is None


def test_call_method_get_and_post(frappe, client):
    add_projects(frappe, 3)

    assert client.call_method("frappe.client.get_count", http_method="GET", doctype="Project") == 3
    names = client.call_method(
        "frappe.client.insert_many", docs=[{"doctype": "Project", "project_name": "Via method"}]
    )
    assert names == ["PROJ-0004"]


def test_call_method_rejects_a_path_as_method_name(client):
    with pytest.raises(ValueError):
        client.call_method("../resource/User")


# ---------------------------------------------------------------------------- retries and 429


def test_get_is_retried_on_503(frappe, client):
    frappe.inject(status=503)

    assert client.get_doc("Company", "OpenAEC Demo")["name"] == "OpenAEC Demo"
    assert len(frappe.requests) == 2


def test_post_is_not_retried_on_503(frappe, client):
    frappe.inject(status=503)

    with pytest.raises(ErpnextServerError):
        client.insert_doc("Project", {"project_name": "Once"})

    assert len(frappe.requests) == 1
    assert frappe.docs("Project") == []


def test_short_retry_after_is_waited_out_for_get(frappe, client):
    frappe.inject(retry_after=0.3)
    started = time.monotonic()

    assert client.get_logged_user() == "Administrator"

    assert time.monotonic() - started >= 0.3
    assert len(frappe.requests) == 2


def test_long_retry_after_is_raised_with_its_value(frappe, client):
    frappe.inject(retry_after=120)

    with pytest.raises(ErpnextRateLimited) as caught:
        client.get_logged_user()

    assert caught.value.retry_after == 120.0
    assert caught.value.status == 429
    assert len(frappe.requests) == 1


def test_rate_limited_post_is_not_retried(frappe, client):
    frappe.inject(retry_after=0.1)

    with pytest.raises(ErpnextRateLimited):
        client.insert_doc("Project", {"project_name": "Once"})

    assert len(frappe.requests) == 1


# ---------------------------------------------------------------------------- secrets


def test_client_repr_shows_the_host_and_port_only(frappe, client):
    assert repr(client) == f"ErpnextClient(host='127.0.0.1:{frappe.port}')"
    assert SECRET not in repr(client) and KEY not in repr(client)


def test_secret_never_in_errors_or_logs(frappe, caplog):
    caplog.set_level(logging.DEBUG)
    erp = ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY, retries=0)
    echo = json.dumps([json.dumps({"message": f"bad token {KEY}:{SECRET}"})])
    frappe.inject(status=417, body={"exc_type": "ValidationError", "_server_messages": echo})
    frappe.inject(status=401)
    frappe.inject(html=True, status=500)
    frappe.inject(drop=True)
    errors = []
    for _ in range(4):
        with pytest.raises(ErpnextError) as caught:
            erp.get_logged_user()
        errors.append(caught.value)
    wrong = ErpnextClient(frappe.url, KEY, SECRET + "x", policy=POLICY)
    with pytest.raises(ErpnextAuthError) as caught:
        wrong.get_logged_user()
    errors.append(caught.value)

    for error in errors:
        for text in (str(error), repr(error), error.body, error.message, *map(str, error.args)):
            assert SECRET not in text
            assert KEY not in text
    assert "[redacted]" in errors[0].message
    assert SECRET not in caplog.text and KEY not in caplog.text
    assert f"ERPNext GET 127.0.0.1:{frappe.port}/api/method/frappe.auth.get_logged_user" in (
        caplog.text
    )


def test_credentials_with_line_breaks_are_refused_without_echo(frappe):
    with pytest.raises(ValueError) as caught:
        ErpnextClient(frappe.url, KEY, "sec\nret-value", policy=POLICY)

    assert "ret-value" not in str(caught.value)


# ---------------------------------------------------------------------------- the double itself


def test_frappe_answers_errors_as_html_to_a_browser_accept(frappe):
    response = requests.get(
        frappe.url + "/api/resource/Project/PROJ-0404",
        headers={"Authorization": f"token {KEY}:{SECRET}", "Accept": "text/html"},
        timeout=5,
    )

    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("text/html")
    assert "Not Found" in response.text


def test_frappe_without_header_treats_request_as_guest(frappe):
    response = requests.get(
        frappe.url + "/api/method/frappe.auth.get_logged_user",
        headers={"Accept": "application/json"},
        timeout=5,
    )

    assert response.status_code == 403
    assert response.json()["exc_type"] == "PermissionError"


def test_double_names_concurrent_inserts_uniquely(frappe):
    def insert(worker: int) -> list[str]:
        erp = ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY)
        return [
            erp.insert_doc("Project", {"project_name": f"W{worker}-{i}"})["name"] for i in range(10)
        ]

    with ThreadPoolExecutor(max_workers=8) as pool:
        names = [name for batch in pool.map(insert, range(8)) for name in batch]

    assert len(set(names)) == 80
    assert len(frappe.docs("Project")) == 80


# ---------------------------------------------------------------------------- sessions


def test_a_shared_safe_session_can_be_passed_in(frappe):
    session = safe_session(POLICY)

    erp = ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY, session=session)

    assert erp.get_logged_user() == "Administrator"


def test_a_plain_requests_session_is_refused(frappe):
    with pytest.raises(TypeError):
        ErpnextClient(frappe.url, KEY, SECRET, policy=POLICY, session=requests.Session())
