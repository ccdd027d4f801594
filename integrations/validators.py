"""Validation shared by the API, the HTML form and the admin form (one box)."""

from django.core.exceptions import ValidationError

from integrations.netguard import OutboundRefused, UrlRejected, check_host, validate_url
from integrations.policy import outbound_policy

MAX_URL_LENGTH = 512
MAX_API_KEY_LENGTH = 512
MAX_USERNAME_LENGTH = 255
MAX_SECRET_LENGTH = 4096


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
