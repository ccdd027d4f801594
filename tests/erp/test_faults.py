"""Every ERPNext fault gives a clear {"detail"} and leaves nothing half-written here."""

import socket

import pytest

from erp.models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange
from projects.models import Project


def snapshot():
    return (
        list(ErpnextProjectLink.objects.values()),
        list(ErpnextSite.objects.values()),
        list(ProjectStatusChange.objects.values()),
        list(Project.objects.values("pk", "status")),
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# Each action is (method, path suffix, body); they all call ERPNext with the user's key.
ACTIONS = {
    "pull": ("post", "/pull", None),
    "push": ("post", "/push", None),
    "link": ("post", "", {"erpnext_project": "PROJ-0002"}),
    "create": ("post", "/create", {"company": "OpenAEC Demo"}),
    "search": ("get", None, None),
}


@pytest.fixture
def act(erp, linked, api_client_for, editor):
    """Run an action: link and create on a second, unlinked project."""
    from projects import services as project_services

    erp.add_doc("Project", {"project_name": "Second"})
    Project.objects.filter(pk=linked.project_id).update(status="completed")  # so push writes
    fresh = project_services.project_create(user=editor, name="Fresh")
    client = api_client_for(editor)

    def run(name):
        method, suffix, body = ACTIONS[name]
        if suffix is None:
            return client.get("/api/erpnext/projects")
        slug = fresh.slug if name in ("link", "create") else linked.project.slug
        return getattr(client, method)(f"/api/projects/{slug}/erpnext{suffix}", body, format="json")

    return run


@pytest.mark.parametrize("action", list(ACTIONS))
@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ({"status": 401}, 502, "rejected your API key or secret (HTTP 401)"),
        ({"status": 403}, 502, "does not allow your ERPNext user"),
        ({"status": 500}, 502, "failed (HTTP 500)"),
        ({"status": 503}, 502, "failed (HTTP 503)"),
        ({"html": True}, 502, "not Frappe's JSON"),
        ({"garbage": True}, 502, "not Frappe's JSON"),
        ({"retry_after": 120}, 502, "limiting requests (HTTP 429). Try again in 120 s"),
    ],
    ids=["401", "403", "500", "503-proxy", "html", "garbage", "429"],
)
def test_erpnext_faults_become_clear_errors(erp, act, action, fault, status, words):
    before = snapshot()
    erp.inject("/api/", times=None, **fault)

    response = act(action)

    assert response.status_code == status, response.content
    assert words in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_erpnext_down_is_502(erp, act, action, connect, editor):
    port = free_port()
    connect(editor, url=f"http://127.0.0.1:{port}")
    ErpnextSite.objects.update(url=editor.erpnext_url)  # same site, now unreachable
    before = snapshot()

    response = act(action)

    assert response.status_code == 502
    # The port is part of the address tried (issue 8 #9).
    assert response.json()["detail"].startswith(
        f"Could not reach ERPNext: Cannot connect to 127.0.0.1:{port}"
    )
    assert snapshot() == before


@pytest.mark.parametrize("action", ["pull", "push", "link", "search"])
def test_slow_erpnext_times_out_with_erpnext_timeout(erp, act, action, settings):
    settings.ERPNEXT_TIMEOUT = 0.2
    erp.inject("/api/", times=None, delay=1.0)
    before = snapshot()

    response = act(action)

    assert response.status_code == 502
    assert "Timed out after 0.2 s waiting for 127.0.0.1" in response.json()["detail"]
    assert snapshot() == before


@pytest.mark.parametrize("action", ["pull", "push"])
def test_deleted_erpnext_project_is_404_naming_it(erp, act, action):
    with erp._lock:  # deleted in ERPNext after we linked it
        del erp._store["Project"]["PROJ-0001"]
    before = snapshot()

    response = act(action)

    assert response.status_code == 404
    assert response.json()["detail"] == (
        f"ERPNext project PROJ-0001 was not found on {erp.url} (it may have been deleted)."
    )
    assert snapshot() == before


@pytest.mark.parametrize("action", ["push", "create"])
def test_erpnext_validation_error_417_is_400_with_its_message(erp, act, action):
    erp.inject(
        "/api/resource/Project",
        method="PUT" if action == "push" else "POST",
        status=417,
        message="Expected End Date cannot be before Expected Start Date",
    )
    before = snapshot()

    response = act(action)

    assert response.status_code == 400
    assert response.json()["detail"].startswith("ERPNext refused ")
    assert response.json()["detail"].endswith(
        ": Expected End Date cannot be before Expected Start Date."
    )
    assert snapshot() == before


@pytest.mark.parametrize("action", list(ACTIONS))
def test_undecryptable_secret_is_400(erp, act, action, editor):
    type(editor).objects.filter(pk=editor.pk).update(erpnext_api_secret="not-a-fernet-token")

    response = act(action)

    assert response.status_code == 400
    assert response.json() == {"detail": "Failed to decrypt API secret"}
