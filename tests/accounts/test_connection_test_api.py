"""POST /api/auth/settings/{erpnext,nextcloud}/test against loopback doubles."""

import base64
import hashlib
import socket
import time

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings
from django.test import override_settings

from integrations import crypto
from openaec.accounts.models import User
from tests.erpnext_double import FrappeDouble
from tests.factories import ERP_SECRET, NC_PASSWORD

pytestmark = pytest.mark.django_db

ERP_TEST = "/api/auth/settings/erpnext/test"
NC_TEST = "/api/auth/settings/nextcloud/test"


def configure(user, double, secret=ERP_SECRET):
    User.objects.filter(pk=user.pk).update(
        erpnext_url=double.url,
        erpnext_api_key=double.api_key,
        erpnext_api_secret=crypto.encrypt_secret(secret),
    )


def closed_port_url() -> str:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{s.getsockname()[1]}"


def test_success_returns_frappe_message_as_user(
    api_client_for, editor, erpnext_double, allow_private
):
    configure(editor, erpnext_double)

    response = api_client_for(editor).post(ERP_TEST)

    assert response.status_code == 200
    assert response.json() == {"success": True, "user": "Administrator"}
    sent = erpnext_double.requests[-1]
    assert sent.path == "/api/method/frappe.auth.get_logged_user"
    assert sent.headers["Authorization"] == f"token bridge-key:{ERP_SECRET}"
    assert sent.headers["Accept"] == "application/json"


def test_ciphertext_written_by_openaec_decrypts_and_is_used(
    api_client_for, editor, erpnext_double, allow_private
):
    # OpenAEC's own derivation, written out here independently of integrations.crypto.
    key = base64.urlsafe_b64encode(hashlib.sha256(django_settings.SECRET_KEY.encode()).digest())
    openaec_ciphertext = Fernet(key).encrypt(ERP_SECRET.encode()).decode()
    User.objects.filter(pk=editor.pk).update(
        erpnext_url=erpnext_double.url,
        erpnext_api_key="bridge-key",
        erpnext_api_secret=openaec_ciphertext,
    )

    assert api_client_for(editor).post(ERP_TEST).json()["success"] is True


@pytest.mark.parametrize(("version", "status"), [(15, 401), (16, 401), (14, 403)])
def test_bad_key_reports_the_http_status_and_body(
    api_client_for, editor, allow_private, version, status
):
    with FrappeDouble(version=version, api_key="bridge-key", api_secret=ERP_SECRET) as double:
        configure(editor, double, secret="wrong-secret")
        body = api_client_for(editor).post(ERP_TEST).json()
    assert body["success"] is False
    assert body["error"].startswith(f"HTTP {status}: ")
    assert len(body["error"]) <= len(f"HTTP {status}: ") + 200


def test_erpnext_down_is_cannot_connect(api_client_for, editor, allow_private):
    url = closed_port_url()
    User.objects.filter(pk=editor.pk).update(
        erpnext_url=url, erpnext_api_key="k", erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET)
    )
    assert api_client_for(editor).post(ERP_TEST).json() == {
        "success": False,
        "error": f"Cannot connect to {url}",
    }


def test_slow_erpnext_times_out_within_the_timeout_plus_a_second(
    api_client_for, editor, erpnext_double, allow_private, settings
):
    settings.ERPNEXT_TIMEOUT = 1.0
    configure(editor, erpnext_double)
    erpnext_double.inject(delay=5)

    started = time.monotonic()
    body = api_client_for(editor).post(ERP_TEST).json()

    assert time.monotonic() - started < 2.0
    assert body["success"] is False
    assert "Timed out" in body["error"]
    assert len(erpnext_double.requests) <= 1


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ({"html": True, "status": 200}, "Frappe"),
        ({"garbage": True}, "Frappe"),
        ({"status": 200, "body": {"no_message": 1}}, "Frappe"),
        ({"drop": True}, "connect"),
        ({"status": 500}, "HTTP 500: "),
        ({"status": 302, "headers": {"Location": "http://169.254.169.254/"}}, "Refused"),
    ],
)
def test_broken_answers_are_success_false_with_a_sentence(
    api_client_for, editor, erpnext_double, allow_private, fault, words
):
    configure(editor, erpnext_double)
    erpnext_double.inject(**fault)
    response = api_client_for(editor).post(ERP_TEST)
    assert response.status_code == 200
    assert response.json()["success"] is False
    assert words in response.json()["error"]


def test_redirect_to_another_host_never_carries_the_credentials(
    api_client_for, editor, erpnext_double, allow_private
):
    configure(editor, erpnext_double)
    with FrappeDouble(api_key="bridge-key", api_secret=ERP_SECRET) as target:
        location = f"{target.url}/api/method/frappe.auth.get_logged_user"
        erpnext_double.inject(status=302, headers={"Location": location})
        body = api_client_for(editor).post(ERP_TEST).json()
        assert body["success"] is False
        assert all("Authorization" not in r.headers for r in target.requests)


def test_refused_address_at_test_time_is_success_false_and_nothing_is_sent(
    api_client_for, editor, erpnext_double, settings
):
    settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = True
    configure(editor, erpnext_double)
    settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = False

    response = api_client_for(editor).post(ERP_TEST)

    assert response.status_code == 200
    assert response.json()["success"] is False
    assert "Refused" in response.json()["error"] or "refused" in response.json()["error"]
    assert erpnext_double.requests == []


def test_localhost_name_resolving_to_loopback_is_refused(api_client_for, editor, erpnext_double):
    url = erpnext_double.url.replace("127.0.0.1", "localhost")
    User.objects.filter(pk=editor.pk).update(
        erpnext_url=url, erpnext_api_key="k", erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET)
    )
    assert api_client_for(editor).post(ERP_TEST).json()["success"] is False
    assert erpnext_double.requests == []


@pytest.mark.parametrize("missing", ["erpnext_url", "erpnext_api_key", "erpnext_api_secret"])
def test_missing_credentials_is_400(api_client_for, editor, erpnext_double, allow_private, missing):
    configure(editor, erpnext_double)
    User.objects.filter(pk=editor.pk).update(**{missing: None})
    response = api_client_for(editor).post(ERP_TEST)
    assert response.status_code == 400
    assert response.json() == {"detail": "ERPNext credentials not configured"}


def test_undecryptable_secret_is_400_and_erpnext_is_not_called(
    api_client_for, editor, erpnext_double, allow_private
):
    with override_settings(SECRET_KEY="a-key-nobody-has-anymore-0123456789abcdef"):
        lost = crypto.encrypt_secret(ERP_SECRET)
    configure(editor, erpnext_double)
    User.objects.filter(pk=editor.pk).update(erpnext_api_secret=lost)

    response = api_client_for(editor).post(ERP_TEST)

    assert response.status_code == 400
    assert response.json() == {"detail": "Failed to decrypt API secret"}
    assert erpnext_double.requests == []


def test_get_on_the_test_endpoint_is_405(api_client_for, editor):
    assert api_client_for(editor).get(ERP_TEST).status_code == 405
    assert api_client_for(editor).get(NC_TEST).status_code == 405


def test_viewer_may_not_test(api_client_for, viewer, erpnext_double, allow_private):
    configure(viewer, erpnext_double)
    assert api_client_for(viewer).post(ERP_TEST).status_code == 403
    assert erpnext_double.requests == []


def test_each_user_tests_with_their_own_credentials(
    api_client_for, editor, admin_user, erpnext_double, allow_private
):
    configure(editor, erpnext_double)
    with FrappeDouble(
        api_key="admins-key", api_secret="admins-secret", user="boss@example.com"
    ) as other:
        User.objects.filter(pk=admin_user.pk).update(
            erpnext_url=other.url,
            erpnext_api_key="admins-key",
            erpnext_api_secret=crypto.encrypt_secret("admins-secret"),
        )
        assert api_client_for(admin_user).post(ERP_TEST).json()["user"] == "boss@example.com"
    assert api_client_for(editor).post(ERP_TEST).json()["user"] == "Administrator"
    assert all("admins" not in r.headers.get("Authorization", "") for r in erpnext_double.requests)


def test_thirty_tests_a_minute_then_429_with_retry_after(
    api_client_for, editor, erpnext_double, allow_private
):
    configure(editor, erpnext_double)
    client = api_client_for(editor)
    statuses = [client.post(ERP_TEST).status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert int(client.post(ERP_TEST)["Retry-After"]) > 0


# Nextcloud


def configure_nextcloud(user, double, password=NC_PASSWORD):
    User.objects.filter(pk=user.pk).update(
        nextcloud_url=double.url,
        nextcloud_username="eddie",
        nextcloud_password=crypto.encrypt_secret(password),
    )


def test_nextcloud_success_returns_display_name(
    api_client_for, editor, nextcloud_double, allow_private
):
    configure_nextcloud(editor, nextcloud_double)
    body = api_client_for(editor).post(NC_TEST).json()
    assert body == {"success": True, "user": "Eddie Editor"}
    sent = nextcloud_double.requests[-1]
    assert sent.headers["OCS-APIRequest"] == "true"
    assert sent.param("format") == "json"


def test_nextcloud_wrong_password_is_http_401(
    api_client_for, editor, nextcloud_double, allow_private
):
    configure_nextcloud(editor, nextcloud_double, password="wrong")
    body = api_client_for(editor).post(NC_TEST).json()
    assert body["success"] is False
    assert body["error"].startswith("HTTP 401: ")


def test_nextcloud_missing_is_400(api_client_for, editor):
    response = api_client_for(editor).post(NC_TEST)
    assert response.status_code == 400
    assert response.json() == {"detail": "Nextcloud credentials not configured"}


def test_nextcloud_undecryptable_is_400(api_client_for, editor, nextcloud_double, allow_private):
    configure_nextcloud(editor, nextcloud_double)
    User.objects.filter(pk=editor.pk).update(nextcloud_password="gAAAAAgarbage")
    response = api_client_for(editor).post(NC_TEST)
    assert response.status_code == 400
    assert response.json() == {"detail": "Failed to decrypt password"}
    assert nextcloud_double.requests == []
