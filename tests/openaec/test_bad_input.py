"""Malformed requests the whole API shares: a 400 with a `detail`, never a 500, nothing stored."""

import pytest

from projects.models import Project


def test_json_nested_too_deep_is_400_and_creates_nothing(editor, api_client_for):
    body = "[" * 5000 + "]" * 5000

    response = api_client_for(editor).post("/api/projects", body, content_type="application/json")

    assert response.status_code == 400
    assert "nested deeper" in response.json()["detail"]
    assert not Project.objects.exists()


def test_json_string_with_unpaired_surrogate_is_400_and_creates_nothing(editor, api_client_for):
    response = api_client_for(editor).post(
        "/api/projects", '{"name": "Haus \\ud800"}', content_type="application/json"
    )

    assert response.status_code == 400
    assert "surrogate" in response.json()["detail"]
    assert not Project.objects.exists()


def test_json_with_paired_surrogates_is_accepted(editor, api_client_for):
    response = api_client_for(editor).post(
        "/api/projects", '{"name": "Haus \\ud83c\\udfe0"}', content_type="application/json"
    )

    assert response.status_code == 201
    assert response.json()["name"] == "Haus \U0001f3e0"


def test_too_many_query_parameters_is_400(editor, api_client_for, settings):
    query = "&".join(f"k{i}=1" for i in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1))

    response = api_client_for(editor).get(f"/api/projects?{query}")

    assert response.status_code == 400
    assert response.json()["detail"].startswith("Too many parameters")


@pytest.mark.parametrize(
    "url",
    [
        "/api/projects/%00",
        "/api/projects/haus%00/models",
        "/api/webhooks/erpnext/%00",
        "/api/projects?q=%00",
    ],
)
def test_nul_byte_in_api_url_is_400(editor, api_client_for, url):
    response = api_client_for(editor).get(url)

    assert response.status_code == 400
    assert response.json() == {"detail": "The URL contains a NUL byte (%00)."}


def test_nul_byte_in_page_url_is_400(client, editor):
    client.force_login(editor)

    response = client.get("/projects/a%00b")

    assert response.status_code == 400
