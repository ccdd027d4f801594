import re

import pytest

pytestmark = pytest.mark.django_db


def test_schema_is_public_and_describes_the_settings_api(client):
    response = client.get("/api/schema", HTTP_ACCEPT="application/json")
    assert response.status_code == 200
    schema = response.json()
    assert schema["openapi"].startswith("3.")
    settings_path = schema["paths"]["/api/auth/settings"]
    assert {"get", "put"} <= set(settings_path)
    ref = settings_path["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    component = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
    assert "erpnext_api_secret_set" in component["properties"]
    assert "erpnext_api_secret" not in component["properties"]
    assert "/api/auth/settings/erpnext/test" in schema["paths"]


def test_docs_page_loads_only_assets_from_this_server(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "swagger" in html.lower()
    external = re.findall(r"""(?:src|href)=["'](https?:)?//""", html)
    assert external == []
