"""The admin for projects, members, model versions and jobs."""

import pytest
from django.test import Client

from jobs.models import Job
from projects.models import ModelVersion, Project, ProjectMember
from tests.factories import PASSWORD, make_user


@pytest.fixture
def admin_client_for():
    def login(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return login


@pytest.fixture
def superuser(db):
    user = make_user("root", role="admin", is_staff=True, is_superuser=True)
    return user


@pytest.mark.parametrize(
    "url",
    [
        "/admin/projects/project/",
        "/admin/projects/projectmember/",
        "/admin/projects/modelversion/",
        "/admin/jobs/job/",
        "/admin/projects/project/add/",
    ],
)
def test_admin_lists_load(admin_client_for, superuser, project, synthetic_ifc, ready_version, url):
    ready_version(synthetic_ifc(elements=2))

    response = admin_client_for(superuser).get(url)

    assert response.status_code == 200


def test_admin_change_pages_load(
    admin_client_for, superuser, project, synthetic_ifc, ready_version
):
    version = ready_version(synthetic_ifc(elements=2))
    client = admin_client_for(superuser)

    assert client.get(f"/admin/projects/project/{project.pk}/change/").status_code == 200
    page = client.get(f"/admin/projects/modelversion/{version.pk}/change/")
    assert page.status_code == 200
    assert version.sha256 in page.content.decode()
    assert 'name="sha256"' not in page.content.decode()  # read-only
    job = Job.objects.get()
    assert client.get(f"/admin/jobs/job/{job.pk}/change/").status_code == 200


def test_admin_add_project_goes_through_the_service(admin_client_for, superuser):
    response = admin_client_for(superuser).post(
        "/admin/projects/project/add/",
        {"name": "From admin", "code": "", "description": "", "status": "open"},
    )

    assert response.status_code == 302
    project = Project.objects.get()
    assert project.slug == "from-admin"
    assert project.owner == superuser
    assert ProjectMember.objects.get(project=project).role == "admin"


def test_staff_without_global_admin_sees_only_their_projects(admin_client_for, project, outsider):
    from django.contrib.auth.models import Permission

    outsider.is_staff = True
    outsider.save()
    outsider.user_permissions.add(*Permission.objects.filter(codename__endswith="_project"))
    other = Project.objects.create(name="Hidden", slug="hidden", owner=outsider)

    page = admin_client_for(outsider).get("/admin/projects/project/")

    html = page.content.decode()
    assert page.status_code == 200
    assert "Harbour Office" not in html
    assert other.name not in html  # owner alone is not membership


def test_admin_rerun_action_queues_a_new_job(
    admin_client_for,
    superuser,
    project,
    synthetic_ifc,
    ready_version,
    django_capture_on_commit_callbacks,
):
    version = ready_version(synthetic_ifc(elements=2))

    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client_for(superuser).post(
            "/admin/projects/modelversion/",
            {"action": "rerun_takeoff", "_selected_action": [version.pk]},
        )

    assert response.status_code == 302
    assert Job.objects.filter(model_version=version).count() == 2
    assert ModelVersion.objects.get().state == "ready"
