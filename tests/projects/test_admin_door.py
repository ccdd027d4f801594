"""The admin door goes through the services and the user's scope (issues 9 and 16.5)."""

import pytest
from django.contrib.auth.models import Permission
from django.test import Client, override_settings

from projects import services
from projects.models import Project, ProjectMember, ProjectRole
from tests.factories import PASSWORD, make_user


def _staff(username: str, *, role: str = "editor", codenames: tuple[str, ...] = ()) -> Client:
    user = make_user(username, role=role, is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename__in=codenames))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def _superuser() -> Client:
    root = make_user("root", role="admin", is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(root)
    return client


MEMBER_PERMS = (
    "view_projectmember",
    "add_projectmember",
    "change_projectmember",
    "delete_projectmember",
    "view_project",
    "change_project",
)


@pytest.fixture
def alpha_and_bravo(db):
    owner = make_user("owner", role="editor")
    alpha = services.project_create(user=owner, name="Alpha")
    bravo = services.project_create(user=owner, name="Bravo")
    return alpha, bravo


def test_staff_cannot_make_themselves_member_of_a_project_they_cannot_see(alpha_and_bravo):
    alpha, bravo = alpha_and_bravo
    client = _staff("sam", codenames=MEMBER_PERMS)
    services.project_member_set(project=alpha, user_id=client.user.pk, role=ProjectRole.ADMIN)

    response = client.post(
        "/admin/projects/projectmember/add/",
        {"project": str(bravo.pk), "user": str(client.user.pk), "role": "admin"},
    )

    assert response.status_code == 200  # the form again, with an error
    assert "Select a valid choice" in response.content.decode()
    assert not ProjectMember.objects.filter(project=bravo, user=client.user).exists()


def test_project_viewer_cannot_add_members_in_the_admin(alpha_and_bravo):
    alpha, _ = alpha_and_bravo
    client = _staff("sam", codenames=MEMBER_PERMS)
    services.project_member_set(project=alpha, user_id=client.user.pk, role=ProjectRole.VIEWER)
    friend = make_user("vic")

    response = client.post(
        "/admin/projects/projectmember/add/",
        {"project": str(alpha.pk), "user": str(friend.pk), "role": "admin"},
    )

    assert response.status_code == 200
    assert not ProjectMember.objects.filter(project=alpha, user=friend).exists()


def test_task_results_and_webhook_deliveries_are_for_global_admins_only(alpha_and_bravo):
    client = _staff("sam", codenames=("view_dbtaskresult", "view_webhookdelivery", "view_project"))

    assert client.get("/admin/django_tasks_database/dbtaskresult/").status_code == 403
    assert client.get("/admin/erp/webhookdelivery/").status_code == 403
    root = _superuser()
    assert root.get("/admin/django_tasks_database/dbtaskresult/").status_code == 200
    assert root.get("/admin/erp/webhookdelivery/").status_code == 200


def test_member_inline_keeps_the_last_admin(alpha_and_bravo):
    alpha, _ = alpha_and_bravo
    root = _superuser()
    member = ProjectMember.objects.get(project=alpha)
    form = {
        "name": alpha.name,
        "code": "",
        "description": "",
        "status": "open",
        "owner": str(alpha.owner_id),
        "members-TOTAL_FORMS": "1",
        "members-INITIAL_FORMS": "1",
        "members-MIN_NUM_FORMS": "0",
        "members-MAX_NUM_FORMS": "1000",
        "members-0-id": str(member.pk),
        "members-0-project": str(alpha.pk),
        "members-0-user": str(member.user_id),
        "members-0-role": "viewer",
    }

    demoted = root.post(f"/admin/projects/project/{alpha.pk}/change/", form)
    removed = root.post(
        f"/admin/projects/project/{alpha.pk}/change/",
        {**form, "members-0-role": "admin", "members-0-DELETE": "on"},
    )

    assert demoted.status_code == 200 and removed.status_code == 200
    assert "last admin" in demoted.content.decode()
    assert ProjectMember.objects.get(pk=member.pk).role == "admin"


def test_member_admin_keeps_the_last_admin(alpha_and_bravo):
    alpha, _ = alpha_and_bravo
    root = _superuser()
    member = ProjectMember.objects.get(project=alpha)

    response = root.post(
        f"/admin/projects/projectmember/{member.pk}/change/",
        {"project": str(alpha.pk), "user": str(member.user_id), "role": "viewer"},
    )
    deleted = root.post(f"/admin/projects/projectmember/{member.pk}/delete/", {"post": "yes"})

    assert response.status_code == 200
    assert "last admin" in response.content.decode()
    assert deleted.status_code in (200, 403)
    assert ProjectMember.objects.get(pk=member.pk).role == "admin"


@override_settings(DEBUG=False)
def test_admin_login_page_works_anonymous_and_logs_in(db):
    make_user("root", role="admin", is_staff=True, is_superuser=True)
    client = Client()

    page = client.get("/admin/login/?next=/admin/")
    index = client.get("/admin/")
    login = client.post(
        "/admin/login/?next=/admin/", {"username": "root", "password": PASSWORD, "next": "/admin/"}
    )
    after = client.get("/admin/")

    assert page.status_code == 200
    assert index.status_code == 302
    assert login.status_code == 302, login.content[:500]
    assert after.status_code == 200
    assert "Site administration" in after.content.decode()
    assert Project.objects.count() == 0
