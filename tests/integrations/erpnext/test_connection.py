"""test_erpnext_connection: every row of DESIGN.md's contract, against FrappeDouble."""

from __future__ import annotations

import json
import socket
import time

import pytest

from integrations.erpnext import connection
from integrations.netguard import OutboundPolicy
from tests.erpnext_double import FrappeDouble
from tests.erpnext_double.tls import make_tls

POLICY = OutboundPolicy(allow_private=True, timeout=2)
KEY = "0a1b2c3d4e5f6a7"
SECRET = "7f6e5d4c3b2a1f0"


def check(url, key=KEY, secret=SECRET, policy=POLICY):
    return connection.test_erpnext_connection(url, key, secret, policy=policy)


@pytest.fixture
def frappe():
    with FrappeDouble(version=15, api_key=KEY, api_secret=SECRET) as double:
        yield double


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_success_returns_the_user(frappe):
    assert check(frappe.url) == {"success": True, "user": "Administrator"}


def test_success_returns_message_as_is_for_an_email_user():
    with FrappeDouble(api_key=KEY, api_secret=SECRET, user="piet@example.com") as double:
        assert check(double.url + "/") == {"success": True, "user": "piet@example.com"}


def test_calls_get_logged_user_with_token_and_accept(frappe):
    check(frappe.url)

    (request,) = frappe.requests
    assert request.method == "GET"
    assert request.path == "/api/method/frappe.auth.get_logged_user"
    assert request.headers["Authorization"] == f"token {KEY}:{SECRET}"
    assert request.headers["Accept"] == "application/json"


def test_wrong_secret_on_v15_is_http_401_with_body_cut_to_200(frappe):
    result = check(frappe.url, secret="wrong-secret-0000")

    assert result["success"] is False
    assert result["error"].startswith("HTTP 401: {")
    body = result["error"][len("HTTP 401: ") :]
    assert len(body) == 200
    # The recorded site sends "exception" first (recorded-calls-1.json, A2).
    assert body.startswith('{"exception": "frappe.exceptions.AuthenticationError"')


def test_wrong_secret_on_v14_is_http_403():
    with FrappeDouble(version=14, api_key=KEY, api_secret=SECRET) as double:
        result = check(double.url, secret="wrong-secret-0000")

    assert result["success"] is False
    assert result["error"].startswith('HTTP 403: {"exception": "frappe.exceptions.PermissionError')


def test_short_error_body_is_returned_whole(frappe):
    frappe.inject(status=500, body="Internal Server Error")

    assert check(frappe.url) == {"success": False, "error": "HTTP 500: Internal Server Error"}


def test_no_connection_is_cannot_connect():
    url = f"http://127.0.0.1:{closed_port()}"

    assert check(url) == {"success": False, "error": f"Cannot connect to {url}"}


def test_unknown_host_is_cannot_connect():
    url = "https://erp.nonexistent.invalid"

    assert check(url) == {"success": False, "error": f"Cannot connect to {url}"}


def test_timeout_says_so_and_answers_within_timeout_plus_a_second(frappe):
    frappe.inject(delay=5)
    policy = OutboundPolicy(allow_private=True, timeout=0.5)
    started = time.monotonic()

    result = check(frappe.url, policy=policy)

    assert result == {
        "success": False,
        "error": f"Timed out after 0.5 s connecting to {frappe.url}",
    }
    assert time.monotonic() - started < 1.5


def test_tls_failure_says_so(tmp_path):
    tls = make_tls(tmp_path)
    with FrappeDouble(
        api_key=KEY, api_secret=SECRET, ssl_context=tls.server_context, url_host="localhost"
    ) as double:
        url = double.url
        result = check(url)

    assert result == {"success": False, "error": f"TLS certificate verification failed for {url}"}


def test_self_signed_site_works_with_its_ca_bundle(tmp_path):
    tls = make_tls(tmp_path)
    policy = OutboundPolicy(allow_private=True, ca_bundle=str(tls.ca_path))
    with FrappeDouble(
        api_key=KEY, api_secret=SECRET, ssl_context=tls.server_context, url_host="localhost"
    ) as double:
        assert check(double.url, policy=policy) == {"success": True, "user": "Administrator"}


def test_host_resolving_to_loopback_is_refused_without_a_request(frappe):
    url = frappe.url.replace("127.0.0.1", "localhost")

    result = check(url, policy=OutboundPolicy())

    assert result == {
        "success": False,
        "error": "Refused: localhost resolves to a private or link-local address",
    }
    assert frappe.connection_count == 0


def test_literal_private_address_is_refused():
    result = check("http://10.20.30.40:8000", policy=OutboundPolicy())

    assert result == {
        "success": False,
        "error": "Refused: 10.20.30.40 is a private or link-local address",
    }


def test_metadata_address_is_refused_even_with_private_networks_allowed():
    result = check("http://169.254.169.254", policy=POLICY)

    assert result["success"] is False
    assert result["error"].startswith("Refused: 169.254.169.254")


@pytest.mark.parametrize(
    "fault",
    [
        {"html": True},
        {"garbage": True},
        {"body": {"data": "Administrator"}},
        {"body": {"message": None}},
        {"body": ["Administrator"]},
    ],
)
def test_answer_that_is_not_frappes_json_says_so(frappe, fault):
    frappe.inject(**fault)

    assert check(frappe.url) == {
        "success": False,
        "error": f"{frappe.url} did not answer with Frappe's JSON (is this an ERPNext site?)",
    }


def test_html_error_page_is_an_http_error(frappe):
    frappe.inject(html=True, status=404)

    result = check(frappe.url)

    assert result["error"].startswith("HTTP 404: <!DOCTYPE html>")


def test_oversized_answer_says_so(frappe):
    frappe.inject(body={"message": "x" * 5000})
    policy = OutboundPolicy(allow_private=True, max_body_bytes=1000)

    assert check(frappe.url, policy=policy) == {
        "success": False,
        "error": f"{frappe.url} answered with more than 1000 bytes",
    }


def test_redirect_loop_says_so(frappe):
    frappe.inject(times=None, status=302, body="", headers={"Location": "/again"})

    assert check(frappe.url) == {
        "success": False,
        "error": f"{frappe.url} redirected more than 3 times",
    }


@pytest.mark.parametrize("fault", [{"status": 503}, {"drop": True}, {"retry_after": 0.1}])
def test_one_attempt_only(frappe, fault):
    frappe.inject(**fault)

    result = check(frappe.url)

    assert result["success"] is False
    assert len(frappe.requests) == 1


def test_rate_limited_is_http_429_with_plain_body(frappe):
    frappe.inject(retry_after=1)

    assert check(frappe.url) == {"success": False, "error": "HTTP 429: Too Many Requests"}


def test_invalid_url_is_a_failure_not_an_exception():
    result = check("ftp://erp.example.com")

    assert result["success"] is False
    assert result["error"].startswith("Invalid URL: ")


def test_no_secret_in_any_error(frappe):
    echo = json.dumps([json.dumps({"message": f"token {KEY}:{SECRET} rejected"})])
    frappe.inject(status=401, body={"exc_type": "AuthenticationError", "_server_messages": echo})
    frappe.inject(body=f"<html>{SECRET}</html>", content_type="text/html")
    results = [check(frappe.url), check(frappe.url), check(frappe.url, secret="bad\nsecret-x")]

    for result in results:
        assert result["success"] is False
        assert SECRET not in result["error"] and KEY not in result["error"]
        assert "secret-x" not in result["error"]


def test_is_not_collected_as_a_test():
    assert connection.test_erpnext_connection.__test__ is False
