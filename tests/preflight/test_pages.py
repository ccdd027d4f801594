"""The "Check my ERPNext" page, and the check at the start of a BOM sync."""

import pytest

from tests.bom.conftest import add_rule, make_version
from tests.bom.double import ErpnextStockDouble

pytestmark = pytest.mark.django_db


def test_settings_page_links_the_check(client, editor):
    client.force_login(editor)

    page = client.get("/settings")

    assert b'href="/settings/preflight"' in page.content


def test_the_check_shows_every_feature_with_its_state_and_fix(client, site, connect, editor):
    client.force_login(connect(editor, "restricted"))

    page = client.post("/settings/preflight")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'data-feature="purchase_orders" data-status="ready"' in html
    assert 'data-feature="costs" data-status="partial"' in html
    assert "Fix: Give bridge.restricted@example.com the Accounts Manager role" in html
    assert [r for r in site.requests if r.method != "GET"] == []


def test_get_shows_the_button_and_asks_nothing(client, site, connect, editor):
    client.force_login(connect(editor, "admin"))

    page = client.get("/settings/preflight")

    assert page.status_code == 200 and b'id="preflight-run"' in page.content
    assert site.requests == []


def test_viewers_may_not_run_it(client, viewer):
    client.force_login(viewer)

    assert client.post("/settings/preflight").status_code == 403


def test_without_credentials_the_page_says_so(client, editor):
    client.force_login(editor)

    page = client.post("/settings/preflight")

    assert page.status_code == 400
    assert b"ERPNext credentials not configured" in page.content


def test_it_shares_the_thirty_a_minute_budget_of_the_connection_test(client, editor):
    client.force_login(editor)
    for _ in range(30):
        client.post("/settings/erpnext/test")

    page = client.post("/settings/preflight")

    assert page.status_code == 429 and "Retry-After" in page.headers
    assert b"Too many checks" in page.content


# BOM sync start


def test_a_bom_sync_erpnext_will_refuse_is_refused_before_anything_is_written(
    allow_private, editor, api_client_for
):
    from openaec.accounts.services import integration_settings_update
    from projects import services as project_services

    project = project_services.project_create(user=editor, name="Harbour Office", code="P-1")
    add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", uom="Nos")
    version = make_version(project)
    with ErpnextStockDouble(version=15) as erp:
        erp.add_api_user("k-proj", "s-proj-0123456789", "pm@example.com", roles=["Projects User"])
        integration_settings_update(
            user=editor,
            changes={
                "erpnext_url": erp.url,
                "erpnext_api_key": "k-proj",
                "erpnext_api_secret": "s-proj-0123456789",
            },
        )
        response = api_client_for(editor).post(
            f"/api/projects/{project.slug}/bom/sync",
            {"model_version": version.number, "create_missing_items": True},
            format="json",
        )

        assert response.status_code == 400
        assert "Manufacturing User" in response.json()["detail"]
        assert "nothing was written" in response.json()["detail"]
        assert [r for r in erp.requests if r.method != "GET"] == []
    assert not project.jobs.exists()
