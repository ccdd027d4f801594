"""One rule guards every path to an ERPNext write (projects.permissions): the explicit push,
a status change that a background push would carry, and the periodic run."""

from erp import services as erp_services
from erp.models import ErpnextProjectLink, ProjectStatusChange
from projects.models import Project, ProjectRole
from projects.services import project_member_set


def _puts(erp) -> list:
    return [r for r in erp.requests if r.method == "PUT"]


def test_global_viewer_made_project_admin_cannot_change_a_linked_status(
    erp, linked, member, api_client_for, django_capture_on_commit_callbacks
):
    viewer_admin = member("vera", project_role=ProjectRole.ADMIN, role="viewer")
    client = api_client_for(viewer_admin)
    erp.clear_requests()

    push = client.post(f"/api/projects/{linked.project.slug}/erpnext/push")
    with django_capture_on_commit_callbacks(execute=True):
        change = client.put(
            f"/api/projects/{linked.project.slug}", {"status": "cancelled"}, format="json"
        )

    assert push.status_code == 403
    assert change.status_code == 403, change.content
    assert "linked to ERPNext" in change.json()["detail"]
    assert Project.objects.get(pk=linked.project_id).status == "open"
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Open"
    assert _puts(erp) == []
    assert not ProjectStatusChange.objects.filter(field="status").exists()


def test_global_viewer_made_project_admin_may_change_an_unlinked_status(
    project, member, api_client_for
):
    viewer_admin = member("vera", project_role=ProjectRole.ADMIN, role="viewer")

    response = api_client_for(viewer_admin).put(
        f"/api/projects/{project.slug}", {"status": "completed"}, format="json"
    )

    assert response.status_code == 200


def test_background_push_refuses_the_key_of_a_link_owner_now_a_viewer(erp, linked):
    owner = linked.linked_by
    owner.role = "viewer"
    owner.save()
    Project.objects.filter(pk=linked.project_id).update(status="completed")
    erp.clear_requests()

    result = erp_services.project_status_push_background(project_id=str(linked.project_id))

    assert "may no longer sync" in result["failed"]
    assert erp.requests == []
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Open"
    assert "may no longer sync" in ErpnextProjectLink.objects.get().last_error


def test_periodic_run_refuses_a_link_owner_demoted_on_the_project(erp, linked, member):
    # The owner keeps the global editor role but is only a viewer of the project now (another
    # admin is added first: the last admin cannot be demoted).
    member("ann", project_role=ProjectRole.ADMIN)
    project_member_set(project=linked.project, user_id=linked.linked_by_id, role=ProjectRole.VIEWER)
    Project.objects.filter(pk=linked.project_id).update(status="completed")
    erp.clear_requests()

    report = erp_services.erpnext_links_sync_all()

    assert report.pushed == 0
    assert len(report.failed) == 1
    assert _puts(erp) == [] and erp.requests == []
