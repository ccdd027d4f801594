"""Nobody acts on a link through credentials for another ERPNext site, nor through another
user's: each call carries the acting user's own key, and only for the link's site."""

import pytest

from erp.models import ErpnextProjectLink, ProjectStatusChange
from projects.models import ProjectRole
from tests.erpnext_double import FrappeDouble
from tests.factories import ERP_SECRET


@pytest.fixture
def other_site():
    with FrappeDouble(version=14, api_key="other-key", api_secret=ERP_SECRET) as double:
        double.add_doc("Project", {"project_name": "Elsewhere"})
        yield double


@pytest.fixture
def colleague(erp, linked, member, connect, other_site):
    """A project editor (global editor) whose own ERPNext is another site."""
    user = member("cole", project_role=ProjectRole.EDITOR)
    return connect(user, other_site, key="other-key")


@pytest.mark.parametrize("action", ["pull", "push"])
def test_user_of_another_site_is_refused_409(
    erp, other_site, linked, colleague, api_client_for, action
):
    erp.clear_requests()

    response = api_client_for(colleague).post(
        f"/api/projects/{linked.project.slug}/erpnext/{action}"
    )

    assert response.status_code == 409
    body = response.json()
    assert body["detail"].startswith(
        f"This project is linked to the ERPNext site {erp.url}, but your ERPNext settings "
        f"point to {other_site.url}."
    )
    assert (body["erpnext_site"], body["your_erpnext_site"]) == (erp.url, other_site.url)
    # Neither the link's site (with the owner's key) nor the colleague's own site was called.
    assert erp.requests == []
    assert other_site.requests == []


def test_user_without_credentials_does_not_borrow_the_link_owners(
    erp, linked, member, api_client_for
):
    user = member("nora", project_role=ProjectRole.EDITOR)
    erp.clear_requests()

    response = api_client_for(user).post(f"/api/projects/{linked.project.slug}/erpnext/pull")

    assert response.status_code == 400
    assert response.json() == {"detail": "ERPNext credentials not configured"}
    assert erp.requests == []


def test_user_of_the_same_site_acts_with_their_own_key(
    erp, linked, member, connect, api_client_for
):
    erp.add_api_user("cole-key", "cole-secret-value", "cole@example.com")
    user = connect(
        member("cole", project_role=ProjectRole.EDITOR),
        erp,
        key="cole-key",
        secret="cole-secret-value",
    )
    erp.set_doc("Project", "PROJ-0001", status="Completed")
    erp.clear_requests()

    response = api_client_for(user).post(f"/api/projects/{linked.project.slug}/erpnext/pull")

    assert response.status_code == 200
    (request,) = erp.requests
    assert request.headers["Authorization"] == "token cole-key:cole-secret-value"
    change = ProjectStatusChange.objects.get(source="pull", field="status")
    assert change.actor == user


def test_foreign_site_user_links_their_own_site(erp, other_site, colleague, api_client_for):
    from projects import services as project_services

    theirs = project_services.project_create(user=colleague, name="Theirs")

    response = api_client_for(colleague).post(
        f"/api/projects/{theirs.slug}/erpnext", {"erpnext_project": "PROJ-0001"}, format="json"
    )

    assert response.status_code == 201
    assert response.json()["erpnext_site"] == other_site.url
    assert ErpnextProjectLink.objects.count() == 2  # the same name on two sites is two projects


def test_link_owner_change_of_site_stops_their_pulls(
    erp, other_site, linked, connect, api_client_for
):
    owner = connect(linked.linked_by, other_site, key="other-key")

    response = api_client_for(owner).post(f"/api/projects/{linked.project.slug}/erpnext/pull")

    assert response.status_code == 409
