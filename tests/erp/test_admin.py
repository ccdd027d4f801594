"""The Django admin door: sites with write-only webhook secrets, read-only links and history."""

import re

import pytest
from django.test import Client

from erp.models import ErpnextSite
from integrations.crypto import decrypt_secret
from tests.factories import make_user


@pytest.fixture
def admin_browser(db):
    root = make_user("root", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


def test_site_pages_never_show_the_secret_or_its_ciphertext(webhook_site, admin_browser):
    for url in ("/admin/erp/erpnextsite/", f"/admin/erp/erpnextsite/{webhook_site.pk}/change/"):
        html = admin_browser.get(url).content.decode()
        assert webhook_site.webhook_secret not in html
        assert "webhook-secret-for-tests" not in html


def test_admin_action_generates_a_secret_shown_once(linked, admin_browser):
    site = ErpnextSite.objects.get()

    response = admin_browser.post(
        "/admin/erp/erpnextsite/",
        {"action": "generate_webhook_secret", "_selected_action": [site.pk]},
        follow=True,
    )

    secret = re.search(r"Webhook secret of \S+: (\S+) \(paste", response.content.decode()).group(1)
    site.refresh_from_db()
    assert decrypt_secret(site.webhook_secret) == secret
    assert secret not in admin_browser.get("/admin/erp/erpnextsite/").content.decode()


def test_admin_sets_a_typed_secret(linked, admin_browser):
    site = ErpnextSite.objects.get()

    response = admin_browser.post(
        f"/admin/erp/erpnextsite/{site.pk}/change/",
        {"new_webhook_secret": "typed-secret-0123456789"},
    )

    assert response.status_code == 302
    site.refresh_from_db()
    assert decrypt_secret(site.webhook_secret) == "typed-secret-0123456789"


def test_link_and_history_pages_load(linked, admin_browser):
    assert (
        admin_browser.get(f"/admin/erp/erpnextprojectlink/{linked.pk}/change/").status_code == 200
    )
    assert admin_browser.get("/admin/erp/projectstatuschange/").status_code == 200
    assert admin_browser.get("/admin/erp/webhookdelivery/").status_code == 200


def test_staff_editor_does_not_see_sites(linked, editor):
    from django.contrib.auth.models import Permission

    editor.is_staff = True
    editor.save()
    editor.user_permissions.add(*Permission.objects.filter(content_type__app_label="erp"))
    client = Client()
    client.force_login(editor)

    assert client.get("/admin/erp/erpnextsite/").status_code == 403
