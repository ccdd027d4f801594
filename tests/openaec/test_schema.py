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


@pytest.fixture
def schema(client):
    return client.get("/api/schema", HTTP_ACCEPT="application/json").json()


def responses(schema, method: str, path: str) -> set[str]:
    return set(schema["paths"][path][method]["responses"])


def test_schema_documents_401_wherever_credentials_are_needed(schema):
    needing = [
        (method, path)
        for path, item in schema["paths"].items()
        for method, operation in item.items()
        if operation.get("security") and {} not in operation["security"]
    ]
    assert ("get", "/api/auth/me") in needing
    assert [(m, p) for m, p in needing if "401" not in responses(schema, m, p)] == []
    assert "401" not in responses(schema, "post", "/api/auth/register")


@pytest.mark.parametrize(
    ("method", "path", "codes"),
    [
        ("post", "/api/auth/login", {"400", "401", "429"}),
        ("post", "/api/auth/token", {"400", "401", "429"}),
        ("post", "/api/auth/token/refresh", {"400", "401", "429"}),
        ("post", "/api/auth/tokens", {"400", "401", "429"}),
        ("post", "/api/auth/register", {"400", "429"}),
        ("post", "/api/auth/settings/erpnext/test", {"429"}),
        ("post", "/api/auth/settings/nextcloud/test", {"429"}),
        ("delete", "/api/auth/tokens/{token_id}", {"404"}),
    ],
)
def test_schema_documents_the_errors_the_server_gives(schema, method, path, codes):
    assert codes <= responses(schema, method, path)


@pytest.mark.parametrize("method", ["get", "post", "delete"])
@pytest.mark.parametrize("path", ["/api/nothing-here", "/api/auth/tokens/not-a-uuid", "/api/x/y/"])
def test_unmatched_api_paths_answer_json_404(client, method, path):
    response = getattr(client, method)(path)
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}
