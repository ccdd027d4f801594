"""Fixtures shared by the whole suite: users by role, API clients, loopback doubles."""

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient
from rest_framework_simplejwt.tokens import RefreshToken

from projects import services as project_services
from projects.models import ProjectRole
from tests.factories import connect_erpnext, make_user


@pytest.fixture(autouse=True)
def _fresh_cache(request):
    # Throttle and lockout state lives in the (database) cache; every test starts from none.
    uses_db = request.node.get_closest_marker("django_db") or {"db", "transactional_db"} & set(
        request.fixturenames
    )
    if uses_db:
        request.getfixturevalue(
            "db" if "transactional_db" not in request.fixturenames else "transactional_db"
        )
        cache.clear()
    yield


@pytest.fixture(autouse=True)
def _media_root(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def admin_user(db):
    return make_user("ada", role="admin")


@pytest.fixture
def editor(db):
    return make_user("eddie", role="editor")


@pytest.fixture
def viewer(db):
    return make_user("vera", role="viewer")


@pytest.fixture
def project(editor):
    """A project made by `editor`, who is therefore its admin member (global role editor)."""
    return project_services.project_create(user=editor, name="Harbour Office", code="P-001")


@pytest.fixture
def member(project):
    """member(username, project_role, role="editor"): a user with a global role and a role on
    `project`."""

    def build(username: str, project_role: str, *, role: str = "editor"):
        user = make_user(username, role=role)
        project_services.project_member_set(project=project, user_id=user.pk, role=project_role)
        return user

    return build


@pytest.fixture
def project_viewer(member):
    """A viewer everywhere: global role viewer, project role viewer."""
    return member("pia", ProjectRole.VIEWER, role="viewer")


@pytest.fixture
def project_viewer_global_editor(member):
    """A global editor who is only a viewer of `project`: proves the project role decides."""
    return member("pia", ProjectRole.VIEWER, role="editor")


@pytest.fixture
def connect(allow_private):
    """Store ERPNext settings for a user: connect(user, double) or connect(user, url=...)."""
    return connect_erpnext


@pytest.fixture
def api_client_for():
    """An APIClient that sends `Authorization: Bearer <JWT access token>` for the user."""

    def build(user) -> APIClient:
        client = APIClient()
        if user is not None:
            token = RefreshToken.for_user(user).access_token
            client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return client

    return build


@pytest.fixture
def allow_private(settings):
    """Let outbound calls reach the loopback doubles."""
    settings.INTEGRATIONS_ALLOW_PRIVATE_NETWORKS = True


@pytest.fixture(autouse=True)
def _no_secret_leaves_the_server(monkeypatch):
    """Fail the test if a known secret shows up in any response or any log line."""
    import logging

    from django.test import Client

    from tests.factories import KNOWN_SECRETS

    leaks: list[str] = []
    original = Client.request

    def scanning_request(self, **request):
        response = original(self, **request)
        streamed = getattr(response, "streaming", False)
        payload = b"" if streamed else response.content
        headers = str(dict(response.headers)).encode()
        for secret in KNOWN_SECRETS:
            if secret.encode() in payload or secret.encode() in headers:
                leaks.append(f"response to {request.get('PATH_INFO')}")
        return response

    class Scanner(logging.Handler):
        def emit(self, record):
            text = self.format(record)
            if record.exc_info:
                text += logging.Formatter().formatException(record.exc_info)
            leaks.extend(f"log line {text[:80]!r}" for s in KNOWN_SECRETS if s in text)

    monkeypatch.setattr(Client, "request", scanning_request)
    handler = Scanner(level=logging.DEBUG)
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield
    root.removeHandler(handler)
    root.setLevel(old_level)
    assert not leaks, f"a secret left the server: {leaks}"


@pytest.fixture
def erpnext_double():
    """A Frappe-speaking server on loopback whose API secret is a KNOWN_SECRETS value."""
    from tests.erpnext_double import FrappeDouble
    from tests.factories import ERP_SECRET

    with FrappeDouble(version=15, api_key="bridge-key", api_secret=ERP_SECRET) as double:
        yield double


@pytest.fixture
def erpnext_site():
    """A double seeded like the recorded ERPNext 15 site (tests/erpnext_double/erpnext.py):
    Company Bridge Test Co, its UOMs, groups, warehouses, accounts, fiscal years; API users
    ADMIN_KEY/ADMIN_SECRET (System Manager) and RESTRICTED_KEY/RESTRICTED_SECRET (Projects
    User, Manufacturing User, Purchase User)."""
    from tests.erpnext_double.erpnext import recorded_site

    with recorded_site() as double:
        yield double


@pytest.fixture
def nextcloud_double():
    """A Nextcloud OCS server on loopback whose password is a KNOWN_SECRETS value."""
    from tests.factories import NC_PASSWORD
    from tests.nextcloud_double import NextcloudDouble

    with NextcloudDouble(username="eddie", password=NC_PASSWORD, display_name="Eddie Editor") as d:
        yield d
