"""The BOM API: rules (project and shared), suggestions, preview, runs; roles and errors."""

import json

import pytest

from bom.models import BomSyncRun, MappingRule
from tests.bom.conftest import add_rule, make_version, writes
from tests.factories import make_user

pytestmark = pytest.mark.django_db

RULE = {
    "ifc_class": "IfcWall",
    "material": "Concrete*",
    "item_code": "C30",
    "quantity": "volume",
    "uom": "m³",
    "waste_factor": "0.05",
}


# Rules


@pytest.mark.parametrize("path", ["bom/rules", "bom/rules/"])
def test_an_editor_adds_a_project_rule(editor, project, api_client_for, path):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/{path}", RULE, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert body["shared"] is False and body["project"] == project.slug
    assert (body["type_name"], body["waste_factor"], body["unit_factor"]) == ("*", 0.05, 1.0)
    assert MappingRule.objects.get().created_by == editor


def test_rules_list_shows_project_rules_before_shared_defaults(
    editor, admin_user, project, api_client_for
):
    MappingRule.objects.create(item_code="SHARED", quantity="count", uom="Nos", priority=9)
    add_rule(project, item_code="OWN")

    response = api_client_for(editor).get(f"/api/projects/{project.slug}/bom/rules")

    assert response.status_code == 200
    assert [(r["item_code"], r["shared"]) for r in response.json()] == [
        ("OWN", False),
        ("SHARED", True),
    ]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"waste_factor": "1.5"}, "waste_factor"),
        ({"unit_factor": "0"}, "unit_factor"),
        ({"item_code": "C*"}, "item_code"),
        ({"item_code": "a<b"}, "item_code"),
        ({"quantity": "mass"}, "quantity"),
        ({"rate": "-1"}, "rate"),
    ],
)
def test_bad_rule_fields_are_a_400_naming_the_field(editor, project, api_client_for, change, field):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/rules", {**RULE, **change}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["detail"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ('"rate": 1e23', "rate: Too large"),
        ('"unit_factor": 1e308', "unit_factor: Too large"),
        ('"rate": 1e400', "rate: Too large"),
        ('"rate": "350,00"', "rate: A valid number is required"),  # the API keeps JSON numbers
    ],
)
def test_api_says_a_number_is_too_large(editor, project, api_client_for, body, message):
    raw = json.dumps(RULE)[:-1] + ", " + body + "}"
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/rules", raw, content_type="application/json"
    )

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_unknown_rule_fields_are_refused(editor, project, api_client_for):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/rules", {**RULE, "colour": "red"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == "Unknown fields: colour"


def test_put_changes_only_the_fields_sent_and_delete_removes(editor, project, api_client_for):
    rule = add_rule(project, item_code="C30", quantity="volume", uom="m³")
    client = api_client_for(editor)
    url = f"/api/projects/{project.slug}/bom/rules/{rule.pk}"

    put = client.put(url, {"priority": 5, "material": ""}, format="json")
    delete = client.delete(url)
    gone = client.get(url)

    assert put.status_code == 200
    assert (put.json()["priority"], put.json()["material"], put.json()["uom"]) == (5, "*", "m³")
    assert delete.status_code == 204
    assert gone.status_code == 404 and gone.json() == {"detail": "Rule not found"}


def test_a_shared_rule_is_not_reachable_through_a_project(editor, project, api_client_for):
    shared = MappingRule.objects.create(item_code="SHARED", quantity="count", uom="Nos")

    response = api_client_for(editor).put(
        f"/api/projects/{project.slug}/bom/rules/{shared.pk}", {"priority": 1}, format="json"
    )

    assert response.status_code == 404


def test_shared_defaults_are_read_by_all_and_written_by_admins(
    admin_user, editor, viewer, api_client_for
):
    created = api_client_for(admin_user).post("/api/bom/rules", RULE, format="json")
    by_editor = api_client_for(editor).post("/api/bom/rules", RULE, format="json")
    listed = api_client_for(viewer).get("/api/bom/rules/")
    put = api_client_for(editor).put(
        f"/api/bom/rules/{created.json()['id']}", {"priority": 3}, format="json"
    )

    assert created.status_code == 201 and created.json()["shared"] is True
    assert by_editor.status_code == 403
    assert listed.status_code == 200 and len(listed.json()) == 1
    assert put.status_code == 403


# Roles


@pytest.fixture
def global_viewer_project_editor(member):
    return member("gill", project_role="editor", role="viewer")


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("post", "bom/rules", RULE),
        ("post", "bom/preview", {"model_version": 1}),
        ("post", "bom/sync", {"model_version": 1}),
        ("get", "bom/suggestions?model_version=1", None),
    ],
)
def test_viewers_get_403_on_writes_and_erpnext_calls(
    project_viewer_global_editor,
    global_viewer_project_editor,
    project,
    version,
    api_client_for,
    method,
    path,
    body,
):
    for user in (project_viewer_global_editor, global_viewer_project_editor):
        client = api_client_for(user)
        url = f"/api/projects/{project.slug}/{path}"
        response = getattr(client, method)(url, body, format="json") if body else client.get(url)

        assert response.status_code == 403, (user, response.content)
        assert "detail" in response.json()
    assert BomSyncRun.objects.count() == 0


def test_viewers_read_rules_and_runs(project_viewer_global_editor, project, api_client_for):
    add_rule(project, item_code="C30")
    client = api_client_for(project_viewer_global_editor)

    assert client.get(f"/api/projects/{project.slug}/bom/rules").status_code == 200
    assert client.get(f"/api/projects/{project.slug}/bom/runs").status_code == 200


def test_non_members_and_unknown_projects_get_404(project, api_client_for):
    outsider = make_user("olga", role="editor")
    client = api_client_for(outsider)

    assert client.get(f"/api/projects/{project.slug}/bom/rules").status_code == 404
    assert client.get("/api/projects/nope/bom/rules").json() == {"detail": "Project not found"}


def test_no_token_is_401(project, api_client_for):
    assert api_client_for(None).get(f"/api/projects/{project.slug}/bom/rules").status_code == 401


# Preview and suggestions


def test_preview_lists_lines_unmapped_and_the_diff_against_the_default_bom(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    sync(project, erp_editor, version, submit=True, create_missing_items=True)
    newer = make_version(
        project,
        [
            ("IfcDoor", "Door 90x210", None, 8, None, None, None, None),
            ("IfcWall", "Basic Wall 100", "Brick", 3, 15.0, 40.0, 4.0, None),
            ("IfcWindow", "Window", "Glass", 2, None, None, None, None),
        ],
    )
    erp.clear_requests()

    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/preview", {"model_version": newer.number}, format="json"
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert writes(erp) == []
    assert body["current_bom"]["docstatus"] == 1
    assert body["diff"]["changed"] == [
        {"item_code": "DOOR-90", "uom": "Nos", "old_qty": 5.0, "new_qty": 8.0}
    ]
    assert {r["item_code"] for r in body["diff"]["removed"]} == {"CONCRETE-C30", "STEEL-HEA200"}
    assert body["diff"]["unchanged"] == 1 and body["diff"]["added"] == []
    assert [u["ifc_class"] for u in body["unmapped"]] == ["IfcWindow"]
    assert body["unmapped"][0]["reason"] == "No mapping rule matches this line."
    assert body["would_write"] == "a new BOM (draft)"
    assert body["errors"] == []
    assert body["http_requests"] == len(erp.requests)


def test_preview_of_an_unchanged_takeoff_says_nothing_would_be_written(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    sync(project, erp_editor, version, submit=True, create_missing_items=True)

    body = (
        api_client_for(erp_editor)
        .post(
            f"/api/projects/{project.slug}/bom/preview",
            {"model_version": version.number, "submit": True},
            format="json",
        )
        .json()
    )

    assert body["would_write"] == "nothing: the BOM in ERPNext is up to date"
    assert body["diff"]["added"] == body["diff"]["removed"] == body["diff"]["changed"] == []


def test_preview_reports_missing_items_and_unknown_uoms(
    erp_editor, erp, project, version, api_client_for
):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-X", uom="Stück")

    body = (
        api_client_for(erp_editor)
        .post(
            f"/api/projects/{project.slug}/bom/preview",
            {"model_version": version.number},
            format="json",
        )
        .json()
    )

    errors = {(e["item_code"], e["error"].split(" ")[0]) for e in body["errors"]}
    assert errors == {("DOOR-X", "UOM"), ("DOOR-X", "Item")}
    assert body["would_write"].startswith("nothing")
    assert body["items_to_create"] == [f"BIM-{project.slug}"]


def test_preview_of_a_version_without_takeoff_is_409(erp_editor, project, api_client_for):
    version = make_version(project, [])
    version.state = "running"
    version.save()

    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number},
        format="json",
    )

    assert response.status_code == 409


def test_preview_without_erpnext_settings_is_400(editor, project, version, api_client_for):
    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number},
        format="json",
    )

    assert response.status_code == 400
    assert response.json() == {"detail": "ERPNext credentials not configured"}


@pytest.mark.parametrize(
    ("fault", "status", "words"),
    [
        ({"status": 500}, 502, "failed (HTTP 500)"),
        ({"status": 401, "exc_type": "AuthenticationError"}, 502, "rejected your API key"),
        ({"drop": True}, 502, "Could not reach ERPNext"),
        ({"garbage": True}, 502, "not Frappe's JSON"),
    ],
)
def test_erpnext_faults_in_preview_are_clear_never_500(
    erp_editor, erp, project, version, rules, api_client_for, fault, status, words
):
    erp.inject(None, times=None, **fault)

    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number},
        format="json",
    )

    assert response.status_code == status, response.content
    assert words in response.json()["detail"]


def test_suggestions_propose_items_for_unmapped_lines(
    erp_editor, erp, project, version, api_client_for
):
    erp.add_doc(
        "Item",
        {
            "item_code": "CHAIR-OAK",
            "item_name": "Oak chair",
            "item_group": "All Item Groups",
            "stock_uom": "Nos",
        },
    )
    erp.add_doc(
        "Item",
        {
            "item_code": "BEAM-HEA",
            "item_name": "Steel beam HEA 200",
            "item_group": "All Item Groups",
            "stock_uom": "kg",
        },
    )
    add_rule(project, ifc_class="IfcWall", item_code="C30", quantity="volume", uom="m³")
    add_rule(project, ifc_class="IfcSlab", item_code="C30", quantity="volume", uom="m³")
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90")

    response = api_client_for(erp_editor).get(
        f"/api/projects/{project.slug}/bom/suggestions", {"model_version": version.number}
    )

    assert response.status_code == 200, response.content
    lines = {line["ifc_class"]: line for line in response.json()["lines"]}
    assert set(lines) == {"IfcBeam", "IfcFurniture"}
    assert lines["IfcFurniture"]["suggestions"][0]["item_code"] == "CHAIR-OAK"
    beam = lines["IfcBeam"]["suggestions"][0]
    assert (beam["item_code"], beam["quantity"], beam["stock_uom"]) == ("BEAM-HEA", "weight", "kg")


def test_suggestions_need_a_model_version(erp_editor, project, api_client_for):
    response = api_client_for(erp_editor).get(f"/api/projects/{project.slug}/bom/suggestions")

    assert response.status_code == 400


# Runs


def test_runs_list_and_detail(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    client = api_client_for(erp_editor)

    listed = client.get(f"/api/projects/{project.slug}/bom/runs")
    detail = client.get(f"/api/projects/{project.slug}/bom/runs/{run.pk}/")

    assert listed.status_code == 200 and listed.json()[0]["id"] == str(run.pk)
    body = detail.json()
    assert body["state"] == "succeeded" and body["outcome"] == "created"
    assert body["started_by"] == erp_editor.username and body["model_version"] == version.number
    assert body["http_requests"] == body["reads"] + body["writes"] > 0
    assert body["unmapped_lines"][0]["ifc_class"] == "IfcFurniture"
    assert body["documents"][-1]["doctype"] == "BOM"
    assert body["url"] == f"/api/projects/{project.slug}/bom/runs/{run.pk}"


def test_unknown_run_is_404_and_resuming_a_finished_run_is_409(
    erp_editor, erp, project, version, rules, stock, sync, api_client_for
):
    _, run = sync(project, erp_editor, version, create_missing_items=True)
    client = api_client_for(erp_editor)

    missing = client.get(f"/api/projects/{project.slug}/bom/runs/not-a-uuid")
    resume = client.post(f"/api/projects/{project.slug}/bom/runs/{run.pk}/resume")

    assert missing.status_code == 404 and missing.json() == {"detail": "Sync run not found"}
    assert resume.status_code == 409
    assert resume.json()["state"] == "succeeded"


def test_sync_body_must_name_a_model_version(erp_editor, project, api_client_for):
    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/sync", {"submit": "yes please"}, format="json"
    )

    assert response.status_code == 400
    assert "model_version" in response.json()["detail"]


def test_sync_of_a_takeoff_no_rule_maps_is_refused_at_once(
    erp_editor, project, version, api_client_for
):
    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/sync", {"model_version": version.number}, format="json"
    )

    assert response.status_code == 400
    assert "add mapping rules first" in response.json()["detail"]
    assert BomSyncRun.objects.count() == 0


def test_with_several_companies_the_sync_asks_which_one(
    erp_editor, erp, project, version, rules, stock, sync
):
    erp.add_doc("Company", {"company_name": "Second BV", "default_currency": "USD"})

    _, failed = sync(project, erp_editor, version)
    _, chosen = sync(project, erp_editor, version, company="Second BV")

    failed.refresh_from_db()
    chosen.refresh_from_db()
    assert failed.state == "failed" and "ERPNext has 2 companies" in failed.error
    assert chosen.state == "succeeded", chosen.error
    bom = erp.get_doc("BOM", chosen.bom_name)
    assert (bom["company"], bom["currency"]) == ("Second BV", "USD")


@pytest.mark.parametrize("field", ["waste_factor", "unit_factor"])
def test_rule_numbers_are_numbers_in_the_schema_and_text_is_a_400(
    editor, project, api_client_for, client, field
):
    # issue 16: "" passed the schema (a string) and came back as an undocumented 400.
    schema = client.get("/api/schema", HTTP_ACCEPT="application/json").json()
    properties = schema["components"]["schemas"]["BomRuleInputRequest"]["properties"]
    assert properties[field]["type"] == "number"
    assert properties["rate"]["type"] == "number"

    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/bom/rules", {**RULE, field: ""}, format="json"
    )

    assert response.status_code == 400
    assert field in response.json()["detail"]
