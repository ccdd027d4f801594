"""Fixtures of the preflight: users connected to a double seeded like the recorded site."""

import pytest

from tests.erpnext_double.erpnext import (
    ADMIN_KEY,
    ADMIN_SECRET,
    RESTRICTED_KEY,
    RESTRICTED_SECRET,
)
from tests.factories import connect_erpnext

CREDENTIALS = {
    "admin": (ADMIN_KEY, ADMIN_SECRET),
    "restricted": (RESTRICTED_KEY, RESTRICTED_SECRET),
}


@pytest.fixture
def site(erpnext_site, allow_private):
    """The recorded site's double, reachable from the server under test."""
    return erpnext_site


@pytest.fixture
def connect(site):
    """Point a user's ERPNext settings at the double as its "admin" or "restricted" API user."""

    def build(user, who="admin"):
        key, secret = CREDENTIALS[who]
        return connect_erpnext(user, site, key=key, secret=secret)

    return build
