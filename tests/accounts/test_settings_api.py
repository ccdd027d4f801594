import base64
import hashlib

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from openaec.accounts.models import User
from tests.factories import ERP_SECRET, NC_PASSWORD

pytestmark = pytest.mark.django_db

SETTINGS_KEYS = {
    "username",
    "email",
    "role",
    "erpnext_url",
    "erpnext_api_key",
    "erpnext_api_secret_set",
    "nextcloud_url",
    "nextcloud_username",
    "nextcloud_password_set",
}


def independent_decrypt(token: str, key: str | None = None) -> str:
    """Decrypt as OpenAEC does, without our crypto module."""
    key = key or django_settings.SECRET_KEY
    fernet = Fernet(base64.urlsafe_b64encode(hashlib.sha256(key.encode()).digest()))
    return fernet.decrypt(token.encode()).decode()


def test_get_settings_has_exactly_the_openaec_shape_with_nulls(api_client_for, viewer):
    response = api_client_for(viewer).get("/api/auth/settings")
    assert response.status_code == 200
    assert response.json() == {
        "username": "vera",
        "email": "vera@example.com",
        "role": "viewer",
        "erpnext_url": None,
        "erpnext_api_key": None,
        "erpnext_api_secret_set": False,
        "nextcloud_url": None,
        "nextcloud_username": None,
        "nextcloud_password_set": False,
    }


def test_put_stores_values_and_encrypts_secrets(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings/",
        {
            "erpnext_url": "https://erp.example.com/",
            "erpnext_api_key": "key123",
            "erpnext_api_secret": ERP_SECRET,
            "nextcloud_url": "https://cloud.example.com",
            "nextcloud_username": "eddie",
            "nextcloud_password": NC_PASSWORD,
        },
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SETTINGS_KEYS
    assert body["erpnext_url"] == "https://erp.example.com"
    assert body["erpnext_api_secret_set"] is True
    assert body["nextcloud_password_set"] is True
    stored = User.objects.get(pk=editor.pk)
    assert stored.erpnext_api_secret != ERP_SECRET
    assert independent_decrypt(stored.erpnext_api_secret) == ERP_SECRET
    assert independent_decrypt(stored.nextcloud_password) == NC_PASSWORD


def test_put_null_leaves_field_unchanged_and_empty_string_clears(api_client_for, editor):
    client = api_client_for(editor)
    client.put(
        "/api/auth/settings",
        {"erpnext_api_key": "key123", "erpnext_api_secret": ERP_SECRET},
        format="json",
    )

    kept = client.put(
        "/api/auth/settings", {"erpnext_api_key": None, "erpnext_api_secret": None}, format="json"
    ).json()
    assert kept["erpnext_api_key"] == "key123"
    assert kept["erpnext_api_secret_set"] is True

    cleared = client.put(
        "/api/auth/settings", {"erpnext_api_key": "", "erpnext_api_secret": ""}, format="json"
    ).json()
    assert cleared["erpnext_api_key"] is None
    assert cleared["erpnext_api_secret_set"] is False
    stored = User.objects.get(pk=editor.pk)
    assert stored.erpnext_api_key is None
    assert stored.erpnext_api_secret is None


def test_put_only_changes_fields_present(api_client_for, editor):
    client = api_client_for(editor)
    client.put("/api/auth/settings", {"nextcloud_username": "eddie"}, format="json")
    body = client.put("/api/auth/settings", {"erpnext_api_key": "k"}, format="json").json()
    assert body["nextcloud_username"] == "eddie"


def test_put_ignores_read_only_fields(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings",
        {"role": "admin", "username": "root", "erpnext_api_secret_set": True},
        format="json",
    )
    assert response.status_code == 200
    stored = User.objects.get(pk=editor.pk)
    assert (stored.role, stored.username, stored.erpnext_api_secret) == ("editor", "eddie", None)


def test_put_unknown_fields_is_400_naming_them(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings", {"erpnext_token": "x", "colour": "red"}, format="json"
    )
    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown fields: colour, erpnext_token"


@pytest.mark.parametrize(
    "body",
    [
        {"erpnext_url": 5},
        {"erpnext_api_key": True},
        {"erpnext_api_secret": ["a"]},
        {"nextcloud_password": {"a": 1}},
        ["erpnext_url"],
        "text",
    ],
)
def test_put_wrong_types_is_400_and_changes_nothing(api_client_for, editor, body):
    response = api_client_for(editor).put("/api/auth/settings", body, format="json")
    assert response.status_code == 400
    assert "detail" in response.json()
    assert User.objects.get(pk=editor.pk).erpnext_api_key is None


def test_put_malformed_json_is_400(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings", data=b"{'erpnext_url':", content_type="application/json"
    )
    assert response.status_code == 400
    assert "JSON" in response.json()["detail"]


def test_put_body_over_one_mib_is_400(api_client_for, editor):
    huge = '{"erpnext_api_key": "' + "a" * (1024 * 1024 + 10) + '"}'
    response = api_client_for(editor).put(
        "/api/auth/settings", data=huge.encode(), content_type="application/json"
    )
    assert response.status_code == 400
    assert "too large" in response.json()["detail"]


@pytest.mark.parametrize(
    "url",
    [
        "ftp://erp.example.com",
        "https://user:pw@erp.example.com",
        "https://erp.example.com/?a=1",
        "https://erp.example.com/#frag",
        "https:///nohost",
        "erp.example.com",
        "javascript:alert(1)",
        "http://169.254.169.254/latest/meta-data",
        "http://127.0.0.1:8000",
        "http://[::1]/",
        "http://10.0.0.5",
        "https://erp.example.com/" + "a" * 600,
    ],
)
def test_put_hostile_url_is_400_and_not_stored(api_client_for, editor, url):
    response = api_client_for(editor).put("/api/auth/settings", {"erpnext_url": url}, format="json")
    assert response.status_code == 400
    assert "erpnext_url" in response.json()["detail"]
    assert User.objects.get(pk=editor.pk).erpnext_url is None


def test_put_loopback_url_is_accepted_when_private_networks_are_allowed(
    api_client_for, editor, allow_private
):
    response = api_client_for(editor).put(
        "/api/auth/settings", {"erpnext_url": "http://127.0.0.1:8000"}, format="json"
    )
    assert response.status_code == 200


def test_metadata_address_is_refused_even_when_private_networks_are_allowed(
    api_client_for, editor, allow_private
):
    response = api_client_for(editor).put(
        "/api/auth/settings", {"erpnext_url": "http://169.254.169.254"}, format="json"
    )
    assert response.status_code == 400


def test_unresolvable_host_is_saved(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings", {"erpnext_url": "https://erp.invalid"}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["erpnext_url"] == "https://erp.invalid"


def test_api_key_over_512_characters_is_400(api_client_for, editor):
    response = api_client_for(editor).put(
        "/api/auth/settings", {"erpnext_api_key": "k" * 513}, format="json"
    )
    assert response.status_code == 400


def test_viewer_may_read_but_not_change_settings(api_client_for, viewer):
    client = api_client_for(viewer)
    assert client.get("/api/auth/settings").status_code == 200
    response = client.put("/api/auth/settings", {"erpnext_api_key": "k"}, format="json")
    assert response.status_code == 403
    assert User.objects.get(pk=viewer.pk).erpnext_api_key is None


def test_users_see_only_their_own_settings(api_client_for, editor, admin_user):
    api_client_for(editor).put(
        "/api/auth/settings",
        {"erpnext_api_key": "eddies-key", "erpnext_api_secret": ERP_SECRET},
        format="json",
    )
    other = api_client_for(admin_user).get("/api/auth/settings").json()
    assert other["erpnext_api_key"] is None
    assert other["erpnext_api_secret_set"] is False


def test_settings_without_token_is_401(client):
    assert client.get("/api/auth/settings").status_code == 401
