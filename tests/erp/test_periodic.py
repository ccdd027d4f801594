"""The periodic pull: `manage.py erpnext_pull_status` and its django-tasks task."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from erp import services
from erp.models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange, WebhookDelivery
from projects import services as project_services
from projects.models import Project


@pytest.fixture
def two_links(erp, linked, editor):
    erp.add_doc("Project", {"project_name": "Second ERP"})
    second = project_services.project_create(user=editor, name="Second")
    other = services.project_link_create(project=second, user=editor, erpnext_project="PROJ-0002")
    return linked, other


def run(*args):
    out, err = StringIO(), StringIO()
    call_command("erpnext_pull_status", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_command_pulls_every_link_as_its_owner(erp, two_links):
    first, second = two_links
    erp.set_doc("Project", "PROJ-0001", status="Completed")
    erp.set_doc("Project", "PROJ-0002", percent_complete=40)
    erp.clear_requests()

    out, _ = run()

    assert (
        "Checked 2 linked projects: 2 updated from ERPNext, 0 pushed to ERPNext, 0 unchanged, 0 failed."
        in out
    )
    assert Project.objects.get(pk=first.project_id).status == "completed"
    assert ErpnextProjectLink.objects.get(pk=second.pk).percent_complete == 40.0
    assert {r.headers["Authorization"] for r in erp.requests} == {
        f"token bridge-key:{erp.api_secret}"
    }
    sources = set(
        ProjectStatusChange.objects.filter(field__in=["status", "percent_complete"]).values_list(
            "source", flat=True
        )
    )
    assert sources == {"periodic"}


def test_command_with_nothing_new_changes_nothing(erp, two_links):
    before = ProjectStatusChange.objects.count()

    out, _ = run()

    assert "0 updated from ERPNext, 0 pushed to ERPNext, 2 unchanged" in out
    assert ProjectStatusChange.objects.count() == before


def test_command_pushes_a_bim_status_erpnext_never_got(erp, linked):
    Project.objects.filter(pk=linked.project_id).update(status="cancelled")  # its push failed

    out, _ = run()

    assert "1 pushed to ERPNext" in out
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Cancelled"
    push = ProjectStatusChange.objects.get(source="push")
    assert "periodic run" in push.note


def test_newer_erpnext_state_wins_over_an_unpushed_bim_change(erp, linked):
    Project.objects.filter(pk=linked.project_id).update(status="cancelled")
    erp.set_doc("Project", "PROJ-0001", status="Completed")

    run()

    assert Project.objects.get(pk=linked.project_id).status == "completed"
    assert erp.get_doc("Project", "PROJ-0001")["status"] == "Completed"


def test_command_goes_on_after_a_failure_and_exits_non_zero(erp, two_links):
    first, second = two_links
    with erp._lock:
        del erp._store["Project"]["PROJ-0001"]
    erp.set_doc("Project", "PROJ-0002", status="Completed")

    with pytest.raises(CommandError, match="1 linked projects could not be synced"):
        run()

    assert Project.objects.get(pk=second.project_id).status == "completed"
    link = ErpnextProjectLink.objects.get(pk=first.pk)
    assert link.last_error.startswith(
        "Periodic pull failed: ERPNext project PROJ-0001 was not found"
    )


def test_command_reports_which_project_failed(erp, linked):
    erp.inject("/api/", times=None, status=401)
    out, err = StringIO(), StringIO()

    with pytest.raises(CommandError):
        call_command("erpnext_pull_status", stdout=out, stderr=err)

    assert f"{linked.project.slug}: ERPNext at {erp.url} rejected your API key" in err.getvalue()
    assert "1 failed" in out.getvalue()


def test_owner_without_credentials_is_a_failure_not_a_borrowed_key(erp, linked, editor):
    type(editor).objects.filter(pk=editor.pk).update(erpnext_api_secret=None)
    erp.clear_requests()

    with pytest.raises(CommandError):
        run()

    assert "ERPNext credentials not configured" in ErpnextProjectLink.objects.get().last_error
    assert erp.requests == []


def test_command_forgets_old_webhook_deliveries(erp, linked):
    site = ErpnextSite.objects.get()
    old = WebhookDelivery.objects.create(site=site, body_sha256="a" * 64)
    WebhookDelivery.objects.filter(pk=old.pk).update(
        received_at=timezone.now() - timedelta(days=31)
    )
    WebhookDelivery.objects.create(site=site, body_sha256="b" * 64)

    run()

    assert list(WebhookDelivery.objects.values_list("body_sha256", flat=True)) == ["b" * 64]


def test_command_can_queue_the_run_for_a_worker(erp, linked):
    erp.set_doc("Project", "PROJ-0001", status="Completed")

    out, _ = run("--enqueue")

    assert out.startswith("Queued the ERPNext pull as task ")
    # The test settings run tasks at once (ImmediateBackend).
    assert Project.objects.get(pk=linked.project_id).status == "completed"


def test_task_is_idempotent(erp, linked):
    from erp.tasks import pull_erpnext_statuses

    erp.set_doc("Project", "PROJ-0001", status="Completed")

    first = pull_erpnext_statuses.enqueue().return_value
    second = pull_erpnext_statuses.enqueue().return_value

    assert (first["updated"], second["updated"], second["unchanged"]) == (1, 0, 1)
