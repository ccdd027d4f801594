import pytest

from integrations import crypto
from openaec.accounts.models import User
from tests.factories import ERP_SECRET, NC_PASSWORD, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def superuser_client(client):
    root = User.objects.create_superuser("root", "root@example.com", "pw-root-12345")
    client.force_login(root)
    return client


def test_superuser_is_a_global_admin():
    root = User.objects.create_superuser("root", "root@example.com", "pw")
    assert root.role == "admin"
    assert root.is_admin


def test_changelist_shows_whether_erpnext_is_configured(superuser_client):
    make_user(
        "set",
        erpnext_url="https://erp.example.com",
        erpnext_api_key="k",
        erpnext_api_secret=crypto.encrypt_secret(ERP_SECRET),
    )
    response = superuser_client.get("/admin/accounts/user/")
    assert response.status_code == 200
    assert b"ERPNext configured" in response.content
    assert b"icon-yes.svg" in response.content and b"icon-no.svg" in response.content


def test_change_page_never_shows_secret_or_ciphertext(superuser_client):
    ciphertext = crypto.encrypt_secret(ERP_SECRET)
    user = make_user(
        "eddie",
        erpnext_api_secret=ciphertext,
        nextcloud_password=crypto.encrypt_secret(NC_PASSWORD),
    )
    response = superuser_client.get(f"/admin/accounts/user/{user.pk}/change/")
    assert response.status_code == 200
    assert ciphertext.encode() not in response.content
    assert b"New ERPNext API secret" in response.content
    assert b">set<" in response.content


def _change_form(user, **changes):
    data = {
        "username": user.username,
        "email": user.email,
        "role": user.role,
        "is_active": "on",
        "erpnext_url": user.erpnext_url or "",
        "erpnext_api_key": user.erpnext_api_key or "",
        "nextcloud_url": "",
        "nextcloud_username": "",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "00:00:00",
    }
    data.update(changes)
    return data


def test_admin_sets_a_new_secret_encrypted_and_keeps_it_when_blank(superuser_client):
    user = make_user("eddie")
    url = f"/admin/accounts/user/{user.pk}/change/"

    response = superuser_client.post(url, _change_form(user, new_erpnext_api_secret=ERP_SECRET))
    assert response.status_code == 302, response.content[:2000]
    stored = User.objects.get(pk=user.pk).erpnext_api_secret
    assert crypto.decrypt_secret(stored) == ERP_SECRET

    superuser_client.post(url, _change_form(user))
    assert User.objects.get(pk=user.pk).erpnext_api_secret == stored

    superuser_client.post(url, _change_form(user, clear_erpnext_api_secret="on"))
    assert User.objects.get(pk=user.pk).erpnext_api_secret is None


def test_admin_refuses_a_hostile_url(superuser_client):
    user = make_user("eddie")
    response = superuser_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        _change_form(user, erpnext_url="http://169.254.169.254"),
    )
    assert response.status_code == 200
    assert User.objects.get(pk=user.pk).erpnext_url is None


def test_admin_secret_change_goes_through_the_settings_service(superuser_client, caplog):
    user = make_user("eddie")
    caplog.set_level("INFO", logger="openaec.accounts.services")

    superuser_client.post(
        f"/admin/accounts/user/{user.pk}/change/",
        _change_form(user, new_nextcloud_password="nc-secret-typed-in-admin"),
    )

    # The service's audit line, which the admin's own encryption never wrote.
    assert f"user {user.pk} changed settings: nextcloud_password" in caplog.text
    assert "nc-secret-typed-in-admin" not in caplog.text
