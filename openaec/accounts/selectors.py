"""Reads about users and their tokens."""

import hashlib

from django.db.models import Q
from django.utils import timezone

from .models import ApiToken, User


def hash_api_token(raw: str) -> str:
    """SHA-256 hex of a personal token, the only form that is stored."""
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def user_for_api_token(raw: str) -> User | None:
    """The active owner of an unexpired personal token, or None."""
    now = timezone.now()
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_api_token(raw), user__is_active=True)
        .filter(Q(expires_at__isnull=True) | Q(expires_at__gt=now))
        .first()
    )
    if token is None:
        return None
    # Touch at most once a minute: a script hammering the API should not write per request.
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def api_token_list(*, user: User) -> list[ApiToken]:
    """The user's own personal tokens, newest first."""
    return list(ApiToken.objects.filter(user=user))
