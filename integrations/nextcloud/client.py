"""Nextcloud client: the OCS API with basic auth, every call through ``integrations.netguard``."""

from __future__ import annotations

import base64
import json
import logging
import time
from typing import Any
from urllib.parse import urlsplit

import requests

from integrations.netguard import (
    GuardedSession,
    OutboundPolicy,
    OutboundRefused,
    ResponseTooLarge,
    failure_kind,
    safe_session,
    validate_url,
)

logger = logging.getLogger("integrations.nextcloud")

# OCS Provisioning API: the signed-in user (id, display-name, email, ...).
PATH_CURRENT_USER = "/ocs/v1.php/cloud/user"
OCS_OK = (100, 200)  # OCS v1 answers statuscode 100 on success, v2 answers 200
BODY_LIMIT = 500
DEFAULT_RETRIES = 2


class NextcloudError(Exception):
    """A Nextcloud call failed; carries the HTTP status, the cut body and the OCS status code."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        ocs_status: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = (body or "")[:BODY_LIMIT]
        self.ocs_status = ocs_status

    def __str__(self) -> str:
        return f"HTTP {self.status}: {self.message}" if self.status is not None else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, ocs_status={self.ocs_status!r}, "
            f"message={self.message!r})"
        )


class NextcloudAuthError(NextcloudError):
    """User name or password rejected (401, OCS 997)."""


class NextcloudHTTPError(NextcloudError):
    """Nextcloud answered an error status, or an OCS failure inside a 200."""


class NextcloudNetworkError(NextcloudError):
    """No usable HTTP exchange: ``kind`` is "connect", "timeout", "tls" or "refused_address"."""

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind


class NextcloudProtocolError(NextcloudError):
    """Not Nextcloud's OCS JSON: ``kind`` is "not_ocs", "too_large" or "redirect"."""

    def __init__(self, message: str, *, kind: str = "not_ocs", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind


class NextcloudClient:
    """Client for one Nextcloud server, authenticated with a user name and (app) password."""

    def __init__(
        self,
        base_url: str,
        username: str,
        password: str,
        *,
        policy: OutboundPolicy,
        session: requests.Session | None = None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self._base_url = validate_url(base_url)
        self._host = urlsplit(self._base_url).hostname or ""
        if not username or ":" in username or any(ord(ch) < 32 for ch in username):
            raise ValueError("Nextcloud user name is empty or contains ':' or control characters")
        if not password:
            raise ValueError("Nextcloud password is empty")
        self._policy = policy
        if session is not None and not isinstance(session, GuardedSession):
            raise TypeError("session must come from integrations.netguard.safe_session()")
        self._session = session if session is not None else safe_session(policy, retries=retries)
        # Built here rather than by requests, which encodes basic auth as Latin-1 only.
        token = base64.b64encode(f"{username}:{password}".encode()).decode("ascii")
        self._headers = {
            "Authorization": f"Basic {token}",
            "OCS-APIRequest": "true",  # without it Nextcloud's OCS CSRF check refuses the call
            "Accept": "application/json",
        }
        self._redactions = tuple(s for s in (password, token) if len(s) >= 4)

    def __repr__(self) -> str:
        return f"NextcloudClient(host={self._host!r})"

    def __enter__(self) -> NextcloudClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    def get_current_user(self) -> str:
        """Return the display name (or id) of the signed-in user (GET OCS cloud/user)."""
        data = self._request("GET", PATH_CURRENT_USER)
        if not isinstance(data, dict):
            raise NextcloudProtocolError(f"{self._host} answered cloud/user without user data")
        for key in ("display-name", "displayname", "id"):
            value = data.get(key)
            if isinstance(value, str) and value:
                return value
        raise NextcloudProtocolError(f"{self._host} answered cloud/user without an id")

    def _request(self, method: str, path: str) -> Any:
        """Send one OCS call and return ``ocs.data``; every failure becomes a NextcloudError."""
        started = time.monotonic()
        try:
            response = self._session.request(
                method, self._base_url + path, params={"format": "json"}, headers=self._headers
            )
        except (OutboundRefused, ResponseTooLarge, requests.RequestException) as exc:
            error = self._transport_error(exc)
            logger.warning(
                "Nextcloud %s %s%s failed: %s", method, self._host, path, type(error).__name__
            )
            raise error from exc
        logger.info(
            "Nextcloud %s %s%s -> %s in %.0f ms",
            method,
            self._host,
            path,
            response.status_code,
            (time.monotonic() - started) * 1000,
        )
        text = self._redact(response.content.decode(response.encoding or "utf-8", "replace"))
        meta, data = _ocs(text)
        status = response.status_code
        if status == 401:
            message = _meta_message(meta) or "Unauthorized"
            raise NextcloudAuthError(message, status=status, body=text)
        if not 200 <= status < 300:
            message = _meta_message(meta) or response.reason or "error"
            raise NextcloudHTTPError(message, status=status, body=text)
        if meta is None:
            raise NextcloudProtocolError(
                f"{self._host} did not answer with OCS JSON", status=status, body=text
            )
        code = meta.get("statuscode")
        if code not in OCS_OK:
            error_cls = NextcloudAuthError if code == 997 else NextcloudHTTPError
            raise error_cls(
                f"OCS {code}: {_meta_message(meta)}", status=status, body=text, ocs_status=code
            )
        return data

    def _transport_error(self, exc: BaseException) -> NextcloudError:
        kind = failure_kind(exc)
        host = self._host
        if kind == "refused_address":
            return NextcloudNetworkError(str(exc), kind=kind)
        if kind == "too_large":
            limit = self._policy.max_body_bytes
            return NextcloudProtocolError(f"Answer from {host} exceeds {limit} bytes", kind=kind)
        if kind == "redirect":
            return NextcloudProtocolError(f"{host} redirected too often", kind=kind)
        if kind == "tls":
            return NextcloudNetworkError(f"TLS verification failed for {host}", kind=kind)
        if kind == "timeout":
            return NextcloudNetworkError(
                f"Timed out after {self._policy.timeout:g} s waiting for {host}", kind=kind
            )
        return NextcloudNetworkError(f"Cannot connect to {host}", kind="connect")

    def _redact(self, text: str) -> str:
        for secret in self._redactions:
            text = text.replace(secret, "[redacted]")
        return text


def _ocs(text: str) -> tuple[dict[str, Any] | None, Any]:
    """Split an OCS JSON answer into (meta, data); (None, None) when it is not one."""
    try:
        payload = json.loads(text)
    except ValueError:
        return None, None
    ocs = payload.get("ocs") if isinstance(payload, dict) else None
    if not isinstance(ocs, dict) or not isinstance(ocs.get("meta"), dict):
        return None, None
    return ocs["meta"], ocs.get("data")


def _meta_message(meta: dict[str, Any] | None) -> str:
    message = (meta or {}).get("message")
    return message if isinstance(message, str) else ""
