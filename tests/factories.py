"""Small factories for test data."""

from openaec.accounts.models import User
from openaec.accounts.services import integration_settings_update

PASSWORD = "correct horse battery staple"


def make_user(username: str, *, role: str = "viewer", **fields) -> User:
    """A user with a known password (PASSWORD) and the given global role."""
    fields.setdefault("email", f"{username}@example.com")
    return User.objects.create_user(username=username, password=PASSWORD, role=role, **fields)


# Secrets the suite stores; the autouse scanner in conftest fails any test whose responses or
# log lines contain one of them.
ERP_SECRET = "erp-api-secret-5f1c0ffee"
NC_PASSWORD = "nextcloud-password-9a8b7c"
KNOWN_SECRETS = (ERP_SECRET, NC_PASSWORD)


def connect_erpnext(user, double=None, *, url=None, key="bridge-key", secret=ERP_SECRET) -> User:
    """Store ERPNext settings for a user pointing at a double (or at `url`), through the service."""
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
