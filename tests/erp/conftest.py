"""Fixtures for ERPNext links: users connected to the loopback Frappe double, projects, links."""

import pytest

from erp import services as erp_services
from erp.models import ErpnextProjectLink
from openaec.accounts.services import integration_settings_update
from projects import services as project_services
from projects.models import ProjectRole
from tests.factories import ERP_SECRET, make_user

WEBHOOK_SECRET = "webhook-secret-for-tests-0123456789"


@pytest.fixture
def erp(erpnext_double, allow_private):
    """The Frappe double, reachable from the server under test."""
    return erpnext_double


@pytest.fixture
def connect(allow_private):
    """Store ERPNext settings for a user: connect(user, double) or connect(user, url=...)."""

    def build(user, double=None, *, url=None, key="bridge-key", secret=ERP_SECRET):
        integration_settings_update(
            user=user,
            changes={
                "erpnext_url": url or double.url,
                "erpnext_api_key": key,
                "erpnext_api_secret": secret,
            },
        )
        user.refresh_from_db()
        return user

    return build


@pytest.fixture
def project(editor):
    """A BIM project made by `editor` (its admin member)."""
    return project_services.project_create(user=editor, name="Harbour Office", code="P-001")


@pytest.fixture
def member(project):
    """A user with a global role and a role on `project`."""

    def build(username: str, *, project_role: str, role: str = "editor"):
        user = make_user(username, role=role)
        project_services.project_member_set(project=project, user_id=user.pk, role=project_role)
        return user

    return build


@pytest.fixture
def project_viewer(member):
    return member("pia", project_role=ProjectRole.VIEWER, role="viewer")


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
