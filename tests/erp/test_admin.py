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


def _project_form(project, **changes) -> dict:
    return {
        "name": project.name,
        "code": project.code,
        "description": project.description,
        "status": project.status,
        "owner": str(project.owner_id),
        "members-TOTAL_FORMS": "0",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        **changes,
    }


def test_admin_status_change_records_history_and_pushes(
    erp, linked, admin_browser, django_capture_on_commit_callbacks
):
    from erp.models import ProjectStatusChange

    project = linked.project
    erp.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_browser.post(
            f"/admin/projects/project/{project.pk}/change/",
            _project_form(project, status="completed"),
        )

    assert response.status_code == 302, response.content.decode()[:2000]
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Completed"
    user_change = ProjectStatusChange.objects.get(field="status", source="user")
    assert (user_change.old_value, user_change.new_value) == ("open", "completed")
    assert user_change.actor.username == "root"


def test_admin_status_change_by_a_global_viewer_is_refused(
    erp, linked, member, django_capture_on_commit_callbacks
):
    from django.contrib.auth.models import Permission

    from projects.models import Project, ProjectRole

    vera = member("vera", project_role=ProjectRole.ADMIN, role="viewer")
    vera.is_staff = True
    vera.save()
    vera.user_permissions.add(*Permission.objects.filter(codename__endswith="_project"))
    client = Client()
    client.force_login(vera)
    erp.clear_requests()

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            f"/admin/projects/project/{linked.project.pk}/change/",
            _project_form(linked.project, status="cancelled"),
        )

    assert response.status_code == 200  # the form again, with the error
    assert "linked to ERPNext" in response.content.decode()
    assert Project.objects.get(pk=linked.project_id).status == "open"
    assert [r for r in erp.requests if r.method == "PUT"] == []


def test_admin_unlink_goes_through_the_service_and_keeps_history(linked, admin_browser):
    from erp.models import ErpnextProjectLink, ProjectStatusChange

    response = admin_browser.post(
        "/admin/erp/erpnextprojectlink/",
        {"action": "delete_selected", "_selected_action": [linked.pk], "post": "yes"},
    )

    assert response.status_code == 302
    assert not ErpnextProjectLink.objects.exists()
    row = ProjectStatusChange.objects.get(field="link", new_value="")
    assert (row.old_value, row.new_value, row.actor.username) == ("PROJ-0001", "", "root")
