"""Uploads: chunked bodies get 411, an .ifczip that expands too many times is refused (16.7)."""

import io
import zipfile

import pytest

from integrations.ifc import ArchiveTooLargeError
from integrations.ifc.model_file import EXPANSION_FLOOR_BYTES, MAX_EXPANSION_RATIO, read_header
from projects.models import ModelVersion

IFC_HEAD = b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n"


def _ratio_bomb() -> bytes:
    """A small archive whose model expands past the floor and far past the ratio."""
    body = IFC_HEAD + b"/*" + b" " * (EXPANSION_FLOOR_BYTES + 1024) + b"*/\nENDSEC;\n"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.ifc", body + b"END-ISO-10303-21;\n")
    data = buffer.getvalue()
    assert len(body) > MAX_EXPANSION_RATIO * len(data)
    return data


def test_expansion_ratio_is_capped_below_the_size_limit(tmp_path):
    path = tmp_path / "bomb.ifczip"
    path.write_bytes(_ratio_bomb())

    with pytest.raises(ArchiveTooLargeError, match="times the archive's size"):
        read_header(path, max_expanded_bytes=4 * 1024**3)


def test_ratio_bomb_upload_is_a_clear_400(project, editor, upload_file, settings):
    settings.IFC_MAX_EXPANDED_BYTES = 4 * 1024**3  # the size cap alone would let it through

    response = upload_file(project, editor, _ratio_bomb(), name="small.ifczip")

    assert response.status_code == 400
    assert "zip bomb" in response.json()["detail"]
    assert not ModelVersion.objects.exists()


def test_an_ordinary_ifczip_passes_the_ratio(project, editor, synthetic_ifc, upload_file):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(synthetic_ifc(elements=40), "model.ifc")

    assert upload_file(project, editor, buffer.getvalue(), name="m.ifczip").status_code == 201


def _chunked_post(client, url: str):
    boundary = "BoUnDaRy"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.ifc"\r\n'
            f"Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + IFC_HEAD
        + f"\r\n--{boundary}--\r\n".encode()
    )
    # What a WSGI server hands Django for Transfer-Encoding: chunked: no Content-Length.
    return client.generic(
        "POST",
        url,
        body,
        content_type=f"multipart/form-data; boundary={boundary}",
        CONTENT_LENGTH="",
        HTTP_TRANSFER_ENCODING="chunked",
    )


def test_chunked_api_upload_is_411_saying_why(project, editor, api_client_for):
    response = _chunked_post(api_client_for(editor), f"/api/projects/{project.slug}/models")

    assert response.status_code == 411
    assert "Content-Length" in response.json()["detail"]
    assert not ModelVersion.objects.exists()


def test_chunked_page_upload_is_411_saying_why(project, editor):
    from django.test import Client

    client = Client()
    client.force_login(editor)

    response = _chunked_post(client, f"/projects/{project.slug}/upload")

    assert response.status_code == 411
    assert "Content-Length" in response.content.decode()
