"""NextcloudClient against NextcloudDouble (loopback OCS server)."""

from __future__ import annotations

import base64
import logging

import pytest

from integrations.netguard import OutboundPolicy
from integrations.nextcloud.client import (
    NextcloudAuthError,
    NextcloudClient,
    NextcloudError,
    NextcloudHTTPError,
    NextcloudNetworkError,
    NextcloudProtocolError,
)
from tests.nextcloud_double import NextcloudDouble

POLICY = OutboundPolicy(allow_private=True, timeout=2)
PASSWORD = "Zq8-wT3k-Lm9x-Pp2v"


@pytest.fixture
def nextcloud():
    with NextcloudDouble(username="alice", password=PASSWORD) as double:
        yield double


@pytest.fixture
def client(nextcloud):
    with NextcloudClient(nextcloud.url, "alice", PASSWORD, policy=POLICY) as nc:
        yield nc


def test_returns_the_display_name(client):
    assert client.get_current_user() == "Alice Example"


def test_falls_back_to_the_id_without_display_name(nextcloud):
    nextcloud.add_user("bob", "b-pass-1234")

    assert (
        NextcloudClient(nextcloud.url, "bob", "b-pass-1234", policy=POLICY).get_current_user()
        == "bob"
    )


def test_sends_basic_auth_ocs_header_and_json_format(nextcloud, client):
    client.get_current_user()

    (request,) = nextcloud.requests
    assert request.path == "/ocs/v1.php/cloud/user"
    assert request.param("format") == "json"
    assert request.headers["OCS-APIRequest"] == "true"
    expected = base64.b64encode(f"alice:{PASSWORD}".encode()).decode()
    assert request.headers["Authorization"] == f"Basic {expected}"


def test_non_latin1_password_is_sent_as_utf8(nextcloud):
    nextcloud.add_user("zoë", "wachtwoord-€-ü", "Zoë")

    assert (
        NextcloudClient(nextcloud.url, "zoë", "wachtwoord-€-ü", policy=POLICY).get_current_user()
        == "Zoë"
    )


def test_wrong_password_is_auth_error_401(nextcloud):
    nc = NextcloudClient(nextcloud.url, "alice", "wrong-password", policy=POLICY)

    with pytest.raises(NextcloudAuthError) as caught:
        nc.get_current_user()

    assert caught.value.status == 401
    assert caught.value.message == "Current user is not logged in"


def test_server_error_is_http_error(nextcloud):
    nc = NextcloudClient(nextcloud.url, "alice", PASSWORD, policy=POLICY, retries=0)
    nextcloud.inject(status=503)

    with pytest.raises(NextcloudHTTPError) as caught:
        nc.get_current_user()

    assert caught.value.status == 503


def test_html_answer_is_protocol_error(nextcloud, client):
    nextcloud.inject(html=True)

    with pytest.raises(NextcloudProtocolError):
        client.get_current_user()


def test_ocs_failure_inside_200_is_an_error(nextcloud, client):
    nextcloud.inject(
        body={"ocs": {"meta": {"status": "failure", "statuscode": 102, "message": "x"}}}
    )

    with pytest.raises(NextcloudHTTPError) as caught:
        client.get_current_user()

    assert caught.value.ocs_status == 102


def test_dropped_connection_is_network_error(nextcloud):
    nc = NextcloudClient(nextcloud.url, "alice", PASSWORD, policy=POLICY, retries=0)
    nextcloud.inject(drop=True)

    with pytest.raises(NextcloudNetworkError) as caught:
        nc.get_current_user()

    assert caught.value.kind == "connect"


def test_refused_address_sends_nothing(nextcloud):
    nc = NextcloudClient(nextcloud.url, "alice", PASSWORD, policy=OutboundPolicy())

    with pytest.raises(NextcloudNetworkError) as caught:
        nc.get_current_user()

    assert caught.value.kind == "refused_address"
    assert nextcloud.connection_count == 0


def test_user_name_with_colon_is_refused(nextcloud):
    with pytest.raises(ValueError):
        NextcloudClient(nextcloud.url, "ali:ce", PASSWORD, policy=POLICY)


def test_password_never_in_errors_repr_or_logs(nextcloud, caplog):
    caplog.set_level(logging.DEBUG)
    nc = NextcloudClient(nextcloud.url, "alice", PASSWORD, policy=POLICY, retries=0)
    nextcloud.inject(status=500, body=f"boom {PASSWORD}")
    nextcloud.inject(drop=True)
    errors = []
    for _ in range(2):
        with pytest.raises(NextcloudError) as caught:
            nc.get_current_user()
        errors.append(caught.value)

    for error in errors:
        for text in (str(error), repr(error), error.body, *map(str, error.args)):
            assert PASSWORD not in text
    assert PASSWORD not in repr(nc)
    assert PASSWORD not in caplog.text
