"""Small factories for test data."""

from openaec.accounts.models import User

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
