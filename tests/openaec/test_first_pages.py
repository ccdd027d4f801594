"""Small things a new user meets first: the favicon, the admin's names."""

import pytest
from django.contrib.staticfiles import finders

from tests.factories import make_user

pytestmark = pytest.mark.django_db


def test_favicon_is_served_not_404(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/static/favicon")
    icon = finders.find(location.removeprefix("/static/"))
    with open(icon, "rb") as fh:
        assert fh.read(4) == b"\x00\x00\x01\x00"  # an ICO header
    assert 'rel="icon"' in client.get("/login").content.decode()


def test_admin_names_read_as_english(client):
    client.force_login(make_user("root", role="admin", is_staff=True, is_superuser=True))
    page = client.get("/admin/").content.decode()
    assert "Webhook deliveries" in page and "deliverys" not in page
    assert "BOM sync runs" in page
    assert "API tokens" in page
