"""Typed errors for ERPNext calls, and the parsing of Frappe's error answers.

Frappe (v14-v16, API v1) answers an exception with JSON built in
``frappe.utils.response.report_error`` and ``frappe.utils.response._make_logs_v1``:
``exc_type`` (the exception class name), ``exception`` (the last traceback line,
``"frappe.exceptions.MandatoryError: ..."``, only when tracebacks are allowed), ``exc``
(a JSON string holding a list of tracebacks) and ``_server_messages`` (a JSON string holding
a list of JSON strings, each a ``msgprint`` dict with a ``message``). The HTTP status is the
exception's ``http_status_code`` (``frappe/exceptions.py``).
"""

from __future__ import annotations

import html
import json
import re
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

BODY_LIMIT = 500

# Exception class names from frappe/exceptions.py, grouped by what the caller can do about them.
AUTH_EXC_TYPES = frozenset(
    {
        "AuthenticationError",
        "SessionExpired",
        "InvalidAuthorizationHeader",
        "InvalidAuthorizationPrefix",
        "InvalidAuthorizationToken",
    }
)
PERMISSION_EXC_TYPES = frozenset({"PermissionError"})
NOT_FOUND_EXC_TYPES = frozenset({"DoesNotExistError", "PageDoesNotExistError"})
# UniqueValidationError is a ValidationError (417) in Frappe but means "that value exists".
CONFLICT_EXC_TYPES = frozenset(
    {"DuplicateEntryError", "TimestampMismatchError", "UniqueValidationError"}
)


class ErpnextError(Exception):
    """An ERPNext call failed; carries the HTTP status, the cut body and Frappe's exc_type."""

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        body: str = "",
        exc_type: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.status = status
        self.body = (body or "")[:BODY_LIMIT]
        self.exc_type = exc_type
        # Names an insert_many() had already created (earlier chunks) when this error was raised.
        self.inserted: list[str] = []
        # ERPNext's alerts of the same request, kept apart from the error's own message.
        self.alerts: list[str] = []

    def __str__(self) -> str:
        head = " ".join(
            part
            for part in (
                f"HTTP {self.status}" if self.status is not None else "",
                self.exc_type or "",
            )
            if part
        )
        return f"{head}: {self.message}" if head else self.message

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status={self.status!r}, exc_type={self.exc_type!r}, "
            f"message={self.message!r})"
        )


class ErpnextAuthError(ErpnextError):
    """The API key or secret was rejected (401; 403 AuthenticationError on some v14 paths)."""


class ErpnextPermissionError(ErpnextError):
    """The user behind the key may not do this (403 PermissionError)."""


class ErpnextNotFound(ErpnextError):
    """The document or DocType does not exist (404 DoesNotExistError)."""


class ErpnextValidationError(ErpnextError):
    """Frappe refused the data (417 ValidationError, MandatoryError, LinkValidationError...)."""


class ErpnextConflict(ErpnextError):
    """The document exists already or changed meanwhile (409, DuplicateEntryError, ...)."""


class ErpnextServerError(ErpnextError):
    """ERPNext or a proxy in front of it failed (5xx)."""


class ErpnextRateLimited(ErpnextError):
    """ERPNext's rate limiter answered 429; ``retry_after`` is in seconds when it said."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ErpnextNetworkError(ErpnextError):
    """No usable HTTP exchange: ``kind`` is "connect", "timeout", "tls" or "refused_address"."""

    def __init__(self, message: str, *, kind: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind

    def __repr__(self) -> str:
        return f"{type(self).__name__}(kind={self.kind!r}, message={self.message!r})"


class ErpnextProtocolError(ErpnextError):
    """The answer was not Frappe's JSON as expected.

    ``kind`` is "not_frappe" (HTML, garbage, missing keys, unexpected status), "too_large"
    (body over the limit) or "redirect" (too many redirects).
    """

    def __init__(self, message: str, *, kind: str = "not_frappe", **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.kind = kind


def parse_json_object(content: bytes) -> dict[str, Any] | None:
    """Return the body as a JSON object, or None when it is not one."""
    try:
        value = json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def frappe_message(payload: dict[str, Any]) -> str:
    """Frappe's human message from an error answer (its alerts left out), or ""."""
    messages = _server_messages(payload.get("_server_messages"))
    errors = [text for text, alert in messages if not alert]
    if errors or messages:
        return "; ".join(errors or [messages[-1][0]])
    exception = payload.get("exception")
    if isinstance(exception, str) and exception.strip():
        # "frappe.exceptions.ValidationError: Value missing" -> "Value missing"
        head, sep, rest = exception.partition(": ")
        return _plain(rest if sep and "." in head and " " not in head else exception)
    for key in ("message", "_error_message"):
        value = payload.get(key)
        if isinstance(value, str) and value.strip():
            return _plain(value)
    return ""


def frappe_alerts(payload: dict[str, Any]) -> list[str]:
    """The alerts riding on an answer (``"alert": 1`` or an indicator other than red), which
    ERPNext sends on successes too ("Valuation Rate not found for item X")."""
    return [text for text, alert in _server_messages(payload.get("_server_messages")) if alert]


def frappe_exc_type(payload: dict[str, Any]) -> str | None:
    """The exception class name: ``exc_type`` (v15+ always), else from ``exception``."""
    exc_type = payload.get("exc_type")
    if isinstance(exc_type, str) and exc_type:
        return exc_type
    exception = payload.get("exception")
    if isinstance(exception, str):
        head = exception.partition(":")[0].strip()
        if head and " " not in head:
            return head.rsplit(".", 1)[-1]
    return None


def _server_messages(raw: Any) -> list[tuple[str, bool]]:
    # _server_messages is a JSON string of a list of JSON strings (frappe.utils.response);
    # each is (text, is_alert). An error's own message comes last, after the request's alerts.
    if not isinstance(raw, str):
        return []
    try:
        items = json.loads(raw)
    except ValueError:
        return [(_plain(raw), False)]
    out = []
    for item in items if isinstance(items, list) else [items]:
        alert = False
        if isinstance(item, str):
            try:
                item = json.loads(item)
            except ValueError:
                out.append((_plain(item), False))
                continue
        if isinstance(item, dict):
            alert = bool(item.get("alert")) or (
                item.get("indicator") not in (None, "red") and not item.get("raise_exception")
            )
            item = item.get("message", "")
        if isinstance(item, str) and item.strip():
            out.append((_plain(item), alert))
    return out


def _plain(text: str) -> str:
    """Strip the HTML Frappe puts in messages (``<b>``, ``<details>``...)."""
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", text)).split())


def parse_retry_after(value: str | None) -> float | None:
    """Seconds from a Retry-After header (delay-seconds or HTTP-date), or None."""
    if not value:
        return None
    try:
        return max(0.0, float(value.strip()))
    except ValueError:
        pass
    try:
        when = parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, (when - datetime.now(UTC)).total_seconds())


def error_from_response(
    status: int,
    body: str,
    payload: dict[str, Any] | None,
    *,
    retry_after: str | None = None,
    reason: str = "",
) -> ErpnextError:
    """Map an unsuccessful HTTP answer to the matching ErpnextError subclass."""
    error = _error_for(status, body, payload, retry_after=retry_after, reason=reason)
    error.alerts = frappe_alerts(payload) if payload else []
    return error


def _error_for(
    status: int,
    body: str,
    payload: dict[str, Any] | None,
    *,
    retry_after: str | None = None,
    reason: str = "",
) -> ErpnextError:
    exc_type = frappe_exc_type(payload) if payload else None
    message = (frappe_message(payload) if payload else "") or reason or _plain(body[:200])
    fields: dict[str, Any] = {"status": status, "body": body, "exc_type": exc_type}
    if status == 429 or exc_type == "TooManyRequestsError":
        # Frappe's rate limiter answers 429 with a plain-text body and Retry-After.
        return ErpnextRateLimited(
            message or "Too Many Requests", retry_after=parse_retry_after(retry_after), **fields
        )
    if exc_type in CONFLICT_EXC_TYPES or status == 409:
        return ErpnextConflict(message, **fields)
    if exc_type in AUTH_EXC_TYPES or status == 401:
        return ErpnextAuthError(message, **fields)
    if exc_type in PERMISSION_EXC_TYPES or status == 403:
        return ErpnextPermissionError(message, **fields)
    if exc_type in NOT_FOUND_EXC_TYPES or status == 404:
        return ErpnextNotFound(message, **fields)
    if status >= 500:
        return ErpnextServerError(message, **fields)
    if status in (400, 417, 422) or (exc_type or "").endswith("Error"):
        return ErpnextValidationError(message, **fields)
    return ErpnextProtocolError(f"Unexpected HTTP {status} answer", **fields)
