import re

import pytest
from django.test import override_settings

from integrations import crypto
from openaec.accounts.models import User
from tests.factories import ERP_SECRET, PASSWORD, make_user

pytestmark = pytest.mark.django_db


def settings_form(**changes):
    data = {
        "erpnext_url": "",
        "erpnext_api_key": "",
        "erpnext_api_secret": "",
        "nextcloud_url": "",
        "nextcloud_username": "",
        "nextcloud_password": "",
    }
    data.update(changes)
    return data


def test_login_page_signs_in_and_lands_on_settings(client):
    make_user("ada", role="editor")
    assert client.get("/login").status_code == 200
    response = client.post("/login", {"username": "ada", "password": PASSWORD}, follow=True)
    assert response.redirect_chain[-1][0] == "/settings"
    assert b"Integration settings" in response.content


def test_login_page_with_wrong_password_says_so(client):
    make_user("ada")
    response = client.post("/login", {"username": "ada", "password": "nope"})
    assert response.status_code == 200
    assert b"correct username and password" in response.content


def test_login_page_locks_out_after_ten_failures(client):
    make_user("ada")
    for _ in range(10):
        client.post("/login", {"username": "ada", "password": "nope"})
    response = client.post("/login", {"username": "ada", "password": PASSWORD})
    assert response.status_code == 429
    assert "Retry-After" in response


def test_forms_are_csrf_protected(admin_user):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(admin_user)
    assert strict.post("/settings", settings_form(erpnext_api_key="k")).status_code == 403


def test_settings_page_saves_and_never_prefills_the_secret(client, editor):
    client.force_login(editor)
    response = client.post(
        "/settings",
        settings_form(
            erpnext_url="https://erp.example.com",
            erpnext_api_key="key",
            erpnext_api_secret=ERP_SECRET,
        ),
        follow=True,
    )
    assert b"Settings saved" in response.content
    stored = User.objects.get(pk=editor.pk)
    assert crypto.decrypt_secret(stored.erpnext_api_secret) == ERP_SECRET
    page = client.get("/settings").content.decode()
    assert 'name="erpnext_api_secret"' in page
    assert stored.erpnext_api_secret not in page
    assert 'API secret: <span class="ok">set</span>' in page


def test_blank_secret_keeps_it_and_clear_checkbox_clears_it(client, editor):
    client.force_login(editor)
    client.post("/settings", settings_form(erpnext_api_key="key", erpnext_api_secret=ERP_SECRET))
    stored = User.objects.get(pk=editor.pk).erpnext_api_secret

    client.post("/settings", settings_form(erpnext_api_key="key2"))
    assert User.objects.get(pk=editor.pk).erpnext_api_secret == stored
    assert User.objects.get(pk=editor.pk).erpnext_api_key == "key2"

    client.post("/settings", settings_form(erpnext_api_key="key2", erpnext_api_secret_clear="on"))
    assert User.objects.get(pk=editor.pk).erpnext_api_secret is None


def test_settings_page_shows_a_hostile_url_error(client, editor):
    client.force_login(editor)
    response = client.post("/settings", settings_form(erpnext_url="http://169.254.169.254"))
    assert response.status_code == 400
    assert b"erpnext_url" in response.content or b"refused" in response.content.lower()
    assert User.objects.get(pk=editor.pk).erpnext_url is None


def test_viewer_posting_the_settings_form_gets_403(client, viewer):
    client.force_login(viewer)
    assert client.get("/settings").status_code == 200
    assert client.post("/settings", settings_form(erpnext_api_key="k")).status_code == 403
    assert client.post("/settings/erpnext/test").status_code == 403
    assert User.objects.get(pk=viewer.pk).erpnext_api_key is None


def test_settings_page_requires_login(client):
    response = client.get("/settings")
    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_test_button_without_credentials_shows_the_reason(client, editor):
    client.force_login(editor)
    response = client.post("/settings/erpnext/test")
    assert response.status_code == 200
    assert b"ERPNext credentials not configured" in response.content


def test_tokens_page_creates_shows_once_and_revokes(client, editor):
    client.force_login(editor)
    created = client.post("/tokens", {"name": "nightly", "expires_days": ""}, follow=True)
    raw = re.search(r'id="new-token">(ifcgit_[^<]+)<', created.content.decode()).group(1)
    token = editor.api_tokens.get()
    assert raw not in client.get("/tokens").content.decode()

    client.post(f"/tokens/{token.pk}/revoke")
    assert not editor.api_tokens.exists()


def test_register_page_creates_account_and_signs_in(client):
    response = client.post(
        "/register",
        {"username": "ada", "email": "ada@example.com", "password": PASSWORD},
        follow=True,
    )
    assert response.status_code == 200
    assert User.objects.get(username="ada").role == "admin"
    assert b"Integration settings" in response.content


@override_settings(ALLOW_REGISTRATION=False)
def test_register_page_is_closed_when_registration_is_off(client):
    response = client.get("/register")
    assert response.status_code == 403
    assert b"Registration is closed" in response.content
    assert b'href="/register"' not in client.get("/login").content


def test_settings_page_test_button_shares_the_thirty_a_minute_budget(client, editor):
    client.force_login(editor)
    statuses = [client.post("/settings/erpnext/test").status_code for _ in range(31)]
    assert statuses[:30] == [200] * 30
    assert statuses[30] == 429
    assert b"Too many tests" in client.post("/settings/erpnext/test").content
