"""Fixtures for ERPNext links: users connected to the loopback Frappe double, projects, links."""

import pytest

from erp import services as erp_services
from erp.models import ErpnextProjectLink

WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"


@pytest.fixture
def erp(erpnext_double, allow_private):
    """The Frappe double, reachable from the server under test."""
    return erpnext_double


@pytest.fixture
def erp_project(erp):
    """An ERPNext Project in the double, named PROJ-0001."""
    return erp.add_doc("Project", {"project_name": "Harbour Office ERP"})


@pytest.fixture
def linked(erp, connect, editor, project, erp_project) -> ErpnextProjectLink:
    """`project` linked to PROJ-0001 by `editor`, whose ERPNext is the double."""
    connect(editor, erp)
    return erp_services.project_link_create(
        project=project, user=editor, erpnext_project=erp_project["name"]
    )


@pytest.fixture
def webhook_site(linked, admin_user):
    """The link's site with WEBHOOK_SECRET set."""
    erp_services.erpnext_site_webhook_secret_set(
        user=admin_user, site=linked.site, secret=WEBHOOK_SECRET
    )
    linked.site.refresh_from_db()
    return linked.site
