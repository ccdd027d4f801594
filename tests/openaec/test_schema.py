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


def parameter(schema, path: str, name: str, method: str = "get") -> dict:
    (found,) = [p for p in schema["paths"][path][method]["parameters"] if p["name"] == name]
    return found["schema"]


@pytest.mark.parametrize(
    ("path", "name", "minimum", "maximum"),
    [
        ("/api/projects/{slug}/models/{version}/takeoff", "page", 1, 999_999_999),
        ("/api/projects/{slug}/models/{version}/takeoff", "page_size", 1, 1000),
        ("/api/projects/{slug}/models/{version}/takeoff", "layer", 0, 9999),
        ("/api/projects/{slug}/models/{version}/takeoff", "version", 1, 999_999_999),
        ("/api/projects/{slug}/models/{version}/takeoff/diff", "against", 1, 999_999_999),
        ("/api/projects/{slug}/models/{version}/cost-export", "version", 1, 999_999_999),
        ("/api/erpnext/projects", "page", 1, 999_999_999),
        ("/api/erpnext/projects", "page_size", 1, 100),
        ("/api/projects/{slug}/erpnext/history", "page_size", 1, 200),
        ("/api/projects/{slug}/bom/suggestions", "model_version", 1, 999_999_999),
    ],
)
def test_whole_number_parameters_carry_the_bounds_the_server_checks(
    schema, path, name, minimum, maximum
):
    method = "post" if path.endswith("cost-export") else "get"

    assert parameter(schema, path, name, method) == {
        "type": "integer",
        "minimum": minimum,
        "maximum": maximum,
    }


@pytest.mark.parametrize(
    ("query", "status"),
    [("page=0", 400), ("page=1", 404), ("layer=", 400), ("layer=0", 404), ("page_size=1001", 400)],
)
def test_the_server_refuses_exactly_what_the_schema_calls_invalid(
    api_client_for, editor, project, query, status
):
    # Version 1 does not exist: a valid query gets past the parameters to the 404.
    url = f"/api/projects/{project.slug}/models/1/takeoff?{query}"

    assert api_client_for(editor).get(url).status_code == status


def test_rule_numbers_carry_the_services_bounds(schema):
    rule = schema["components"]["schemas"]["BomRuleInputRequest"]["properties"]

    assert (rule["waste_factor"]["minimum"], rule["waste_factor"]["maximum"]) == (0, 1)
    assert rule["rate"]["minimum"] == 0


def test_project_update_body_is_closed_but_takes_back_read_only_fields(schema):
    body = schema["components"]["schemas"]["ProjectUpdateInputRequest"]

    assert body["additionalProperties"] is False
    assert {"id", "slug", "owner_id", "created_at", "updated_at"} <= set(body["properties"])


@pytest.mark.parametrize(
    "value",
    [
        "",
        "ifc_class",
        "ifc_class,material",
        " material , layer ,",
        ",,",
        "wall",
        "ifc_classmaterial",
    ],
)
def test_group_by_pattern_accepts_exactly_what_the_server_parses(schema, value):
    from openaec.exceptions import ApplicationError
    from projects.takeoff_query import parse_group_by

    pattern = parameter(schema, "/api/projects/{slug}/models/{version}/takeoff", "group_by")
    try:
        parse_group_by(value)
        accepted = True
    except ApplicationError:
        accepted = False

    assert bool(re.fullmatch(pattern["pattern"], value)) == accepted


def test_text_query_parameters_refuse_nul_as_the_server_does(schema):
    assert parameter(schema, "/api/projects/{slug}/jobs", "kind")["pattern"] == r"^[^\x00]*$"


@pytest.mark.parametrize(
    "component",
    [
        "BomRuleInputRequest",
        "BomSyncInputRequest",
        "PurchaseOrderInputRequest",
        "CostExportInputRequest",
    ],
)
def test_bodies_whose_unknown_fields_are_refused_say_so(schema, component):
    assert schema["components"]["schemas"][component]["additionalProperties"] is False
