"""The failed-login lockout: one rule for every door that checks a password.

It runs inside Django's `authenticate()` (see `backends.LockoutModelBackend`), so the API login,
simplejwt's token pair, the /login page and the admin login all count failures the same way.

- Per address: LOGIN_FAILURE_LIMIT failures within LOGIN_FAILURE_WINDOW lock the address out,
  whichever usernames it tried.
- Per username: once a username has that many failures (from anywhere), only the addresses that
  failed for it are locked out of it. An address that has not failed for the username (the
  owner's) may still sign in, so a guesser cannot lock the owner out; a guesser spread over many
  addresses gets one wrong guess per address per window. This is django-axes' "username and
  address combination" lockout, switched on only while the username is under attack.

State lives in Django's cache (the database cache by default, shared by every process).
"""

import hashlib

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from openaec.exceptions import TooManyRequestsError


class LoginLockedOutError(TooManyRequestsError):
    """Too many failed logins from this address, or for this username from this address."""

    def __init__(self, wait: int) -> None:
        super().__init__(f"Too many failed logins. Try again in {wait} seconds.", retry_after=wait)


def client_address(request) -> str:
    """The address failures count against (the proxy's view when behind one)."""
    if request is None:
        return "unknown"
    return request.META.get("REMOTE_ADDR") or "unknown"


def _keys(*, client_ip: str, username: str) -> tuple[str, str, str]:
    # Hashed: a username is whatever a client typed (NUL bytes, surrogates, 10,000 characters),
    # and a cache key has to be storable by every cache backend.
    name = username.strip().lower().encode("utf-8", "surrogatepass")
    user = hashlib.sha256(name).hexdigest()
    return (
        f"login-fail:ip:{client_ip}",
        f"login-fail:user:{user}",
        f"login-fail:pair:{user}:{client_ip}",
    )


def _recent(key: str, now: float) -> list[float]:
    return [t for t in cache.get(key, []) if t > now - settings.LOGIN_FAILURE_WINDOW]


def login_wait_seconds(*, client_ip: str, username: str) -> int | None:
    """Seconds until this address may try this username again, None when it may now."""
    now = timezone.now().timestamp()
    window = settings.LOGIN_FAILURE_WINDOW
    limit = settings.LOGIN_FAILURE_LIMIT
    ip_key, user_key, pair_key = _keys(client_ip=client_ip, username=username)
    waits = []
    by_ip = _recent(ip_key, now)
    if len(by_ip) >= limit:
        waits.append(by_ip[-limit] + window - now)
    by_user = _recent(user_key, now)
    by_pair = _recent(pair_key, now)
    if len(by_user) >= limit and by_pair:
        # Free again when the username is no longer under attack or this address's own
        # failures for it have expired, whichever comes first.
        waits.append(min(by_user[-limit] + window - now, by_pair[-1] + window - now))
    return int(max(waits)) + 1 if waits else None


def login_failure_record(*, client_ip: str, username: str) -> None:
    """Count one failed login against the address, the username and the pair."""
    now = timezone.now().timestamp()
    window = settings.LOGIN_FAILURE_WINDOW
    for key in _keys(client_ip=client_ip, username=username):
        recent = [*_recent(key, now), now]
        cache.set(key, recent[-settings.LOGIN_FAILURE_LIMIT :], timeout=window)


def check_not_locked_out(*, client_ip: str, username: str) -> None:
    """Raise LoginLockedOutError while this address may not try this username."""
    wait = login_wait_seconds(client_ip=client_ip, username=username)
    if wait is not None:
        raise LoginLockedOutError(wait)
