"""POST /api/projects/{slug}/erpnext/create: an ERPNext Project made from the BIM project."""

import pytest

from erp.constants import CREATED_MARKER
from erp.models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange


@pytest.fixture
def creator(erp, connect, editor):
    erp.drop_project_default_company()  # as on a site without a default Company
    return connect(editor, erp)


def create(api_client_for, user, project, **body):
    return api_client_for(user).post(
        f"/api/projects/{project.slug}/erpnext/create", body, format="json"
    )


def test_create_makes_the_erpnext_project_and_links_it(erp, creator, project, api_client_for):
    response = create(
        api_client_for,
        creator,
        project,
        company="OpenAEC Demo",
        expected_start_date="2025-02-01",
        expected_end_date="2025-12-31",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["erpnext_project"] == "PROJ-0001"
    assert (body["title"], body["status"], body["company"]) == (
        "Harbour Office",
        "Open",
        "OpenAEC Demo",
    )
    doc = erp.get_doc("Project", "PROJ-0001")
    assert doc["project_name"] == "Harbour Office"
    assert doc["status"] == "Open"
    assert (doc["expected_start_date"], doc["expected_end_date"]) == ("2025-02-01", "2025-12-31")
    assert CREATED_MARKER.format(project_id=project.pk) in doc["notes"]
    assert ErpnextProjectLink.objects.get().erpnext_modified == doc["modified"]


def test_create_sends_the_bim_status(erp, creator, project, api_client_for):
    project.status = "completed"
    project.save()

    create(api_client_for, creator, project, company="OpenAEC Demo")

    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Completed"


def test_create_without_company_shows_erpnext_mandatory_error_and_writes_nothing(
    erp, creator, project, api_client_for
):
    response = create(api_client_for, creator, project)

    assert response.status_code == 400
    assert response.json()["detail"] == (
        "ERPNext refused the new ERPNext project: Value missing for Project: Company."
    )
    assert erp.docs("Project") == []
    assert not ErpnextProjectLink.objects.exists()
    assert not ErpnextSite.objects.exists()
    assert not ProjectStatusChange.objects.exists()


def test_create_uses_the_erpnext_default_company_when_there_is_one(
    erp, connect, editor, project, api_client_for
):
    connect(editor, erp)

    response = create(api_client_for, editor, project)

    assert response.status_code == 201
    assert response.json()["company"] == "OpenAEC Demo"


def test_create_with_unknown_company_is_400(erp, creator, project, api_client_for):
    response = create(api_client_for, creator, project, company="No Such BV")

    assert response.status_code == 400
    assert "Could not find Company: No Such BV" in response.json()["detail"]
    assert not ErpnextProjectLink.objects.exists()


def test_create_refuses_a_title_erpnext_already_has(erp, creator, project, api_client_for):
    erp.add_doc("Project", {"project_name": "Harbour Office", "company": "OpenAEC Demo"})

    response = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert response.status_code == 409
    assert "already has a project titled 'Harbour Office' (PROJ-0001)" in response.json()["detail"]
    assert len(erp.docs("Project")) == 1
    assert not ErpnextProjectLink.objects.exists()


def test_create_whose_answer_is_lost_finds_the_project_instead_of_duplicating(
    erp, creator, project, api_client_for
):
    # ERPNext inserts, then the connection drops before the answer: a POST is never re-sent.
    erp.inject("/api/resource/Project", method="POST", drop_after_handling=True)

    first = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert first.status_code == 201, first.content
    assert [d["name"] for d in erp.docs("Project")] == ["PROJ-0001"]
    assert [r.method for r in erp.requests] == [
        "GET",
        "POST",
        "GET",
        "GET",
    ]  # look, insert, look, read


def test_create_retried_after_a_failure_reuses_its_own_project(
    erp, creator, project, api_client_for
):
    # An earlier attempt created the project but never heard back, and then gave up.
    marker = CREATED_MARKER.format(project_id=project.pk)
    erp.add_doc(
        "Project", {"project_name": "Harbour Office", "company": "OpenAEC Demo", "notes": marker}
    )

    response = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert response.status_code == 201
    assert response.json()["erpnext_project"] == "PROJ-0001"
    assert len(erp.docs("Project")) == 1


def test_create_removes_the_erpnext_project_when_linking_fails(
    erp, creator, project, api_client_for
):
    # A stale link of another BIM project already holds the name ERPNext will give (PROJ-0001).
    from erp.services import erpnext_site_get_or_create
    from projects import services as project_services

    other = project_services.project_create(user=creator, name="Other")
    ErpnextProjectLink.objects.create(
        project=other, site=erpnext_site_get_or_create(url=erp.url), erpnext_project="PROJ-0001"
    )

    response = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert response.status_code == 409
    assert erp.docs("Project") == []  # created, then deleted again
    assert [r.method for r in erp.requests if r.path.startswith("/api/resource/Project/")] == [
        "DELETE"
    ]
    assert not ErpnextProjectLink.objects.filter(project=project).exists()


def test_create_reports_a_project_it_could_not_remove(erp, creator, project, api_client_for):
    from erp.services import erpnext_site_get_or_create
    from projects import services as project_services

    other = project_services.project_create(user=creator, name="Other")
    ErpnextProjectLink.objects.create(
        project=other, site=erpnext_site_get_or_create(url=erp.url), erpnext_project="PROJ-0001"
    )
    erp.inject("/api/resource/Project/PROJ-0001", status=500)

    response = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert response.status_code == 409
    detail = response.json()["detail"]
    assert "PROJ-0001 created for it could not be removed" in detail
    assert not ErpnextProjectLink.objects.filter(project=project).exists()


def test_create_for_a_linked_project_is_409_without_calling_erpnext(erp, linked, api_client_for):
    erp.clear_requests()

    response = create(api_client_for, linked.linked_by, linked.project)

    assert response.status_code == 409
    assert erp.requests == []


def test_create_refuses_end_before_start(erp, creator, project, api_client_for):
    response = create(
        api_client_for,
        creator,
        project,
        company="OpenAEC Demo",
        expected_start_date="2025-05-01",
        expected_end_date="2025-04-01",
    )

    assert response.status_code == 400
    assert erp.docs("Project") == []


def test_create_refuses_a_bad_date(erp, creator, project, api_client_for):
    response = create(api_client_for, creator, project, expected_start_date="tomorrow")

    assert response.status_code == 400
    assert "expected_start_date" in response.json()["detail"]


def test_create_with_a_title_erpnext_escapes_links_the_project_it_made(
    erp, creator, project, api_client_for, client
):
    """ERPNext stores "Haus A&B <Nord>" as "Haus A&amp;B &lt;Nord&gt;" (issue 8 #5)."""
    project.name = "Haus A&B <Nord>"
    project.save()

    response = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert response.status_code == 201, response.content
    assert response.json()["title"] == "Haus A&B <Nord>"
    assert erp.get_doc("Project", "PROJ-0001")["project_name"] == "Haus A&amp;B &lt;Nord&gt;"
    client.force_login(creator)
    page = client.get(f"/projects/{project.slug}/erpnext").content.decode()
    assert "Haus A&amp;B &lt;Nord&gt;" in page  # escaped once, by the template
    assert "&amp;amp;" not in page and "&amp;lt;" not in page


def test_create_with_an_escaped_title_whose_answer_is_lost_finds_it(
    erp, creator, project, api_client_for
):
    """The lookup after a lost answer finds the escaped title; before, the retry got 417
    "Project Name must be unique"."""
    project.name = "Haus A&B <Nord>"
    project.save()
    erp.inject("/api/resource/Project", method="POST", drop_after_handling=True)

    first = create(api_client_for, creator, project, company="OpenAEC Demo")

    assert first.status_code == 201, first.content
    assert [d["name"] for d in erp.docs("Project")] == ["PROJ-0001"]


def test_create_after_unlink_applies_the_dates_sent_and_says_so(
    erp, creator, project, api_client_for
):
    """Issue 8 #7: creating again after an unlink relinked the old Project and dropped the
    new expected dates without a word."""
    assert create(api_client_for, creator, project, company="OpenAEC Demo").status_code == 201
    client = api_client_for(creator)
    assert client.delete(f"/api/projects/{project.slug}/erpnext").status_code == 204

    response = create(
        api_client_for,
        creator,
        project,
        company="OpenAEC Demo",
        expected_start_date="2026-03-01",
        expected_end_date="2026-09-30",
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert (body["erpnext_project"], body["expected_start_date"], body["expected_end_date"]) == (
        "PROJ-0001",
        "2026-03-01",
        "2026-09-30",
    )
    doc = erp.get_doc("Project", "PROJ-0001")
    assert (doc["expected_start_date"], doc["expected_end_date"]) == ("2026-03-01", "2026-09-30")
    assert len(erp.docs("Project")) == 1
    relinked = (
        ProjectStatusChange.objects.filter(field="link", new_value="PROJ-0001")
        .order_by("pk")
        .last()
    )
    assert relinked.note == (
        "Linked again to PROJ-0001, made from this BIM project before; "
        "expected_start_date, expected_end_date set as sent."
    )


def test_create_after_unlink_refuses_another_company(erp, creator, project, api_client_for):
    erp.add_doc("Company", {"company_name": "Other BV", "abbr": "OB"})
    assert create(api_client_for, creator, project, company="OpenAEC Demo").status_code == 201
    api_client_for(creator).delete(f"/api/projects/{project.slug}/erpnext")

    response = create(api_client_for, creator, project, company="Other BV")

    assert response.status_code == 409
    assert "belongs to company 'OpenAEC Demo', not 'Other BV'" in response.json()["detail"]
    assert not ErpnextProjectLink.objects.exists()
