"""POST /api/webhooks/erpnext/{site_token}: ERPNext's signed Project webhook."""

import json

import pytest
from rest_framework.test import APIClient

from erp.constants import WEBHOOK_SIGNATURE_HEADER
from erp.models import ErpnextProjectLink, ProjectStatusChange, WebhookDelivery
from erp.services import webhook_signature
from projects.models import Project

from .conftest import WEBHOOK_SECRET


def deliver(site, body: bytes, headers: dict, *, client=None, content_type="text/plain"):
    client = client or APIClient()
    extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
    # Frappe sends json.dumps(...) as the raw body, without a Content-Type of its own.
    return client.post(
        f"/api/webhooks/erpnext/{site.webhook_token}", body, content_type=content_type, **extra
    )


def test_signed_delivery_updates_status_and_history(erp, webhook_site):
    doc = erp.set_doc("Project", "PROJ-0001", status="Completed", percent_complete=100)
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 200, response.content
    assert response.json()["result"] == "updated"
    assert response.json()["erpnext_project"] == "PROJ-0001"
    assert Project.objects.get().status == "completed"
    link = ErpnextProjectLink.objects.get()
    assert (link.status, link.percent_complete, link.erpnext_modified) == (
        "Completed",
        100.0,
        doc["modified"],
    )
    sources = set(
        ProjectStatusChange.objects.filter(source="webhook").values_list("field", flat=True)
    )
    assert sources == {"status", "percent_complete"}


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/json", "application/x-www-form-urlencoded"]
)
def test_delivery_body_is_read_whatever_its_content_type(erp, webhook_site, content_type):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)

    response = deliver(webhook_site, body, headers, content_type=content_type)

    assert response.status_code == 200
    assert Project.objects.get().status == "cancelled"


def test_unsigned_delivery_is_401(erp, webhook_site):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=None)

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 401
    assert "X-Frappe-Webhook-Signature" in response.json()["detail"]
    assert Project.objects.get().status == "open"
    assert not WebhookDelivery.objects.exists()


@pytest.mark.parametrize("how", ["wrong secret", "tampered body", "garbage header"])
def test_badly_signed_delivery_is_403(erp, webhook_site, how):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")
    secret = "another-secret-0123456789" if how == "wrong secret" else WEBHOOK_SECRET
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=secret)
    if how == "tampered body":
        body = body.replace(b"Cancelled", b"Completed")
    if how == "garbage header":
        headers = {"X-Frappe-Webhook-Signature": "not base64 at all ✓"}

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Bad signature")
    assert Project.objects.get().status == "open"


def test_replayed_delivery_is_200_unchanged_and_changes_nothing(erp, webhook_site):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)
    assert deliver(webhook_site, body, headers).status_code == 200
    Project.objects.update(status="open")  # changed here meanwhile
    rows = ProjectStatusChange.objects.count()

    response = deliver(webhook_site, body, headers)

    # A non-2xx makes Frappe retry 3 times and log a traceback each time (issue 8 #4).
    assert response.status_code == 200
    assert response.json() == {
        "result": "unchanged",
        "detail": "Already received: this exact body came before; nothing to do.",
        "erpnext_project": "PROJ-0001",
    }
    assert Project.objects.get().status == "open"
    assert ProjectStatusChange.objects.count() == rows


def test_older_delivery_is_200_unchanged_without_a_history_row(erp, webhook_site):
    older = erp.get_doc("Project", "PROJ-0001")
    erp.set_doc("Project", "PROJ-0001", status="Completed")
    newer_body, newer_headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)
    assert deliver(webhook_site, newer_body, newer_headers).status_code == 200
    rows = ProjectStatusChange.objects.count()
    # Deliveries can arrive out of order: this one says Cancelled at the earlier `modified`.
    stale_data = {
        "doctype": "Project",
        "name": "PROJ-0001",
        "status": "Cancelled",
        "modified": older["modified"],
    }
    stale_body, stale_headers = erp.webhook_delivery(
        "Project", "PROJ-0001", secret=WEBHOOK_SECRET, data=stale_data
    )

    response = deliver(webhook_site, stale_body, stale_headers)

    assert response.status_code == 200
    assert response.json()["result"] == "unchanged"
    assert Project.objects.get().status == "completed"
    assert ProjectStatusChange.objects.count() == rows


def test_the_echo_of_our_own_push_is_200_unchanged_without_a_history_row(
    erp, webhook_site, linked, api_client_for, editor
):
    """ERPNext's Webhook echoes every write of ours with the `modified` we already hold."""
    client = api_client_for(editor)
    pushed = client.post(f"/api/projects/{linked.project.slug}/erpnext/push")
    assert pushed.status_code == 200, pushed.content
    rows = ProjectStatusChange.objects.count()
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)

    response = deliver(webhook_site, body, headers)

    assert (response.status_code, response.json()["result"]) == (200, "unchanged")
    assert ProjectStatusChange.objects.count() == rows


def test_same_modified_again_is_unchanged(erp, webhook_site):
    data = erp.get_doc("Project", "PROJ-0001")
    body, headers = erp.webhook_delivery(
        "Project",
        "PROJ-0001",
        secret=WEBHOOK_SECRET,
        data={"name": "PROJ-0001", "modified": data["modified"], "status": "Cancelled"},
    )

    response = deliver(webhook_site, body, headers)

    assert (response.status_code, response.json()["result"]) == (200, "unchanged")
    assert Project.objects.get().status == "open"


@pytest.mark.parametrize(
    "data, message",
    [
        ({"name": "PROJ-\ud800", "modified": "2026-01-01 10:00:00"}, "unpaired surrogate"),
        ({"name": "PROJ-0001", "status": "Open\u0000", "modified": "2026-01-01 10:00:00"}, "NUL"),
        ({"name": "PROJ-0001", "modified": "9999-12-31 23:59:59"}, "in the future"),
    ],
)
def test_signed_hostile_delivery_is_400_and_stores_nothing(erp, webhook_site, data, message):
    """Issue 16.7: a lone surrogate was a 500, a NUL was stored, 9999-12-31 froze the link."""
    body = json.dumps(data).encode()
    headers = {WEBHOOK_SIGNATURE_HEADER: webhook_signature(secret=WEBHOOK_SECRET, body=body)}

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 400, response.content
    assert message in response.json()["detail"]
    assert not WebhookDelivery.objects.exists()
    assert ErpnextProjectLink.objects.get().erpnext_modified < "9999"


def test_delivery_for_an_unlinked_erpnext_project_is_accepted_and_ignored(erp, webhook_site):
    erp.add_doc("Project", {"project_name": "Someone else's"})
    body, headers = erp.webhook_delivery("Project", "PROJ-0002", secret=WEBHOOK_SECRET)

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 200
    assert response.json()["result"] == "not_linked"


def test_partial_delivery_changes_only_what_it_carries(erp, webhook_site):
    doc = erp.set_doc("Project", "PROJ-0001", status="Completed", percent_complete=55)
    body, headers = erp.webhook_delivery(
        "Project", "PROJ-0001", secret=WEBHOOK_SECRET, fields=("name", "status", "modified")
    )

    assert deliver(webhook_site, body, headers).status_code == 200

    link = ErpnextProjectLink.objects.get()
    assert (link.status, link.percent_complete, link.erpnext_modified) == (
        "Completed",
        0.0,
        doc["modified"],
    )


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (["not", "an", "object"], "not a JSON object"),
        ({"doctype": "Task", "name": "TASK-1", "modified": "2025-01-01 00:00:00"}, "Only Project"),
        ({"name": "PROJ-0001"}, "'modified' is not a Frappe timestamp"),
        ({"name": "PROJ-0001", "modified": "yesterday"}, "'modified' is not a Frappe timestamp"),
        ({"modified": "2025-01-01 00:00:00"}, "no usable 'name'"),
        (
            {"name": "PROJ-0001", "modified": "2999-01-01 00:00:00", "expected_end_date": "soon"},
            "not a date",
        ),
    ],
)
def test_signed_but_unusable_delivery_is_400(erp, webhook_site, data, message):
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET, data=data)

    response = deliver(webhook_site, body, headers)

    assert response.status_code == 400
    assert message in response.json()["detail"]
    assert Project.objects.get().status == "open"


def test_signed_body_that_is_not_json_is_400(erp, webhook_site):
    from erp.services import webhook_signature

    body = b"<html>nope</html>"
    headers = {"X-Frappe-Webhook-Signature": webhook_signature(secret=WEBHOOK_SECRET, body=body)}

    assert deliver(webhook_site, body, headers).status_code == 400


def test_site_without_secret_refuses_deliveries(erp, linked):
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)

    response = deliver(linked.site, body, headers)

    assert response.status_code == 403
    assert "webhook secret" in response.json()["detail"]


def test_unknown_token_is_404(erp, webhook_site):
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)
    webhook_site.webhook_token = "unknown-token"

    assert deliver(webhook_site, body, headers).status_code == 404


def test_receiver_needs_no_token_and_no_csrf(erp, webhook_site, viewer):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")
    body, headers = erp.webhook_delivery("Project", "PROJ-0001", secret=WEBHOOK_SECRET)
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(viewer)  # a browser session must not make CSRF apply either

    response = deliver(webhook_site, body, headers, client=client)

    assert response.status_code == 200


@pytest.mark.django_db(transaction=True)
def test_real_frappe_style_delivery_over_http(erp, connect, live_server, settings):
    """The double POSTs exactly as Frappe's enqueue_webhook does, to a live server."""
    from erp import services
    from projects import services as project_services
    from tests.factories import make_user

    admin = make_user("root", role="admin")
    connect(admin, erp)
    erp.add_doc("Project", {"project_name": "Live"})
    project = project_services.project_create(user=admin, name="Live")
    link = services.project_link_create(project=project, user=admin, erpnext_project="PROJ-0001")
    services.erpnext_site_webhook_secret_set(user=admin, site=link.site, secret=WEBHOOK_SECRET)
    link.site.refresh_from_db()
    erp.set_doc("Project", "PROJ-0001", status="Completed")
    url = f"{live_server.url}/api/webhooks/erpnext/{link.site.webhook_token}"

    response = erp.send_webhook(url, "Project", "PROJ-0001", secret=WEBHOOK_SECRET)

    assert response.status_code == 200, response.text
    assert Project.objects.get(pk=project.pk).status == "completed"
    assert [status for status, _ in erp.webhook_log] == [200]


def test_frappe_does_not_retry_the_echo_of_a_push(erp, connect, live_server):
    """ERPNext's Webhook sends our own push back; a non-2xx would be retried 3 times with a
    traceback in ERPNext's Webhook Request Log each time (issue 8 #4)."""
    from erp import services
    from projects import services as project_services
    from tests.factories import make_user

    admin = make_user("root", role="admin")
    connect(admin, erp)
    erp.add_doc("Project", {"project_name": "Live"})
    project = project_services.project_create(user=admin, name="Live")
    link = services.project_link_create(project=project, user=admin, erpnext_project="PROJ-0001")
    services.erpnext_site_webhook_secret_set(user=admin, site=link.site, secret=WEBHOOK_SECRET)
    link.site.refresh_from_db()
    url = f"{live_server.url}/api/webhooks/erpnext/{link.site.webhook_token}"
    assert erp.send_webhook(url, "Project", "PROJ-0001", secret=WEBHOOK_SECRET).status_code == 200
    rows = ProjectStatusChange.objects.count()

    echo = erp.send_webhook(url, "Project", "PROJ-0001", secret=WEBHOOK_SECRET, sleep_scale=0.01)

    assert (echo.status_code, echo.json()["result"]) == (200, "unchanged")
    assert [status for status, _ in erp.webhook_log] == [200, 200]  # one try each
    assert ProjectStatusChange.objects.count() == rows
