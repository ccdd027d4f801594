"""Linking a BIM project to an existing ERPNext Project, reading the link, unlinking."""

import pytest

from erp.models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange
from projects.models import Project, ProjectRole
from tests.factories import make_user

LINK_KEYS = {
    "project",
    "bim_status",
    "erpnext_site",
    "erpnext_project",
    "title",
    "status",
    "percent_complete",
    "expected_start_date",
    "expected_end_date",
    "company",
    "erpnext_modified",
    "in_step",
    "erpnext_desk_url",
    "linked_by",
    "linked_at",
    "last_synced_at",
    "last_error",
}


@pytest.fixture
def linker(erp, connect, editor):
    return connect(editor, erp)


def test_link_checks_the_erpnext_project_and_answers_201(
    erp, linker, project, erp_project, api_client_for
):
    response = api_client_for(linker).post(
        f"/api/projects/{project.slug}/erpnext", {"erpnext_project": "PROJ-0001"}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert set(body) == LINK_KEYS
    assert body["project"] == project.slug
    assert body["erpnext_site"] == erp.url
    assert body["erpnext_project"] == "PROJ-0001"
    assert body["title"] == "Harbour Office ERP"
    assert body["status"] == "Open"
    assert body["erpnext_modified"] == erp_project["modified"]
    assert body["in_step"] is True
    assert body["linked_by"] == str(linker.id)
    assert body["erpnext_desk_url"] == f"{erp.url}/app/project/PROJ-0001"
    assert [(r.method, r.path) for r in erp.requests] == [
        ("GET", "/api/resource/Project/PROJ-0001")
    ]


def test_link_records_the_site_normalised(erp, connect, editor, project, erp_project):
    from erp import services

    connect(editor, url=erp.url.replace("http://", "HTTP://") + "/")
    services.project_link_create(project=project, user=editor, erpnext_project="PROJ-0001")

    assert ErpnextSite.objects.get().url == erp.url
    assert ErpnextProjectLink.objects.get().site.url == erp.url


def test_link_takes_erpnext_status_percent_and_dates(erp, linker, project, api_client_for):
    erp.add_doc(
        "Project",
        {
            "project_name": "Done",
            "status": "Completed",
            "percent_complete": 100,
            "expected_start_date": "2025-01-01",
            "expected_end_date": "2025-06-30",
        },
    )

    body = (
        api_client_for(linker)
        .post(
            f"/api/projects/{project.slug}/erpnext", {"erpnext_project": "PROJ-0001"}, format="json"
        )
        .json()
    )

    assert (body["bim_status"], body["status"], body["percent_complete"]) == (
        "completed",
        "Completed",
        100.0,
    )
    assert (body["expected_start_date"], body["expected_end_date"]) == ("2025-01-01", "2025-06-30")
    project.refresh_from_db()
    assert project.status == "completed"
    fields = {
        c.field: (c.old_value, c.new_value, c.source) for c in ProjectStatusChange.objects.all()
    }
    assert fields["link"] == ("", "PROJ-0001", "user")
    assert fields["status"] == ("open", "completed", "pull")
    assert set(fields) == {"link", "status"}  # the rest of ERPNext's state is the start


def test_link_to_missing_erpnext_project_is_404_and_writes_nothing(
    erp, linker, project, api_client_for
):
    response = api_client_for(linker).post(
        f"/api/projects/{project.slug}/erpnext", {"erpnext_project": "PROJ-9999"}, format="json"
    )

    assert response.status_code == 404
    detail = response.json()["detail"]
    assert "PROJ-9999 was not found on" in detail
    assert "not its title" in detail
    assert not ErpnextProjectLink.objects.exists()
    assert not ErpnextSite.objects.exists()
    assert not ProjectStatusChange.objects.exists()


def test_link_twice_is_409(erp, linked, api_client_for):
    erp.add_doc("Project", {"project_name": "Other"})

    response = api_client_for(linked.linked_by).post(
        f"/api/projects/{linked.project.slug}/erpnext",
        {"erpnext_project": "PROJ-0002"},
        format="json",
    )

    assert response.status_code == 409
    assert "already linked to ERPNext project PROJ-0001" in response.json()["detail"]
    assert ErpnextProjectLink.objects.get().erpnext_project == "PROJ-0001"


def test_one_erpnext_project_links_to_one_bim_project(erp, linked, api_client_for):
    from projects import services as project_services

    other = project_services.project_create(user=linked.linked_by, name="Second")

    response = api_client_for(linked.linked_by).post(
        f"/api/projects/{other.slug}/erpnext", {"erpnext_project": "PROJ-0001"}, format="json"
    )

    assert response.status_code == 409
    assert (
        response.json()["detail"]
        == "ERPNext project PROJ-0001 is already linked to another BIM project."
    )


@pytest.mark.parametrize("body", [{}, {"erpnext_project": ""}, {"erpnext_project": "x" * 141}])
def test_link_needs_a_project_id(erp, linker, project, api_client_for, body):
    response = api_client_for(linker).post(
        f"/api/projects/{project.slug}/erpnext", body, format="json"
    )

    assert response.status_code == 400
    assert "erpnext_project" in response.json()["detail"]


def test_get_link_of_unlinked_project_is_404(erp, editor, project, api_client_for):
    response = api_client_for(editor).get(f"/api/projects/{project.slug}/erpnext")

    assert response.status_code == 404
    assert response.json() == {"detail": "Project is not linked to ERPNext"}


def test_project_viewer_reads_link_and_history(linked, project_viewer, api_client_for):
    client = api_client_for(project_viewer)

    link = client.get(f"/api/projects/{linked.project.slug}/erpnext/")
    history = client.get(f"/api/projects/{linked.project.slug}/erpnext/history")

    assert link.status_code == 200
    assert link.json()["erpnext_project"] == "PROJ-0001"
    assert history.status_code == 200
    assert history.json()["results"][0]["field"] == "link"


@pytest.mark.parametrize(
    ("method", "suffix"),
    [
        ("post", ""),
        ("delete", ""),
        ("post", "/create"),
        ("post", "/pull"),
        ("post", "/push"),
    ],
)
def test_project_viewer_may_not_write(erp, linked, project_viewer, api_client_for, method, suffix):
    erp.clear_requests()

    response = getattr(api_client_for(project_viewer), method)(
        f"/api/projects/{linked.project.slug}/erpnext{suffix}", {}, format="json"
    )

    assert response.status_code == 403
    assert ErpnextProjectLink.objects.filter(pk=linked.pk).exists()
    assert erp.requests == []


def test_global_viewer_is_refused_even_as_project_admin(
    erp, connect, linked, member, api_client_for
):
    boss = connect(member("bert", project_role=ProjectRole.ADMIN, role="viewer"), erp)

    response = api_client_for(boss).post(f"/api/projects/{linked.project.slug}/erpnext/pull")

    assert response.status_code == 403
    assert "editor or admin" in response.json()["detail"]


def test_stranger_and_unknown_project_both_get_404(linked, api_client_for):
    stranger = make_user("sam", role="editor")

    existing = api_client_for(stranger).get(f"/api/projects/{linked.project.slug}/erpnext")
    assert (existing.status_code, existing.json()) == (404, {"detail": "Project not found"})
    missing = api_client_for(stranger).get("/api/projects/nope/erpnext")
    assert (missing.status_code, missing.json()) == (404, {"detail": "Project not found"})


def test_unlink_removes_only_the_local_link(erp, linked, api_client_for):
    erp.clear_requests()

    response = api_client_for(linked.linked_by).delete(
        f"/api/projects/{linked.project.slug}/erpnext"
    )

    assert response.status_code == 204
    assert not ErpnextProjectLink.objects.exists()
    assert erp.get_doc("Project", "PROJ-0001") is not None
    assert erp.requests == []
    latest = ProjectStatusChange.objects.first()
    assert (latest.field, latest.old_value, latest.new_value) == ("link", "PROJ-0001", "")
    assert Project.objects.filter(pk=linked.project_id).exists()


def test_unlink_of_unlinked_project_is_404(erp, editor, project, api_client_for):
    response = api_client_for(editor).delete(f"/api/projects/{project.slug}/erpnext")

    assert response.status_code == 404
    assert response.json() == {"detail": "Project is not linked to ERPNext"}


def test_unlink_then_link_again(erp, linked, api_client_for):
    client = api_client_for(linked.linked_by)
    client.delete(f"/api/projects/{linked.project.slug}/erpnext")

    response = client.post(
        f"/api/projects/{linked.project.slug}/erpnext",
        {"erpnext_project": "PROJ-0001"},
        format="json",
    )

    assert response.status_code == 201


def test_history_pages_newest_first(erp, linked, api_client_for):
    for i in range(3):
        erp.set_doc("Project", "PROJ-0001", percent_complete=10 * (i + 1))
        api_client_for(linked.linked_by).post(f"/api/projects/{linked.project.slug}/erpnext/pull")

    body = (
        api_client_for(linked.linked_by)
        .get(f"/api/projects/{linked.project.slug}/erpnext/history", {"page_size": 2})
        .json()
    )

    assert body["count"] == 4
    assert [r["new_value"] for r in body["results"]] == ["30", "20"]
    assert body["results"][0]["source"] == "pull"
    assert body["results"][0]["actor"] == linked.linked_by.username


@pytest.mark.parametrize(
    "params",
    [
        {"page": "99999999999999999999"},  # past any database's OFFSET
        {"page": "1" * 5000},  # past int()'s 4,300-digit limit
        {"page": "\u00b2"},  # str.isdigit() says yes, int() says no
        {"page_size": "\u00b2"},
    ],
)
def test_history_with_unusable_page_is_400(linked, editor, api_client_for, params):
    response = api_client_for(editor).get(
        f"/api/projects/{linked.project.slug}/erpnext/history", params
    )

    assert response.status_code == 400
    assert "whole numbers" in response.json()["detail"]
