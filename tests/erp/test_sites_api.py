"""ERPNext sites and their webhook secrets: admins only, the secret shown once, stored encrypted."""

import pytest

from erp.models import ErpnextSite
from integrations.crypto import decrypt_secret


def test_admin_generates_a_secret_shown_once(linked, admin_user, api_client_for):
    client = api_client_for(admin_user)
    site = ErpnextSite.objects.get()

    response = client.post(f"/api/erpnext/sites/{site.pk}/webhook-secret", {}, format="json")

    assert response.status_code == 200
    body = response.json()
    secret = body["webhook_secret"]
    assert len(secret) >= 32
    assert body["webhook_secret_set"] is True
    assert body["webhook_url"] == f"http://testserver/api/webhooks/erpnext/{site.webhook_token}"
    site.refresh_from_db()
    assert secret not in site.webhook_secret
    assert decrypt_secret(site.webhook_secret) == secret
    listed = client.get("/api/erpnext/sites").json()
    assert [s["url"] for s in listed] == [site.url]
    assert secret not in str(listed) and "webhook_secret" not in listed[0]


def test_admin_sets_their_own_secret(linked, admin_user, api_client_for):
    site = ErpnextSite.objects.get()

    response = api_client_for(admin_user).post(
        f"/api/erpnext/sites/{site.pk}/webhook-secret",
        {"secret": "my-own-secret-123456"},
        format="json",
    )

    assert response.json()["webhook_secret"] == "my-own-secret-123456"
    site.refresh_from_db()
    assert decrypt_secret(site.webhook_secret) == "my-own-secret-123456"


def test_short_secret_is_400(linked, admin_user, api_client_for):
    site = ErpnextSite.objects.get()

    response = api_client_for(admin_user).post(
        f"/api/erpnext/sites/{site.pk}/webhook-secret", {"secret": "short"}, format="json"
    )

    assert response.status_code == 400


def test_disable_forgets_the_secret_and_changes_the_url(webhook_site, admin_user, api_client_for):
    token = webhook_site.webhook_token

    response = api_client_for(admin_user).delete(
        f"/api/erpnext/sites/{webhook_site.pk}/webhook-secret"
    )

    assert response.status_code == 204
    webhook_site.refresh_from_db()
    assert (webhook_site.webhook_secret, webhook_site.webhook_token != token) == ("", True)


def test_admin_registers_a_site_normalised(admin_user, api_client_for, allow_private):
    response = api_client_for(admin_user).post(
        "/api/erpnext/sites", {"url": "HTTPS://ERP.Example.com:443/"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["url"] == "https://erp.example.com"
    assert response.json()["webhook_secret_set"] is False


def test_editors_may_not_manage_sites(linked, editor, api_client_for):
    site = ErpnextSite.objects.get()
    client = api_client_for(editor)

    assert client.get("/api/erpnext/sites").status_code == 403
    assert (
        client.post(f"/api/erpnext/sites/{site.pk}/webhook-secret", {}, format="json").status_code
        == 403
    )
    assert (
        client.post("/api/erpnext/sites", {"url": "https://x.example"}, format="json").status_code
        == 403
    )
    site.refresh_from_db()
    assert site.webhook_secret == ""


def test_unknown_site_is_404(admin_user, api_client_for, db):
    response = api_client_for(admin_user).post(
        "/api/erpnext/sites/999/webhook-secret", {}, format="json"
    )

    assert response.status_code == 404


def test_schema_documents_the_erpnext_endpoints(client, db):
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()

    for path in (
        "/api/erpnext/projects",
        "/api/projects/{slug}/erpnext",
        "/api/projects/{slug}/erpnext/create",
        "/api/projects/{slug}/erpnext/pull",
        "/api/projects/{slug}/erpnext/push",
        "/api/projects/{slug}/erpnext/history",
        "/api/webhooks/erpnext/{site_token}",
    ):
        assert path in schema["paths"], path
    assert {"get", "post", "delete"} <= set(schema["paths"]["/api/projects/{slug}/erpnext"])
    webhook = schema["paths"]["/api/webhooks/erpnext/{site_token}"]["post"]
    assert not webhook.get("security")  # the signature is the authentication
    assert "security" in schema["paths"]["/api/projects/{slug}/erpnext/pull"]["post"]


def test_webhook_secrets_rotate_to_the_current_key(webhook_site, settings):
    from erp.services import erpnext_site_secrets_rotate

    old_key = settings.SECRET_KEY
    settings.SECRET_KEY, settings.SECRET_KEY_FALLBACKS = "a-new-key-" + "x" * 40, [old_key]

    assert erpnext_site_secrets_rotate() == (1, [])

    settings.SECRET_KEY_FALLBACKS = []
    webhook_site.refresh_from_db()
    assert decrypt_secret(webhook_site.webhook_secret) == "webhook-secret-for-tests-0123456789"


def test_undecryptable_webhook_secret_refuses_deliveries_and_is_listed(erp, webhook_site):
    from rest_framework.test import APIClient

    from erp.services import erpnext_site_secrets_rotate

    ErpnextSite.objects.update(webhook_secret="not-a-fernet-token")
    body, headers = erp.webhook_delivery(
        "Project", "PROJ-0001", secret="webhook-secret-for-tests-0123456789"
    )

    response = APIClient().post(
        f"/api/webhooks/erpnext/{webhook_site.webhook_token}",
        body,
        content_type="application/json",
        HTTP_X_FRAPPE_WEBHOOK_SIGNATURE=headers["X-Frappe-Webhook-Signature"],
    )

    assert response.status_code == 403
    assert "cannot be decrypted" in response.json()["detail"]
    assert erpnext_site_secrets_rotate() == (0, [webhook_site.url])


@pytest.mark.parametrize("site_id", ["1" * 5000, "99999999999999999999"])
def test_unusable_site_id_is_404(linked, admin_user, api_client_for, site_id):
    response = api_client_for(admin_user).post(
        f"/api/erpnext/sites/{site_id}/webhook-secret", {}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "ERPNext site not found"}
