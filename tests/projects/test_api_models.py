"""Uploading IFC model versions and reading them: /api/projects/{slug}/models."""

import hashlib
import io
import zipfile
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs.models import Job
from projects import services
from projects.models import ModelVersion

IFC_HEADER = (
    b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\n"
    b"FILE_NAME('a.ifc','2024-01-01T00:00:00',(''),(''),'','','');\n"
    b"FILE_SCHEMA(('%s'));\nENDSEC;\nDATA;\n"
)


def test_upload_creates_version_1_with_hash_size_schema_and_uploader(
    project, editor, synthetic_ifc, upload_file
):
    path = synthetic_ifc(elements=8)
    content = path.read_bytes()

    response = upload_file(project, editor, path)

    assert response.status_code == 201
    body = response.json()
    assert body["version"] == 1
    assert body["original_filename"] == "model.ifc"
    assert body["sha256"] == hashlib.sha256(content).hexdigest()
    assert body["size"] == len(content)
    assert body["schema"] == "IFC4"
    assert body["uploaded_by"] == str(editor.id)
    assert body["job_id"]
    assert body["job_url"] == f"/api/jobs/{body['job_id']}"


def test_stored_file_is_the_uploaded_bytes_under_media_root(
    project, editor, synthetic_ifc, upload_file, settings
):
    path = synthetic_ifc(elements=4)

    upload_file(project, editor, path)

    version = ModelVersion.objects.get()
    stored = settings.MEDIA_ROOT / version.file.name
    assert stored.read_bytes() == path.read_bytes()
    assert "model.ifc" not in version.file.name  # our own name, not the user's


def test_uploads_are_numbered_per_project(project, editor, synthetic_ifc, upload_file):
    path = synthetic_ifc(elements=4)
    other = services.project_create(user=editor, name="Other")

    numbers = [
        upload_file(project, editor, path, allow_duplicate="true").json()["version"]
        for _ in range(3)
    ]
    other_number = upload_file(other, editor, path).json()["version"]  # another project's

    assert numbers == [1, 2, 3]
    assert other_number == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_uploads_get_distinct_numbers(editor, synthetic_ifc, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    project = services.project_create(user=editor, name="Busy")
    content = synthetic_ifc(elements=2).read_bytes()

    def upload(_):
        from django.db import connection

        try:
            upload = SimpleUploadedFile("m.ifc", content)
            return services.model_version_create(
                project=project, user=editor, upload=upload, allow_duplicate=True
            ).number
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = sorted(pool.map(upload, range(8)))

    assert numbers == list(range(1, 9))


@pytest.mark.parametrize(
    ("schema", "expected"),
    [("IFC2X3", "IFC2X3"), ("IFC4", "IFC4"), ("IFC4X3", "IFC4X3")],
)
def test_schema_is_read_from_the_header(
    project, editor, synthetic_ifc, upload_file, schema, expected
):
    path = synthetic_ifc(elements=4, schema=schema)

    response = upload_file(project, editor, path)

    assert response.json()["schema"] == expected


def test_project_viewer_cannot_upload(project, project_viewer, synthetic_ifc, upload_file):
    response = upload_file(project, project_viewer, synthetic_ifc(elements=2))

    assert response.status_code == 403
    assert not ModelVersion.objects.exists()


def test_project_editor_can_upload(project, project_editor, synthetic_ifc, upload_file):
    response = upload_file(project, project_editor, synthetic_ifc(elements=2))

    assert response.status_code == 201


def test_non_member_upload_is_404(project, outsider, synthetic_ifc, upload_file):
    assert upload_file(project, outsider, synthetic_ifc(elements=2)).status_code == 404


def test_upload_to_unknown_project_is_404(api_client_for, editor):
    response = api_client_for(editor).post(
        "/api/projects/nope/models",
        {"file": SimpleUploadedFile("a.ifc", IFC_HEADER % b"IFC4")},
        format="multipart",
    )

    assert response.status_code == 404


def test_upload_without_file_is_400(api_client_for, project, editor):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/models", {"other": "x"}, format="multipart"
    )

    assert response.status_code == 400
    assert "multipart field 'file'" in response.json()["detail"]


def test_upload_as_json_is_415(api_client_for, project, editor):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/models", {"file": "x"}, format="json"
    )

    assert response.status_code == 415


def test_empty_file_is_400(project, editor, upload_file):
    response = upload_file(project, editor, b"", name="empty.ifc")

    assert response.status_code == 400
    assert response.json()["detail"] == "The uploaded file is empty."


@pytest.mark.parametrize(
    "content",
    [b"%PDF-1.7 not a model", b"\x00\x01\x02binary", "Gebäude;".encode()],
)
def test_file_that_is_not_ifc_is_400_and_not_kept(project, editor, upload_file, settings, content):
    response = upload_file(project, editor, content, name="drawing.ifc")

    assert response.status_code == 400
    assert "not an IFC file" in response.json()["detail"]
    assert not ModelVersion.objects.exists()
    stored = settings.MEDIA_ROOT / "ifc"
    assert not stored.exists() or not any(stored.rglob("*.ifc"))


def test_unsupported_schema_is_400_naming_it(project, editor, upload_file):
    response = upload_file(project, editor, IFC_HEADER % b"IFC2X2_FINAL", name="old.ifc")

    assert response.status_code == 400
    assert "IFC2X2_FINAL" in response.json()["detail"]


def test_file_over_the_upload_limit_is_413(project, editor, upload_file, settings):
    settings.IFC_UPLOAD_MAX_BYTES = 1000
    content = IFC_HEADER % b"IFC4" + b"/* padding */" * 200

    response = upload_file(project, editor, content)

    assert response.status_code == 413
    assert "upload limit" in response.json()["detail"]
    assert not ModelVersion.objects.exists()


def test_over_limit_is_stopped_while_streaming(rf, settings, editor):
    # The handler itself stops a body whose Content-Length understates it (or is absent).
    from projects.uploads import IfcUploadHandler

    settings.IFC_UPLOAD_MAX_BYTES = 10
    from projects.uploads import UploadReceipt

    receipt = UploadReceipt()
    handler = IfcUploadHandler(rf.post("/"), receipt=receipt)
    handler.new_file("file", "a.ifc", "application/octet-stream", None)
    handler.receive_data_chunk(b"x" * 10, 0)

    from django.core.files.uploadhandler import StopUpload

    with pytest.raises(StopUpload):
        handler.receive_data_chunk(b"x", 10)
    assert receipt.too_large is True


def test_list_versions_newest_first(project, editor, synthetic_ifc, upload_file, api_client_for):
    upload_file(project, editor, synthetic_ifc(elements=2))
    upload_file(project, editor, synthetic_ifc(elements=3))

    response = api_client_for(editor).get(f"/api/projects/{project.slug}/models")

    assert response.status_code == 200
    assert [v["version"] for v in response.json()] == [2, 1]
    assert all(v["state"] == "ready" for v in response.json())


def test_list_versions_as_non_member_is_404(api_client_for, project, outsider):
    assert api_client_for(outsider).get(f"/api/projects/{project.slug}/models").status_code == 404


def test_get_one_version(project, editor, synthetic_ifc, upload_file, api_client_for):
    upload_file(project, editor, synthetic_ifc(elements=4))

    response = api_client_for(editor).get(f"/api/projects/{project.slug}/models/1")

    assert response.status_code == 200
    assert response.json()["version"] == 1
    assert response.json()["state"] == "ready"
    assert response.json()["element_count"] == 4


@pytest.mark.parametrize("version", ["abc", "0", "-1", "1.5", "99999999999"])
def test_non_integer_version_is_400(api_client_for, project, editor, version):
    response = api_client_for(editor).get(f"/api/projects/{project.slug}/models/{version}")

    assert response.status_code == 400
    assert "positive whole number" in response.json()["detail"]


def test_missing_version_is_404(api_client_for, project, editor):
    response = api_client_for(editor).get(f"/api/projects/{project.slug}/models/7")

    assert response.status_code == 404
    assert response.json() == {"detail": "Model version 7 not found"}


def test_version_of_other_project_is_404(api_client_for, project, outsider):
    assert api_client_for(outsider).get(f"/api/projects/{project.slug}/models/1").status_code == 404


def test_ifczip_upload_is_accepted_and_taken_off(project, editor, synthetic_ifc, upload_file):
    path = synthetic_ifc(elements=4)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "model.ifc")

    response = upload_file(project, editor, buffer.getvalue(), name="model.ifczip")

    assert response.status_code == 201
    version = ModelVersion.objects.get()
    assert version.file.name.endswith(".ifczip")
    assert version.state == "ready"
    assert version.schema == "IFC4"


def test_upload_queues_exactly_one_job(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=2))

    job = Job.objects.get()
    assert job.kind == "takeoff"
    assert job.model_version.number == 1
    assert job.created_by == editor
    assert job.task_result_id


def test_declared_body_over_the_limit_is_413_before_reading_it(api_client_for, project, editor):
    # FakePayload raises if more than the given bytes are read: a 413 here means none were.
    response = api_client_for(editor).generic(
        "POST",
        f"/api/projects/{project.slug}/models",
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),
    )

    assert response.status_code == 413
    assert "1.0 GiB" in response.json()["detail"]
