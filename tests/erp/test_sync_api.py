"""Pull from ERPNext, push to it, and the conflict rule: ERPNext's `modified` decides."""

import json

from erp import services
from erp.models import ErpnextProjectLink, ProjectStatusChange
from projects.models import Project


def pull(api_client_for, link):
    return api_client_for(link.linked_by).post(f"/api/projects/{link.project.slug}/erpnext/pull")


def push(api_client_for, link):
    return api_client_for(link.linked_by).post(f"/api/projects/{link.project.slug}/erpnext/push")


def set_bim_status(link, status):
    Project.objects.filter(pk=link.project_id).update(status=status)


def test_pull_takes_newer_erpnext_state(erp, linked, api_client_for):
    doc = erp.set_doc(
        "Project",
        "PROJ-0001",
        status="Completed",
        percent_complete=80,
        expected_end_date="2026-03-31",
    )

    response = pull(api_client_for, linked)

    assert response.status_code == 200, response.content
    body = response.json()
    assert (body["result"], body["applied"]) == ("updated", True)
    assert body["link"]["bim_status"] == "completed"
    assert body["link"]["erpnext_modified"] == doc["modified"]
    assert body["link"]["percent_complete"] == 80.0
    changes = {c["field"]: (c["old_value"], c["new_value"], c["source"]) for c in body["changes"]}
    assert changes == {
        "status": ("open", "completed", "pull"),
        "percent_complete": ("0", "80", "pull"),
        "expected_end_date": ("", "2026-03-31", "pull"),
    }
    assert Project.objects.get(pk=linked.project_id).status == "completed"


def test_pull_of_unchanged_project_changes_nothing(erp, linked, api_client_for):
    before = ProjectStatusChange.objects.count()

    body = pull(api_client_for, linked).json()

    assert (body["result"], body["applied"], body["changes"]) == ("unchanged", False, [])
    assert ProjectStatusChange.objects.count() == before


def test_pull_ignores_an_erpnext_state_older_than_the_one_held(erp, linked, api_client_for):
    # We hold a later `modified` than ERPNext now shows (a restored backup, say).
    ErpnextProjectLink.objects.filter(pk=linked.pk).update(
        erpnext_modified="2999-01-01 00:00:00.000000"
    )
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")

    body = pull(api_client_for, linked).json()

    assert body["result"] == "stale"
    assert Project.objects.get(pk=linked.project_id).status == "open"
    (ignored,) = body["changes"]
    assert ignored["applied"] is False
    assert "not newer than 2999-01-01" in ignored["note"]


def test_an_unknown_erpnext_status_is_kept_without_touching_the_bim_status(
    erp, linked, api_client_for
):
    erp.register_doctype(
        "Project",
        naming="series:PROJ-.####",
        mandatory=("project_name",),
        selects={"status": ("Open", "Completed", "Cancelled", "On Hold")},
    )
    erp.set_doc("Project", "PROJ-0001", status="On Hold")

    body = pull(api_client_for, linked).json()

    assert body["link"]["status"] == "On Hold"
    assert body["link"]["bim_status"] == "open"
    assert body["link"]["in_step"] is True
    (change,) = body["changes"]
    assert change["field"] == "erpnext_status"
    assert "no BIM status matches 'On Hold'" in change["note"]


def test_push_sets_erpnext_status_and_keeps_the_new_modified(erp, linked, api_client_for):
    set_bim_status(linked, "completed")
    erp.clear_requests()

    response = push(api_client_for, linked)

    assert response.status_code == 200, response.content
    body = response.json()
    doc = erp.get_doc("Project", "PROJ-0001")
    assert doc["status"] == "Completed"
    assert body["result"] == "pushed"
    assert body["link"]["erpnext_modified"] == doc["modified"]
    assert body["link"]["in_step"] is True
    (change,) = body["changes"]
    assert (change["field"], change["old_value"], change["new_value"], change["source"]) == (
        "erpnext_status",
        "Open",
        "Completed",
        "push",
    )
    get, put = erp.requests
    assert (get.method, put.method) == ("GET", "PUT")
    # The `modified` just read goes back, so ERPNext refuses the save if it changed meanwhile.
    assert put.json() == {"status": "Completed", "modified": linked.erpnext_modified}


def test_push_when_erpnext_already_agrees_writes_nothing(erp, linked, api_client_for):
    erp.clear_requests()

    body = push(api_client_for, linked).json()

    assert (body["result"], body["changes"]) == ("unchanged", [])
    assert [r.method for r in erp.requests] == ["GET"]


def test_push_over_an_unseen_erpnext_change_wins_and_says_so(erp, linked, api_client_for):
    erp.set_doc("Project", "PROJ-0001", status="Cancelled")  # not pulled yet
    set_bim_status(linked, "completed")

    body = push(api_client_for, linked).json()

    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Completed"
    (change,) = body["changes"]
    assert change["old_value"] == "Cancelled"
    assert "ERPNext had changed its status to Cancelled" in change["note"]


def test_push_refused_by_erpnext_check_if_latest_is_409(erp, linked, api_client_for):
    set_bim_status(linked, "completed")
    erp.inject(
        "/api/resource/Project/PROJ-0001",
        method="PUT",
        status=417,
        exc_type="TimestampMismatchError",
        message="Document has been modified after you have opened it",
    )

    response = push(api_client_for, linked)

    assert response.status_code == 409
    assert "Document has been modified after you have opened it" in response.json()["detail"]
    assert ErpnextProjectLink.objects.get().erpnext_modified == linked.erpnext_modified


def test_after_a_push_an_older_erpnext_state_is_ignored(erp, linked, api_client_for):
    # ERPNext's `modified` is the clock: the push placed the BIM change after this report.
    older = services.state.remote_state(
        erp.get_doc("Project", "PROJ-0001") | {"status": "Cancelled"}
    )
    set_bim_status(linked, "completed")
    push(api_client_for, linked)

    with_lock = ErpnextProjectLink.objects.select_related("site").get()
    outcome = services.state.apply_remote_locked(
        link=with_lock, state=older, source=ProjectStatusChange.Source.WEBHOOK
    )

    # A late delivery is no news: unchanged, and no history row (issue 8 #4).
    assert (outcome.result, outcome.changes) == ("unchanged", [])
    assert Project.objects.get(pk=linked.project_id).status == "completed"


def test_bim_status_change_through_projects_api_is_pushed(
    erp, linked, api_client_for, django_capture_on_commit_callbacks
):
    erp.clear_requests()
    client = api_client_for(linked.linked_by)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.put(
            f"/api/projects/{linked.project.slug}", {"status": "cancelled"}, format="json"
        )

    assert response.status_code == 200, response.content
    doc = erp.get_doc("Project", "PROJ-0001")
    assert doc["status"] == "Cancelled"
    link = ErpnextProjectLink.objects.get()
    assert (link.status, link.erpnext_modified, link.last_error) == (
        "Cancelled",
        doc["modified"],
        "",
    )
    user_change, push_change = ProjectStatusChange.objects.order_by("id")[1:]
    assert (user_change.field, user_change.new_value, user_change.source) == (
        "status",
        "cancelled",
        "user",
    )
    assert (push_change.field, push_change.new_value, push_change.source) == (
        "erpnext_status",
        "Cancelled",
        "push",
    )
    assert push_change.actor == linked.linked_by
    assert [r.method for r in erp.requests] == ["GET", "PUT"]


def test_bim_status_change_that_cannot_be_pushed_is_recorded_not_raised(
    erp, linked, api_client_for, django_capture_on_commit_callbacks
):
    erp.inject(
        "/api/resource/Project/PROJ-0001", method="PUT", status=417, message="Tasks still open"
    )

    with django_capture_on_commit_callbacks(execute=True):
        response = api_client_for(linked.linked_by).put(
            f"/api/projects/{linked.project.slug}", {"status": "completed"}, format="json"
        )

    assert response.status_code == 200
    assert Project.objects.get(pk=linked.project_id).status == "completed"
    link = ErpnextProjectLink.objects.get()
    assert "Tasks still open" in link.last_error
    failed = ProjectStatusChange.objects.filter(applied=False).get()
    assert (failed.source, failed.new_value) == ("push", "Completed")
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Open"
    body = (
        api_client_for(linked.linked_by).get(f"/api/projects/{linked.project.slug}/erpnext").json()
    )
    assert body["in_step"] is False


def test_status_change_of_an_unlinked_project_goes_to_history_only(
    erp, editor, project, api_client_for, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        api_client_for(editor).put(
            f"/api/projects/{project.slug}", {"status": "completed"}, format="json"
        )

    (change,) = ProjectStatusChange.objects.all()
    assert (change.old_value, change.new_value, change.erpnext_project) == ("open", "completed", "")
    assert erp.requests == []


def test_sync_output_is_json(erp, linked, api_client_for):
    response = pull(api_client_for, linked)

    assert response["Content-Type"] == "application/json"
    json.loads(response.content)
