"""Writes and cross-system actions for accounts: registration, tokens, integration settings."""

import copy
import logging
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils import timezone
from rest_framework_simplejwt.tokens import RefreshToken

from integrations import crypto
from integrations.erpnext.connection import test_erpnext_connection
from integrations.nextcloud.connection import test_nextcloud_connection
from integrations.policy import outbound_policy
from integrations.validators import (
    MAX_API_KEY_LENGTH,
    MAX_SECRET_LENGTH,
    MAX_USERNAME_LENGTH,
    clean_bounded_text,
    clean_integration_url,
)
from openaec.exceptions import AccessDeniedError, ApplicationError, NotFoundError

from .authentication import PERSONAL_TOKEN_PREFIX
from .models import ApiToken, Role, User
from .selectors import hash_api_token

logger = logging.getLogger(__name__)

SECRET_FIELDS = ("erpnext_api_secret", "nextcloud_password")
WRITABLE_SETTINGS = (
    "erpnext_url",
    "erpnext_api_key",
    "erpnext_api_secret",
    "nextcloud_url",
    "nextcloud_username",
    "nextcloud_password",
)


class RegistrationClosedError(AccessDeniedError):
    """Self-registration is switched off (ALLOW_REGISTRATION)."""

    def __init__(self) -> None:
        super().__init__("Registration is closed")


class CredentialsNotConfiguredError(ApplicationError):
    """URL, user and secret are not all stored."""


class UndecryptableSettingError(ApplicationError):
    """A stored secret that no key opens: the user has to enter it again."""


# Registration and login


def user_register(*, username: str, email: str, password: str) -> User:
    """Create a user; the very first one becomes admin (and superuser), later ones viewers."""
    if not settings.ALLOW_REGISTRATION:
        raise RegistrationClosedError()
    username = username.strip()
    email = email.strip()
    if not username:
        raise ValidationError({"username": "This field may not be blank."})
    try:
        validate_password(password, User(username=username, email=email))
    except ValidationError as exc:
        raise ValidationError({"password": exc.messages}) from exc
    try:
        with transaction.atomic():
            _lock_users_table()
            taken = User.objects.filter(username__iexact=username).exists() or (
                User.objects.annotate(e=Lower("email")).filter(e=email.lower()).exists()
            )
            if taken:
                raise ApplicationError("Username or email already taken")
            if User.objects.exists():
                return User.objects.create_user(
                    username=username, email=email, password=password, role=Role.VIEWER
                )
            # The first account administers the server, the Django admin included.
            return User.objects.create_superuser(username=username, email=email, password=password)
    except IntegrityError as exc:
        raise ApplicationError("Username or email already taken") from exc


def _lock_users_table() -> None:
    # Two first registrations at once must still make one admin. SQLite already serialises
    # writers (transaction_mode IMMEDIATE); PostgreSQL needs the table lock.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("LOCK TABLE users IN SHARE ROW EXCLUSIVE MODE")


def user_authenticate(*, request, username: str, password: str) -> User | None:
    """Check a password through Django's backends, so the failed-login lockout applies."""
    return authenticate(request=request, username=username, password=password)


def jwt_pair_for(user: User) -> dict[str, str]:
    """A fresh simplejwt access/refresh pair."""
    refresh = RefreshToken.for_user(user)
    return {"access": str(refresh.access_token), "refresh": str(refresh)}


# Personal API tokens


@dataclass(frozen=True)
class NewApiToken:
    """A token just made: the only moment its clear value exists."""

    token: ApiToken
    raw: str


def api_token_create(*, user: User, name: str, expires_days: int | None) -> NewApiToken:
    """Make a personal token `ifcgit_...`; only its SHA-256 is stored.

    A user holds at most API_TOKENS_PER_USER tokens (expired ones count until deleted).
    """
    raw = PERSONAL_TOKEN_PREFIX + secrets.token_urlsafe(32)
    expires_at = timezone.now() + timedelta(days=expires_days) if expires_days else None
    limit = settings.API_TOKENS_PER_USER
    with transaction.atomic():
        # The user's row is the lock: two requests at once cannot both take the last place.
        User.objects.select_for_update().filter(pk=user.pk).first()
        if ApiToken.objects.filter(user=user).count() >= limit:
            raise ApplicationError(
                f"You already have {limit} personal tokens, the most allowed. "
                "Revoke one you no longer use first."
            )
        token = ApiToken.objects.create(
            user=user, name=name.strip(), token_hash=hash_api_token(raw), expires_at=expires_at
        )
    return NewApiToken(token=token, raw=raw)


def api_token_delete(*, user: User, token_id: str) -> None:
    """Revoke one of the user's own tokens."""
    try:
        uuid.UUID(str(token_id))
    except ValueError as exc:
        raise NotFoundError("Token not found") from exc
    deleted, _ = ApiToken.objects.filter(user=user, pk=token_id).delete()
    if not deleted:
        raise NotFoundError("Token not found")


# Integration settings


def integration_settings_update(*, user: User, changes: dict[str, str | None]) -> User:
    """Apply a settings change: None leaves a field alone, "" clears it, secrets are encrypted."""
    changed = _settings_apply(user, changes)
    if changed:
        user.save(update_fields=changed)
        logger.info("user %s changed settings: %s", user.pk, ", ".join(sorted(changed)))
    return user


def _settings_apply(user: User, changes: dict[str, str | None]) -> list[str]:
    """Validate `changes` and set them on `user` (not saved); the fields changed."""
    cleaned: dict[str, str | None] = {}
    errors: dict[str, list[str]] = {}
    for field, value in changes.items():
        if field not in WRITABLE_SETTINGS:
            raise ValueError(f"{field} is not a writable setting")
        if value is None:
            continue
        try:
            cleaned[field] = _clean_setting(field, value)
        except ValidationError as exc:
            errors[field] = exc.messages
    if errors:
        raise ValidationError(errors)
    for field, value in cleaned.items():
        if field in SECRET_FIELDS and value:
            value = crypto.encrypt_secret(value)
        setattr(user, field, value)
    return list(cleaned)


def _clean_setting(field: str, value: str) -> str | None:
    if value.strip() == "":
        return None
    if field.endswith("_url"):
        return clean_integration_url(value)
    if field in SECRET_FIELDS:
        return clean_bounded_text(value, label="The secret", max_length=MAX_SECRET_LENGTH)
    if field == "erpnext_api_key":
        return clean_bounded_text(value, label="The API key", max_length=MAX_API_KEY_LENGTH)
    return clean_bounded_text(value, label="The username", max_length=MAX_USERNAME_LENGTH)


def erpnext_credentials(*, user: User) -> tuple[str, str, str]:
    """URL, key and decrypted secret of the user's ERPNext, for a call about to be made."""
    if not user.erpnext_configured:
        raise CredentialsNotConfiguredError("ERPNext credentials not configured")
    try:
        secret = crypto.decrypt_secret(user.erpnext_api_secret)
    except crypto.UndecryptableSecret as exc:
        raise UndecryptableSettingError("Failed to decrypt API secret") from exc
    return user.erpnext_url, user.erpnext_api_key, secret


def erpnext_connection_test(*, user: User, changes: dict[str, str | None] | None = None) -> dict:
    """Ask the user's ERPNext who they are (frappe.auth.get_logged_user).

    `changes` (the settings page's typed values, as in integration_settings_update) are tested
    in place of the stored ones and never saved.
    """
    url, key, secret = erpnext_credentials(user=_settings_probe(user, changes))
    return test_erpnext_connection(url, key, secret, policy=outbound_policy())


def nextcloud_connection_test(*, user: User, changes: dict[str, str | None] | None = None) -> dict:
    """Ask the user's Nextcloud who they are (OCS cloud/user); `changes` as for ERPNext."""
    user = _settings_probe(user, changes)
    if not user.nextcloud_configured:
        raise CredentialsNotConfiguredError("Nextcloud credentials not configured")
    try:
        password = crypto.decrypt_secret(user.nextcloud_password)
    except crypto.UndecryptableSecret as exc:
        raise UndecryptableSettingError("Failed to decrypt password") from exc
    return test_nextcloud_connection(
        user.nextcloud_url, user.nextcloud_username, password, policy=outbound_policy()
    )


# "HTTP <status>: <body>" is the API's contract for an error answer; people get a sentence.
_HTTP_ERROR = re.compile(r"^HTTP (\d{3}): ")
_PAGE_SENTENCES = {
    401: "{system} rejected the {credentials} (HTTP 401). Check them and test again.",
    403: "{system} refused the {credentials}, or its user may not use the API (HTTP 403).",
    404: "There is no {system} API at this URL (HTTP 404). Enter the site's address, "
    "such as https://erp.example.com.",
    429: "{system} is limiting requests (HTTP 429). Try again in a minute.",
}


def connection_result_sentence(result: dict, *, system: str) -> dict:
    """The connection test's result for a page: an HTTP error becomes a human sentence.

    The API keeps OpenAEC's `error` string; `system` is "ERPNext" or "Nextcloud".
    """
    match = _HTTP_ERROR.match(result.get("error") or "")
    if result.get("success") or not match:
        return result
    status = int(match.group(1))
    credentials = "API key or secret" if system == "ERPNext" else "user name or password"
    if status in _PAGE_SENTENCES:
        sentence = _PAGE_SENTENCES[status].format(system=system, credentials=credentials)
    elif status >= 500:
        sentence = (
            f"{system} failed while answering (HTTP {status}). Try again later, or ask "
            f"whoever runs {system} to look at its error log."
        )
    else:
        sentence = f"{system} answered with an error (HTTP {status})."
    return {**result, "error": sentence}


# A secret typed on the settings page and tested before it was saved waits in the session,
# encrypted like the stored one, so the page never has to echo it back into the HTML.
_PENDING_KEY = "settings_pending_{field}"


def pending_secret_keep(*, session, field: str, value: str) -> None:
    """Hold a typed, not yet saved secret in the session (encrypted)."""
    session[_PENDING_KEY.format(field=field)] = crypto.encrypt_secret(value)


def pending_secret_get(*, session, field: str) -> str | None:
    """The secret held for `field`, or None (also when no key opens it any more)."""
    token = session.get(_PENDING_KEY.format(field=field))
    if not token:
        return None
    try:
        return crypto.decrypt_secret(token)
    except crypto.UndecryptableSecret:
        return None


def pending_secret_held(*, session, field: str) -> bool:
    """Whether a typed, not yet saved secret waits for `field`."""
    return _PENDING_KEY.format(field=field) in session


def pending_secret_forget(*, session, field: str) -> None:
    """Drop the secret held for `field`."""
    session.pop(_PENDING_KEY.format(field=field), None)


def _settings_probe(user: User, changes: dict[str, str | None] | None) -> User:
    """An unsaved copy of `user` with `changes` applied, for a test before saving."""
    if not changes:
        return user
    probe = copy.copy(user)
    _settings_apply(probe, changes)
    return probe


# Key rotation


@dataclass
class RotationReport:
    """What `rotate_integration_secrets` did."""

    rotated: int = 0
    failed_usernames: list[str] | None = None


def integration_secrets_rotate() -> RotationReport:
    """Re-encrypt every stored secret with the current key; list the rows no key opens."""
    report = RotationReport(failed_usernames=[])
    users = User.objects.exclude(erpnext_api_secret__isnull=True, nextcloud_password__isnull=True)
    for user in users.iterator():
        updates = {}
        failed = False
        for field in SECRET_FIELDS:
            token = getattr(user, field)
            if not token:
                continue
            try:
                updates[field] = crypto.rotate_secret(token)
            except crypto.UndecryptableSecret:
                failed = True
        if updates:
            User.objects.filter(pk=user.pk).update(**updates)
            report.rotated += len(updates)
        if failed:
            report.failed_usernames.append(user.username)
    return report
