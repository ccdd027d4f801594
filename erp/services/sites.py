"""ERPNext sites and their webhook secrets."""

import secrets
from dataclasses import dataclass

from django.db import IntegrityError, transaction

from integrations import crypto
from integrations.netguard import UrlRejected
from openaec.exceptions import AccessDeniedError, ApplicationError

from ..constants import WEBHOOK_SECRET_MAX_LENGTH, WEBHOOK_SECRET_MIN_LENGTH
from ..models import ErpnextSite, new_webhook_token
from ..normalise import normalise_site_url


@dataclass(frozen=True)
class NewWebhookSecret:
    """A webhook secret just set: the only moment its clear value exists here."""

    site: ErpnextSite
    secret: str


def erpnext_site_get_or_create(*, url: str) -> ErpnextSite:
    """The site row for an ERPNext URL (normalised), made on first use."""
    try:
        normalised = normalise_site_url(url)
    except UrlRejected as exc:
        raise ApplicationError(f"Invalid ERPNext URL: {exc}") from exc
    site = ErpnextSite.objects.filter(url=normalised).first()
    if site is not None:
        return site
    try:
        with transaction.atomic():
            return ErpnextSite.objects.create(url=normalised)
    except IntegrityError:  # made by a concurrent request meanwhile
        return ErpnextSite.objects.get(url=normalised)


def erpnext_site_webhook_secret_set(
    *, user, site: ErpnextSite, secret: str | None = None
) -> NewWebhookSecret:
    """Set (or generate, when `secret` is None) the site's webhook secret; admins only.

    The clear secret is returned once, to be pasted into the ERPNext Webhook; only its
    ciphertext is stored.
    """
    if not user.is_admin:
        raise AccessDeniedError("Access denied: only administrators manage webhook secrets.")
    if secret is None:
        secret = secrets.token_urlsafe(32)
    secret = secret.strip()
    if not WEBHOOK_SECRET_MIN_LENGTH <= len(secret) <= WEBHOOK_SECRET_MAX_LENGTH:
        raise ApplicationError(
            f"The webhook secret must be {WEBHOOK_SECRET_MIN_LENGTH} to "
            f"{WEBHOOK_SECRET_MAX_LENGTH} characters long."
        )
    if any(ch.isspace() or ord(ch) < 32 for ch in secret):
        raise ApplicationError("The webhook secret must not contain spaces or control characters.")
    ErpnextSite.objects.filter(pk=site.pk).update(webhook_secret=crypto.encrypt_secret(secret))
    site.refresh_from_db()
    return NewWebhookSecret(site=site, secret=secret)


def erpnext_site_webhook_disable(*, user, site: ErpnextSite) -> ErpnextSite:
    """Forget the webhook secret and change the URL token: deliveries are refused until reset."""
    if not user.is_admin:
        raise AccessDeniedError("Access denied: only administrators manage webhook secrets.")
    ErpnextSite.objects.filter(pk=site.pk).update(
        webhook_secret="", webhook_token=new_webhook_token()
    )
    site.refresh_from_db()
    return site


def erpnext_site_secrets_rotate() -> tuple[int, list[str]]:
    """Re-encrypt every webhook secret with the current key; return (rotated, site URLs that no
    key opens). For `manage.py rotate_integration_secrets`, which covers users' secrets."""
    rotated, failed = 0, []
    for site in ErpnextSite.objects.exclude(webhook_secret="").only("pk", "url", "webhook_secret"):
        try:
            token = crypto.rotate_secret(site.webhook_secret)
        except crypto.UndecryptableSecret:
            failed.append(site.url)
            continue
        ErpnextSite.objects.filter(pk=site.pk).update(webhook_secret=token)
        rotated += 1
    return rotated, failed
