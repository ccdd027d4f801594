"""The preflight against a double seeded like the recorded ERPNext 15 site: its table for the
System Manager and the restricted user, each missing piece of data with its fix, --write."""

import datetime as dt
import json

import pytest
from django.core.management import CommandError, call_command

from erp.services.sites import erpnext_site_get_or_create, erpnext_site_webhook_secret_set
from preflight.services import erpnext_preflight
from projects import services as project_services
from tests.bom.conftest import add_rule

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 11, 24)  # the recorded run's day; fiscal years 2026 and 2027 exist


def statuses(report) -> dict[str, str]:
    return {f.key: f.status for f in report.features}


def problems(report, feature: str) -> str:
    return " ".join(f"{c.reason} {c.fix}" for c in report.feature(feature).problems)


@pytest.fixture
def project(editor):
    return project_services.project_create(user=editor, name="Harbour Office", code="P-001")


@pytest.fixture
def webhook(site, admin_user):
    """Our side: the site with a secret; their side: a signed Webhook posting to our URL."""
    ours = erpnext_site_get_or_create(url=site.url)
    erpnext_site_webhook_secret_set(user=admin_user, site=ours, secret="s" * 40)
    site.add_doc(
        "Webhook",
        {
            "name": "Bridge Project status",
            "webhook_doctype": "Project",
            "request_url": f"https://bim.example.com/api/webhooks/erpnext/{ours.webhook_token}",
            "enable_security": 1,
        },
    )
    return ours


def test_system_manager_may_use_every_feature(site, connect, editor, webhook):
    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.erpnext_user == "bridge.admin@example.com"
    assert set(statuses(report).values()) == {"ready"}, [
        (f.key, problems(report, f.key)) for f in report.features
    ]


def test_restricted_user_gets_what_the_recordings_say_it_may_do(site, connect, editor, webhook):
    # README section 4 / purchasing-and-costs.md 11: Projects, BOM, PO and MR work; UOM, Item
    # create, Item Price and Budget are refused; Webhook needs System Manager.
    report = erpnext_preflight(user=connect(editor, "restricted"), today=TODAY)

    assert statuses(report) == {
        "connection": "ready",
        "projects": "ready",
        "status_push": "ready",
        "webhook": "unchecked",
        "bom": "ready",
        "purchase_orders": "ready",
        "material_requests": "ready",
        "costs": "partial",
        "ifc_cost_export": "partial",
    }
    assert "System Manager" in problems(report, "webhook")
    bom = problems(report, "bom")
    assert "Item Manager" in bom  # creating missing Items
    assert "Item Manager, Stock Manager or Stock User" in bom  # reading UOM
    assert "Accounts Manager" in problems(report, "costs")
    assert "Purchase Master Manager" in problems(report, "ifc_cost_export")
    assert "bridge.restricted@example.com" in problems(report, "costs")


def test_rates_on_the_rules_need_item_price_roles(site, connect, editor, project):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", uom="Nos", rate="10")

    restricted = erpnext_preflight(user=connect(editor, "restricted"), today=TODAY)
    admin = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert restricted.feature("bom").status == "not_ready"
    assert "Give bridge.restricted@example.com the Purchase Master Manager" in problems(
        restricted, "bom"
    )
    assert admin.feature("bom").status == "ready"


def test_a_uom_a_rule_names_that_the_site_lacks_is_reported_with_its_fix(
    site, connect, editor, project
):
    rule = add_rule(project, ifc_class="IfcWall", item_code="WALL", uom="Quadratmeter")

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("bom").status == "not_ready"
    assert report.feature("purchase_orders").status == "not_ready"
    text = problems(report, "bom")
    assert f"UOM Quadratmeter does not exist in ERPNext (Quadratmeter: rule {rule.pk}" in text
    assert "Create the UOM Quadratmeter in ERPNext" in text


def test_the_restricted_user_is_told_the_rules_uoms_cannot_be_checked(
    site, connect, editor, project
):
    add_rule(project, ifc_class="IfcWall", item_code="WALL", uom="Quadratmeter")

    report = erpnext_preflight(user=connect(editor, "restricted"), today=TODAY)

    assert report.feature("bom").status == "ready"
    assert "cannot be checked" in problems(report, "bom")


def test_a_missing_item_group_is_reported_with_its_fix(site, connect, editor):
    with site._lock:
        site._store["Item Group"].pop("All Item Groups")

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("bom").status == "not_ready"
    assert "Create the Item Group All Item Groups in ERPNext" in problems(report, "bom")


def test_no_fiscal_year_for_today_is_reported_with_its_fix(site, connect, editor):
    report = erpnext_preflight(user=connect(editor, "admin"), today=dt.date(2030, 6, 1))

    assert report.feature("purchase_orders").status == "partial"
    assert report.feature("costs").status == "partial"
    text = problems(report, "purchase_orders")
    assert "No Fiscal Year of Bridge Test Co covers today (2030-06-01)" in text
    assert "06-01-2030 is not in any active Fiscal Year" in text  # ERPNext's own words
    assert "Create a Fiscal Year covering 2030-06-01" in text


def test_a_missing_price_list_is_reported_with_its_fix(site, connect, editor, project):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", uom="Nos", rate="10")
    with site._lock:
        site._store["Price List"].pop("Standard Buying")

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("bom").status == "not_ready"
    assert report.feature("purchase_orders").status == "partial"
    assert "Create the Price List Standard Buying (Buying ticked)" in problems(report, "bom")


def test_a_price_list_in_another_currency_needs_an_exchange_rate(site, connect, editor, project):
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", uom="Nos", rate="10")
    site.set_doc("Price List", "Standard Buying", currency="EUR")
    site.register_method("erpnext.setup.utils.get_exchange_rate", lambda d, p, user: 0)

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("bom").status == "not_ready"
    assert "Add a Currency Exchange EUR -> USD" in problems(report, "bom")


def test_webhook_without_a_secret_here_or_a_webhook_there_is_not_ready(
    site, connect, editor, admin_user
):
    erpnext_site_get_or_create(url=site.url)

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("webhook").status == "not_ready"
    text = problems(report, "webhook")
    assert "No webhook secret is set for this site here" in text
    assert "no enabled Webhook on Project that posts to this bridge's URL" in text


def test_an_unsigned_webhook_is_not_ready(site, connect, editor, webhook):
    site.set_doc("Webhook", "Bridge Project status", enable_security=0)

    report = erpnext_preflight(user=connect(editor, "admin"), today=TODAY)

    assert report.feature("webhook").status == "not_ready"
    assert "is not signed" in problems(report, "webhook")


def test_a_rejected_key_makes_every_feature_not_ready_after_one_request(site, connect, editor):
    connect(editor, "admin")
    site.api_secret = "changed"
    site._credentials[site.api_key] = ("changed", site.user)

    report = erpnext_preflight(user=editor, today=TODAY)

    assert set(statuses(report).values()) == {"not_ready"}
    assert "rejected your API key or secret" in problems(report, "connection")
    assert report.requests == 1


def test_the_read_only_check_writes_nothing_and_asks_one_row_per_list(site, connect, editor):
    report = erpnext_preflight(user=connect(editor, "restricted"), today=TODAY)

    assert [r for r in site.requests if r.method != "GET"] == []
    lists = [r for r in site.requests if r.path.startswith("/api/resource/")]
    assert lists and all("limit_page_length" in r.query for r in lists)
    probes = [r for r in lists if r.param("fields") == '["name"]' and not r.param("filters")]
    assert probes and all(r.query["limit_page_length"] == ["1"] for r in probes)
    assert report.requests == len(site.requests) <= 30


def everything(site) -> dict[str, set[str]]:
    return {doctype: set(docs) for doctype, docs in site._store.items()}


@pytest.mark.parametrize("who", ["admin", "restricted"])
def test_write_proves_the_flows_and_leaves_nothing_behind(site, connect, editor, who):
    if who == "restricted":  # it may not create Items or Suppliers: it uses existing ones
        for code in ("P3-STEEL", "P3-PIPE"):
            site.add_doc("Item", {"item_code": code, "item_group": "Raw Material"})
        site.add_doc("Supplier", {"supplier_name": "Steel Supplier"})
    before = everything(site)

    report = erpnext_preflight(user=connect(editor, who), write=True, today=TODAY)

    assert report.left_behind == []
    assert everything(site) == before
    made = {(s.doctype, s.action) for s in report.writes if s.ok}
    assert {("Project", "created"), ("Project", "changed"), ("Project", "deleted")} <= made
    assert ("Purchase Order", "created") in made and ("Material Request", "created") in made
    assert {("BOM", "created and submitted"), ("BOM", "cancelled"), ("BOM", "deleted")} <= made
    assert (("Item", "created") in made) == (who == "admin")
    # Every row carries its uom and the factor (a row without uom is read in the purchase UOM).
    rows = [
        row
        for r in site.requests
        if r.method == "POST"
        and r.path.replace("%20", " ")
        in ("/api/resource/BOM", "/api/resource/Purchase Order", "/api/resource/Material Request")
        for row in json.loads(r.body)["items"]
    ]
    assert len(rows) == 3
    assert all(row["uom"] and row["conversion_factor"] == 1 for row in rows)


def test_write_reports_what_it_could_not_remove(site, connect, editor):
    site.inject("/api/resource/Project/", method="DELETE", status=417, message="Linked elsewhere")

    report = erpnext_preflight(user=connect(editor, "admin"), write=True, today=TODAY)

    [left] = report.left_behind
    assert left.startswith("Project PROJ-") and "Linked elsewhere" in left


# The command


def run(*args) -> tuple[dict, int]:
    from io import StringIO

    out = StringIO()
    try:
        call_command("erpnext_preflight", *args, "--json", stdout=out)
        code = 0
    except CommandError as exc:
        code = exc.returncode
    return json.loads(out.getvalue()), code


def test_command_json_and_exit_status_for_required_features(site, connect, editor, webhook):
    connect(editor, "restricted")

    body, ok = run("--user", editor.username, "--require", "bom", "purchase_orders")
    body_webhook, refused = run("--require", "bom", "webhook")

    assert ok == 0 and body["required_not_ready"] == []
    assert {f["feature"]: f["status"] for f in body["features"]}["bom"] == "ready"
    assert refused == 2 and body_webhook["required_not_ready"] == ["webhook"]


def test_command_refuses_an_unknown_feature_and_a_user_without_settings(editor):
    with pytest.raises(CommandError, match="Unknown feature boms"):
        call_command("erpnext_preflight", "--require", "boms")
    with pytest.raises(CommandError, match="ERPNext credentials not configured"):
        call_command("erpnext_preflight", "--user", editor.username)
    with pytest.raises(CommandError, match="0 users have ERPNext settings"):
        call_command("erpnext_preflight")


def test_command_table_names_the_fix(site, connect, editor, capsys):
    from io import StringIO

    connect(editor, "restricted")
    out = StringIO()
    call_command("erpnext_preflight", "--user", editor.username, stdout=out)

    text = out.getvalue()
    assert "Cost dashboard figures" in text and "fix: Give bridge.restricted@example.com" in text
