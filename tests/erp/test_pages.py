"""The HTML door: a project's ERPNext page and the administrators' site page, no JavaScript."""

import re

import pytest
from django.test import Client

from erp.models import ErpnextProjectLink, ErpnextSite
from projects.models import Project


@pytest.fixture
def browser():
    def build(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return build


def page_of(project) -> str:
    return f"/projects/{project.slug}/erpnext"


def test_viewer_sees_link_and_history_without_forms(linked, project_viewer, browser):
    response = browser(project_viewer).get(page_of(linked.project))

    html = response.content.decode()
    assert response.status_code == 200
    # The ERPNext Project is a link to its page in ERPNext's desk.
    assert f'Linked to <a href="{linked.site.url}/app/project/PROJ-0001"' in html
    assert 'id="history"' in html
    assert "Pull from ERPNext" not in html
    assert '<form method="post"' not in html.split('id="link"')[1].split("</section>")[0]


def test_editor_searches_and_links_from_the_page(erp, connect, editor, project, browser):
    connect(editor, erp)
    for i in range(25):
        erp.add_doc("Project", {"project_name": f"Tower {i}"})
    client = browser(editor)

    found = client.get(page_of(project), {"q": "tower 2"})

    html = found.content.decode()
    assert found.status_code == 200
    assert "6 projects on" in html  # Tower 2 and Tower 20 to 24
    assert html.count('name="erpnext_project" value="PROJ-') == 6
    linked = client.post(f"{page_of(project)}/link", {"erpnext_project": "PROJ-0003"})
    assert linked.status_code == 302
    assert ErpnextProjectLink.objects.get().erpnext_project == "PROJ-0003"
    after = client.get(page_of(project)).content.decode()
    assert "Linked to ERPNext project PROJ-0003." in after


def test_search_results_page_through(erp, connect, editor, project, browser):
    connect(editor, erp)
    for i in range(45):
        erp.add_doc("Project", {"project_name": f"Block {i}"})

    html = browser(editor).get(page_of(project), {"q": "block", "page": 3}).content.decode()

    assert "45 projects on" in html
    assert re.findall(r'value="(PROJ-\d+)"', html) == [f"PROJ-{n:04d}" for n in range(41, 46)]
    assert "Previous" in html and "Next</a>" not in html


def test_create_form_creates_and_links(erp, connect, editor, project, browser):
    connect(editor, erp)

    response = browser(editor).post(
        f"{page_of(project)}/create",
        {"company": "OpenAEC Demo", "expected_start_date": "2025-04-01", "expected_end_date": ""},
    )

    assert response.status_code == 302
    assert erp.get_doc("Project", "PROJ-0001")["expected_start_date"] == "2025-04-01"


def test_create_form_errors_stay_on_the_page(erp, connect, editor, project, browser):
    connect(editor, erp)

    response = browser(editor).post(
        f"{page_of(project)}/create",
        {"expected_start_date": "2025-04-02", "expected_end_date": "2025-04-01"},
    )

    assert response.status_code == 400
    assert "The end must not be before the start." in response.content.decode()
    assert erp.docs("Project") == []


def test_erpnext_failure_is_shown_on_the_page_with_its_status(erp, linked, browser):
    erp.inject("/api/", times=None, html=True)

    response = browser(linked.linked_by).post(f"{page_of(linked.project)}/pull")

    assert response.status_code == 502
    assert "not Frappe&#x27;s JSON" in response.content.decode()


def test_pull_and_push_buttons(erp, linked, browser):
    client = browser(linked.linked_by)
    erp.set_doc("Project", "PROJ-0001", status="Completed")

    assert client.post(f"{page_of(linked.project)}/pull").status_code == 302
    assert Project.objects.get().status == "completed"
    Project.objects.update(status="open")
    assert client.post(f"{page_of(linked.project)}/push").status_code == 302
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Open"


def test_unlink_button(erp, linked, browser):
    response = browser(linked.linked_by).post(f"{page_of(linked.project)}/unlink")

    assert response.status_code == 302
    assert not ErpnextProjectLink.objects.exists()


@pytest.mark.parametrize("action", ["link", "create", "unlink", "pull", "push"])
def test_viewer_posting_gets_403(erp, linked, project_viewer, browser, action):
    erp.clear_requests()

    response = browser(project_viewer).post(
        f"{page_of(linked.project)}/{action}", {"erpnext_project": "PROJ-0001"}
    )

    assert response.status_code == 403
    assert ErpnextProjectLink.objects.exists()
    assert erp.requests == []


def test_forms_need_csrf(linked):
    client = Client(enforce_csrf_checks=True)
    client.force_login(linked.linked_by)

    assert client.post(f"{page_of(linked.project)}/unlink").status_code == 403
    assert ErpnextProjectLink.objects.exists()


def test_admin_sees_the_webhook_url_and_sets_a_secret_once(linked, admin_user, browser):
    client = browser(admin_user)
    site = ErpnextSite.objects.get()

    page = client.get(page_of(linked.project)).content.decode()
    assert f"/api/webhooks/erpnext/{site.webhook_token}" in page
    response = client.post(f"/erpnext/sites/{site.pk}/webhook-secret", {"secret": ""})

    html = response.content.decode()
    assert response.status_code == 200
    secret = re.search(r'id="new-secret".*?<code>([^<]+)</code>', html, re.S).group(1)
    assert len(secret) >= 32
    again = client.get("/erpnext/sites").content.decode()
    assert secret not in again
    assert "set" in again


def test_sites_page_is_for_admins_only(linked, editor, browser):
    site = ErpnextSite.objects.get()
    client = browser(editor)

    assert client.get("/erpnext/sites").status_code == 403
    assert (
        client.post(f"/erpnext/sites/{site.pk}/webhook-secret", {"secret": ""}).status_code == 403
    )
    site.refresh_from_db()
    assert site.webhook_secret == ""


def test_page_needs_login(linked):
    response = Client().get(page_of(linked.project))

    assert response.status_code == 302
    assert "/login" in response["Location"]


def test_project_page_changes_the_status_through_the_service_that_pushes(
    erp, linked, browser, django_capture_on_commit_callbacks
):
    from erp.models import ProjectStatusChange

    client = browser(linked.linked_by)
    page = client.get(f"/projects/{linked.project.slug}").content.decode()
    assert f'action="/projects/{linked.project.slug}/status"' in page

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/projects/{linked.project.slug}/status", {"status": "completed"})

    assert response.status_code == 302
    assert Project.objects.get(pk=linked.project_id).status == "completed"
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Completed"
    change = ProjectStatusChange.objects.get(field="status")
    assert (change.new_value, change.source, change.actor) == (
        "completed",
        "user",
        linked.linked_by,
    )


def test_project_page_status_change_follows_the_write_rule(erp, linked, member, browser):
    viewer_admin = member("vera", project_role="admin", role="viewer")
    project_viewer = member("pia", project_role="viewer", role="editor")
    erp.clear_requests()

    refused = browser(viewer_admin).post(
        f"/projects/{linked.project.slug}/status", {"status": "cancelled"}
    )
    not_admin = browser(project_viewer).post(
        f"/projects/{linked.project.slug}/status", {"status": "cancelled"}
    )
    bad = browser(linked.linked_by).post(f"/projects/{linked.project.slug}/status", {"status": "x"})

    assert refused.status_code == 403 and "linked to ERPNext" in refused.content.decode()
    assert not_admin.status_code == 403
    assert bad.status_code == 400
    assert Project.objects.get(pk=linked.project_id).status == "open"
    assert erp.requests == []
