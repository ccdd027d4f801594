"""test_nextcloud_connection: the same answer shapes as the ERPNext test (DESIGN.md)."""

from __future__ import annotations

import socket

import pytest

from integrations.netguard import OutboundPolicy
from integrations.nextcloud import connection
from tests.nextcloud_double import NextcloudDouble

POLICY = OutboundPolicy(allow_private=True, timeout=2)
PASSWORD = "Hn4-Xc7r-Qe2w-Vb5y"


def check(url, username="alice", password=PASSWORD, policy=POLICY):
    return connection.test_nextcloud_connection(url, username, password, policy=policy)


@pytest.fixture
def nextcloud():
    with NextcloudDouble(username="alice", password=PASSWORD) as double:
        yield double


def test_success_returns_the_display_name(nextcloud):
    assert check(nextcloud.url) == {"success": True, "user": "Alice Example"}


def test_wrong_password_is_http_401_with_body_cut_to_200(nextcloud):
    result = check(nextcloud.url, password="wrong")

    assert result["success"] is False
    assert result["error"].startswith('HTTP 401: {"ocs": {"meta": {"status": "failure"')
    assert len(result["error"]) <= len("HTTP 401: ") + 200


def test_no_connection_is_cannot_connect():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"

    assert check(url) == {"success": False, "error": f"Cannot connect to {url}"}


def test_timeout_says_so(nextcloud):
    nextcloud.inject(delay=3)

    result = check(nextcloud.url, policy=OutboundPolicy(allow_private=True, timeout=0.3))

    assert result == {
        "success": False,
        "error": f"Timed out after 0.3 s connecting to {nextcloud.url}",
    }


def test_refused_address_says_so(nextcloud):
    url = nextcloud.url.replace("127.0.0.1", "localhost")

    assert check(url, policy=OutboundPolicy()) == {
        "success": False,
        "error": "Refused: localhost resolves to a private or link-local address",
    }
    assert nextcloud.connection_count == 0


@pytest.mark.parametrize("fault", [{"html": True}, {"garbage": True}])
def test_answer_that_is_not_ocs_json_says_so(nextcloud, fault):
    nextcloud.inject(**fault)

    assert check(nextcloud.url) == {
        "success": False,
        "error": f"{nextcloud.url} did not answer with Nextcloud's OCS JSON "
        "(is this a Nextcloud server?)",
    }


def test_one_attempt_only(nextcloud):
    nextcloud.inject(status=503)

    assert check(nextcloud.url)["error"].startswith("HTTP 503: ")
    assert len(nextcloud.requests) == 1


def test_password_never_in_the_error(nextcloud):
    nextcloud.inject(status=500, body=f"echo {PASSWORD}")

    result = check(nextcloud.url)

    assert result["success"] is False
    assert PASSWORD not in result["error"]
