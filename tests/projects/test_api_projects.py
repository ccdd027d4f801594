"""The projects API in OpenAEC's shapes: list, create, get, update, delete, members."""

import uuid

import pytest

from projects.models import Project, ProjectMember
from tests.factories import make_user

PROJECT_KEYS = {"id", "name", "slug", "description", "owner_id", "created_at"}


def test_create_project_answers_201_in_openaec_shape(api_client_for, editor):
    response = api_client_for(editor).post(
        "/api/projects", {"name": "Harbour Office", "description": "Quay 3"}, format="json"
    )

    assert response.status_code == 201
    body = response.json()
    assert set(body) >= PROJECT_KEYS
    assert body["name"] == "Harbour Office"
    assert body["slug"] == "harbour-office"
    assert body["description"] == "Quay 3"
    assert body["owner_id"] == str(editor.id)
    assert body["status"] == "open"
    uuid.UUID(body["id"])


def test_creator_becomes_project_admin_member(api_client_for, editor):
    api_client_for(editor).post("/api/projects", {"name": "Depot"}, format="json")

    member = ProjectMember.objects.get(project__slug="depot")
    assert member.user == editor
    assert member.role == "admin"


def test_create_ignores_openaec_only_fields(api_client_for, editor):
    response = api_client_for(editor).post(
        "/api/projects", {"name": "Depot", "engine": "git", "modules": ["bcf"]}, format="json"
    )

    assert response.status_code == 201


def test_same_name_gets_a_numbered_slug(api_client_for, editor):
    client = api_client_for(editor)
    first = client.post("/api/projects", {"name": "Depot"}, format="json").json()
    second = client.post("/api/projects", {"name": "Depot"}, format="json").json()
    third = client.post("/api/projects", {"name": "Depot"}, format="json").json()

    assert [first["slug"], second["slug"], third["slug"]] == ["depot", "depot-1", "depot-2"]


def test_name_without_letters_still_gets_a_slug(api_client_for, editor):
    response = api_client_for(editor).post("/api/projects", {"name": "!!!"}, format="json")

    assert response.status_code == 201
    assert response.json()["slug"] == "project"


@pytest.mark.parametrize(
    "body",
    [{}, {"name": ""}, {"name": "   "}, {"name": "x" * 256}, {"name": "A", "status": "done"}],
)
def test_create_with_bad_body_is_400(api_client_for, editor, body):
    response = api_client_for(editor).post("/api/projects", body, format="json")

    assert response.status_code == 400
    assert response.json()["detail"]


def test_global_viewer_cannot_create_projects(api_client_for, viewer):
    response = api_client_for(viewer).post("/api/projects", {"name": "Depot"}, format="json")

    assert response.status_code == 403
    assert response.json()["detail"].startswith("Access denied")
    assert not Project.objects.exists()


def test_projects_need_authentication(api_client_for):
    response = api_client_for(None).get("/api/projects")

    assert response.status_code == 401


def test_list_shows_only_the_users_projects(api_client_for, project, outsider, project_viewer):
    make_user("other", role="editor")
    other_project = Project.objects.create(name="Other", slug="other", owner=outsider)
    ProjectMember.objects.create(project=other_project, user=outsider, role="admin")

    mine = api_client_for(project_viewer).get("/api/projects").json()
    theirs = api_client_for(outsider).get("/api/projects").json()

    assert [p["slug"] for p in mine] == [project.slug]
    assert [p["slug"] for p in theirs] == ["other"]


def test_global_admin_sees_every_project(api_client_for, project, admin_user):
    response = api_client_for(admin_user).get("/api/projects")

    assert [p["slug"] for p in response.json()] == [project.slug]


def test_paths_answer_with_and_without_trailing_slash(api_client_for, project, editor):
    client = api_client_for(editor)

    assert client.get("/api/projects/").status_code == 200
    assert client.get(f"/api/projects/{project.slug}/").status_code == 200
    assert client.get(f"/api/projects/{project.slug}").status_code == 200


def test_get_project_as_member(api_client_for, project, project_viewer):
    response = api_client_for(project_viewer).get(f"/api/projects/{project.slug}")

    assert response.status_code == 200
    assert response.json()["slug"] == project.slug
    assert response.json()["code"] == "P-001"


def test_unknown_slug_is_404_project_not_found(api_client_for, editor):
    response = api_client_for(editor).get("/api/projects/nothing-here")

    assert response.status_code == 404
    assert response.json() == {"detail": "Project not found"}


def test_non_member_gets_the_same_404_as_for_an_unknown_slug(api_client_for, project, outsider):
    # GitHub's rule: a stranger cannot tell a private project from a missing one.
    client = api_client_for(outsider)
    existing = client.get(f"/api/projects/{project.slug}")
    missing = client.get("/api/projects/no-such-project")

    assert (existing.status_code, existing.json()) == (404, {"detail": "Project not found"})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Project not found"})


def test_member_lacking_the_role_still_gets_403_access_denied(
    api_client_for, project, project_viewer
):
    response = api_client_for(project_viewer).delete(f"/api/projects/{project.slug}")

    assert response.status_code == 403
    assert response.json() == {"detail": "Access denied"}


def test_global_admin_reads_any_project(api_client_for, project, admin_user):
    response = api_client_for(admin_user).get(f"/api/projects/{project.slug}")

    assert response.status_code == 200


def test_put_changes_given_fields_and_keeps_slug(api_client_for, project, editor):
    response = api_client_for(editor).put(
        f"/api/projects/{project.slug}",
        {"name": "Harbour Office II", "description": None, "status": "completed"},
        format="json",
    )

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Harbour Office II"
    assert body["slug"] == "harbour-office"
    assert body["status"] == "completed"
    assert body["code"] == "P-001"


def test_put_with_unknown_fields_is_400_naming_them_and_changes_nothing(
    api_client_for, project, editor
):
    response = api_client_for(editor).put(
        f"/api/projects/{project.slug}",
        {"name": "Renamed", "colour": "red", "budget": 10},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "Unknown fields: budget, colour"}
    project.refresh_from_db()
    assert project.name == "Harbour Office"


def test_put_back_what_get_answered_ignores_the_read_only_fields(api_client_for, project, editor):
    client = api_client_for(editor)
    body = client.get(f"/api/projects/{project.slug}").json()

    response = client.put(
        f"/api/projects/{project.slug}",
        {**body, "name": "Harbour Office II", "slug": "elsewhere", "id": "x"},
        format="json",
    )

    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Harbour Office II"
    assert response.json()["slug"] == body["slug"]
    assert response.json()["id"] == body["id"]


def test_put_with_blank_name_is_400(api_client_for, project, editor):
    response = api_client_for(editor).put(
        f"/api/projects/{project.slug}", {"name": ""}, format="json"
    )

    assert response.status_code == 400


@pytest.mark.parametrize("role_fixture", ["project_viewer", "project_editor"])
def test_put_needs_project_admin(api_client_for, project, request, role_fixture):
    user = request.getfixturevalue(role_fixture)

    response = api_client_for(user).put(
        f"/api/projects/{project.slug}", {"name": "X"}, format="json"
    )

    assert response.status_code == 403
    assert response.json() == {"detail": "Access denied"}


def test_put_unknown_project_is_404(api_client_for, editor):
    response = api_client_for(editor).put("/api/projects/nope", {"name": "X"}, format="json")

    assert response.status_code == 404


def test_delete_project_as_admin_is_204(api_client_for, project, editor):
    response = api_client_for(editor).delete(f"/api/projects/{project.slug}")

    assert response.status_code == 204
    assert not Project.objects.filter(pk=project.pk).exists()


def test_delete_as_project_editor_is_403(api_client_for, project, project_editor):
    response = api_client_for(project_editor).delete(f"/api/projects/{project.slug}")

    assert response.status_code == 403
    assert Project.objects.filter(pk=project.pk).exists()


def test_delete_unknown_project_is_404(api_client_for, editor):
    assert api_client_for(editor).delete("/api/projects/nope").status_code == 404


def test_add_member_answers_201_user_id_and_role(api_client_for, project, editor, viewer):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members",
        {"user_id": str(viewer.id), "role": "editor"},
        format="json",
    )

    assert response.status_code == 201
    assert response.json() == {"user_id": str(viewer.id), "role": "editor"}
    assert ProjectMember.objects.get(project=project, user=viewer).role == "editor"


def test_add_member_role_defaults_to_viewer(api_client_for, project, editor, viewer):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members", {"user_id": str(viewer.id)}, format="json"
    )

    assert response.json()["role"] == "viewer"


def test_adding_an_existing_member_changes_the_role_with_200(
    api_client_for, project, editor, project_viewer
):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members",
        {"user_id": str(project_viewer.id), "role": "editor"},
        format="json",
    )

    assert response.status_code == 200
    assert ProjectMember.objects.filter(project=project, user=project_viewer).count() == 1


def test_new_member_then_sees_the_project(api_client_for, project, editor, viewer):
    api_client_for(editor).post(
        f"/api/projects/{project.slug}/members", {"user_id": str(viewer.id)}, format="json"
    )

    assert api_client_for(viewer).get(f"/api/projects/{project.slug}").status_code == 200


@pytest.mark.parametrize(
    "body",
    [{}, {"user_id": "not-a-uuid"}, {"user_id": "USER", "role": "owner"}],
)
def test_add_member_with_bad_body_is_400(api_client_for, project, editor, viewer, body):
    body = {k: (str(viewer.id) if v == "USER" else v) for k, v in body.items()}

    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members", body, format="json"
    )

    assert response.status_code == 400


def test_add_unknown_user_is_404(api_client_for, project, editor):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members", {"user_id": str(uuid.uuid4())}, format="json"
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "User not found"}


def test_add_member_needs_project_admin(api_client_for, project, project_editor, viewer):
    response = api_client_for(project_editor).post(
        f"/api/projects/{project.slug}/members", {"user_id": str(viewer.id)}, format="json"
    )

    assert response.status_code == 403


def test_last_admin_cannot_be_demoted(api_client_for, project, editor):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/members",
        {"user_id": str(editor.id), "role": "viewer"},
        format="json",
    )

    assert response.status_code == 409
    assert ProjectMember.objects.get(project=project, user=editor).role == "admin"


def test_list_members(api_client_for, project, editor, project_viewer):
    response = api_client_for(project_viewer).get(f"/api/projects/{project.slug}/members")

    assert response.status_code == 200
    assert {(m["user_id"], m["role"]) for m in response.json()} == {
        (str(editor.id), "admin"),
        (str(project_viewer.id), "viewer"),
    }


def test_add_member_to_unknown_project_is_404(api_client_for, editor, viewer):
    response = api_client_for(editor).post(
        "/api/projects/nope/members", {"user_id": str(viewer.id)}, format="json"
    )

    assert response.status_code == 404
