"""Validation shared by the API, the HTML form and the admin form (one box)."""

from urllib.parse import urlsplit

from django.core.exceptions import ValidationError

from integrations.netguard import OutboundRefused, UrlRejected, check_host, validate_url
from integrations.policy import outbound_policy

MAX_URL_LENGTH = 512
MAX_API_KEY_LENGTH = 512
MAX_USERNAME_LENGTH = 255
MAX_SECRET_LENGTH = 4096

# First path segments of Frappe's own pages (desk, login, web forms): an address copied from
# the browser while using ERPNext. The REST API is always at the site's root.
FRAPPE_PAGE_SEGMENTS = frozenset({"app", "desk", "login", "me", "update-password", "api"})


def clean_integration_url(value: str) -> str:
    """Normalise a user-typed ERPNext/Nextcloud URL or raise ValidationError.

    A host that is, or resolves now to, a refused address is rejected; one that does not
    resolve is accepted, since internal DNS may differ later (the test says what happened).
    """
    try:
        url = validate_url(value)
    except UrlRejected as exc:
        raise ValidationError(str(exc), code="invalid_url") from exc
    try:
        check_host(url, outbound_policy())
    except OutboundRefused as exc:
        raise ValidationError(str(exc), code="refused_address") from exc
    return url


def clean_bounded_text(value: str, *, label: str, max_length: int) -> str:
    """Strip a one-line value and check its length."""
    value = value.strip()
    if len(value) > max_length:
        raise ValidationError(f"{label} is at most {max_length} characters.", code="max_length")
    if any(ch in value for ch in "\r\n\x00"):
        raise ValidationError(f"{label} must be a single line.", code="invalid")
    return value


def erpnext_site_url(value: str) -> tuple[str, str | None]:
    """Cut a pasted ERPNext page address back to its site, with a note for the user.

    `https://erp.example.com/app/home` becomes `https://erp.example.com`; anything else comes
    back unchanged with no note (the URL rules then judge it).
    """
    text = (value or "").strip()
    try:
        parts = urlsplit(text)
    except ValueError:
        return value, None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return value, None
    segment = parts.path.strip("/").split("/", 1)[0].lower()
    if segment not in FRAPPE_PAGE_SEGMENTS and (
        parts.path.strip("/") or not (parts.query or parts.fragment)
    ):
        return value, None
    site = f"{parts.scheme}://{parts.netloc}"
    return site, f"You pasted the address of an ERPNext page; the site is {site}, so that is used."
