"""Fixtures for projects: a project with members by role, IFC files, uploads that run the job."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from projects.models import ProjectRole
from tests.factories import PASSWORD, make_user

REPO_ROOT = Path(__file__).resolve().parents[2]
SHARED_IFC = REPO_ROOT.parent / "shared" / "ifc"
FZK_HAUS = SHARED_IFC / "AC20-FZK-Haus.ifc"

needs_shared_ifc = pytest.mark.skipif(
    not FZK_HAUS.is_file(), reason=f"shared IFC files not found at {SHARED_IFC}"
)


@pytest.fixture
def project_editor(member):
    return member("pete", ProjectRole.EDITOR, role="viewer")


@pytest.fixture
def browser():
    """A test client signed in as the given user, for the HTML pages."""

    def login(user) -> Client:
        client = Client()
        assert client.login(username=user.username, password=PASSWORD)
        return client

    return login


@pytest.fixture
def outsider(db):
    return make_user("olga", role="editor")


@pytest.fixture
def synthetic_ifc(tmp_path):
    """Write a synthetic model (integrations.ifc.synthetic) and return its path."""
    from integrations.ifc.synthetic import write_synthetic_model

    def build(elements: int = 20, name: str = "model.ifc", **options) -> Path:
        path = tmp_path / name
        write_synthetic_model(path, elements=elements, **options)
        return path

    return build


@pytest.fixture
def upload_file(django_capture_on_commit_callbacks, api_client_for):
    """POST a file to /api/projects/{slug}/models as `user`, running the queued job at commit."""

    def upload(project, user, path_or_bytes, name: str | None = None, **fields):
        if isinstance(path_or_bytes, Path):
            content, name = path_or_bytes.read_bytes(), name or path_or_bytes.name
        else:
            content, name = path_or_bytes, name or "model.ifc"
        client = api_client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/projects/{project.slug}/models",
                {"file": SimpleUploadedFile(name, content), **fields},
                format="multipart",
            )
        return response

    return upload


@pytest.fixture
def ready_version(project, editor, synthetic_ifc, upload_file):
    """Upload a model and return its (ready) ModelVersion (identical files too: tests compare
    a model with itself)."""
    from projects.models import ModelVersion

    def build(path: Path | None = None, **options):
        response = upload_file(
            project, editor, path or synthetic_ifc(**options), allow_duplicate="true"
        )
        assert response.status_code == 201, response.content
        version = ModelVersion.objects.get(project=project, number=response.json()["version"])
        assert version.state == "ready", version.failure_reason
        return version

    return build
