"""ERPNext client: one class over Frappe's REST API (v1 paths, served by v14, v15 and v16).

Every call goes through ``integrations.netguard`` (address policy, TLS, timeout, body limit)
and one private ``_request()`` that maps every failure to a typed error from ``errors.py``.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import quote, urlsplit

import requests

from integrations.erpnext.errors import (
    ErpnextAuthError,
    ErpnextError,
    ErpnextNetworkError,
    ErpnextPermissionError,
    ErpnextProtocolError,
    error_from_response,
    frappe_alerts,
    parse_json_object,
    parse_retry_after,
)
from integrations.netguard import (
    GuardedSession,
    OutboundPolicy,
    OutboundRefused,
    ResponseTooLarge,
    failure_kind,
    safe_session,
    validate_url,
)

logger = logging.getLogger("integrations.erpnext")

# Frappe endpoints.
PATH_LOGGED_USER = "/api/method/frappe.auth.get_logged_user"  # frappe/auth.py get_logged_user
PATH_RESOURCE = "/api/resource/{doctype}"  # GET: frappe.client.get_list; POST: insert one doc
PATH_RESOURCE_DOC = "/api/resource/{doctype}/{name}"  # GET read, PUT save, DELETE delete
PATH_METHOD = "/api/method/{method}"  # any whitelisted method, answer in "message"
METHOD_INSERT_MANY = "frappe.client.insert_many"  # frappe/client.py: at most 200, one transaction
METHOD_GET_COUNT = "frappe.client.get_count"  # frappe/client.py get_count(doctype, filters)

INSERT_MANY_LIMIT = 200  # frappe.client.insert_many throws above this
DEFAULT_PAGE_SIZE = 500
RATE_LIMIT_MAX_WAIT = 5.0  # seconds: a longer Retry-After is raised to the caller instead
DEFAULT_RETRIES = 2
_METHOD_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.]*$")
_ERROR_TEXT_LIMIT = 4000


class ErpnextClient:
    """Client for one ERPNext site, authenticated with an API key and secret."""

    def __init__(
        self,
        base_url: str,
        api_key: str,
        api_secret: str,
        *,
        policy: OutboundPolicy,
        session: requests.Session | None = None,
        retries: int = DEFAULT_RETRIES,
    ) -> None:
        self._base_url = validate_url(base_url)
        parts = urlsplit(self._base_url)
        # host:port, so that an error names the address tried ("Cannot connect to 127.0.0.1:8010")
        self._host = f"{parts.hostname or ''}:{parts.port}" if parts.port else parts.hostname or ""
        _check_credential(api_key, "API key")
        _check_credential(api_secret, "API secret")
        self._policy = policy
        self._retries = retries
        if session is not None and not isinstance(session, GuardedSession):
            raise TypeError("session must come from integrations.netguard.safe_session()")
        self._session = session if session is not None else safe_session(policy, retries=retries)
        # Token auth (frappe.api.validate_auth_via_api_keys); without Accept: application/json
        # Frappe may answer errors with an HTML page.
        self._headers = {
            "Authorization": f"token {api_key}:{api_secret}",
            "Accept": "application/json",
        }
        self._redactions = tuple(s for s in (api_secret, api_key) if len(s) >= 4)
        # HTTP requests sent by _request() (a 429 re-send counts twice); callers that report
        # their round trips read it. urllib3's own retries of a GET on 502-504 are not seen here.
        self.requests_made = 0
        # ERPNext's alerts on successful answers ("Valuation Rate not found for item X").
        self.alerts: list[str] = []

    def __repr__(self) -> str:
        return f"ErpnextClient(host={self._host!r})"

    def __enter__(self) -> ErpnextClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the pooled connections."""
        self._session.close()

    # ------------------------------------------------------------------ public operations

    def get_logged_user(self) -> str:
        """Return the user the key belongs to (GET frappe.auth.get_logged_user)."""
        try:
            payload = self._request("GET", PATH_LOGGED_USER)
        except ErpnextPermissionError as exc:
            # Any signed-in user may call get_logged_user, so a 403 means Frappe treated us as
            # Guest: v14 does that for a wrong secret (frappe.handler.is_whitelisted).
            raise ErpnextAuthError(
                exc.message, status=exc.status, body=exc.body, exc_type=exc.exc_type
            ) from exc
        user = payload.get("message")
        if not isinstance(user, str) or not user:
            raise self._protocol_error("answered get_logged_user without a 'message'", payload)
        return user

    def get_doc(self, doctype: str, name: str) -> dict[str, Any]:
        """Return one document (GET /api/resource/<doctype>/<name>)."""
        return self._data(self._request("GET", _doc_path(doctype, name)), dict)

    def list_docs(
        self,
        doctype: str,
        *,
        fields: Sequence[str] | None = None,
        filters: Mapping[str, Any] | Sequence[Any] | None = None,
        order_by: str | None = None,
        page_size: int = DEFAULT_PAGE_SIZE,
    ) -> Iterator[dict[str, Any]]:
        """Yield every matching row, paging GET /api/resource/<doctype> until a short page."""
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        params: dict[str, Any] = {
            # Frappe sorts by "modified desc" by default: a row written while we page would
            # move between pages. The unique name gives a stable order.
            "order_by": order_by or "name asc",
            "limit_page_length": page_size,  # Frappe returns 20 rows when not told otherwise
        }
        if fields is not None:
            params["fields"] = json.dumps(list(fields))
        if filters is not None:
            params["filters"] = json.dumps(filters)
        path = PATH_RESOURCE.format(doctype=_segment(doctype))
        start = 0
        while True:
            rows = self._data(self._request("GET", path, params={**params, "limit_start": start}))
            yield from rows
            if len(rows) < page_size:
                return
            start += len(rows)

    def count_docs(
        self, doctype: str, filters: Mapping[str, Any] | Sequence[Any] | None = None
    ) -> int:
        """Count matching documents (GET frappe.client.get_count)."""
        params: dict[str, Any] = {"doctype": doctype}
        if filters is not None:
            params["filters"] = json.dumps(filters)
        payload = self._request("GET", PATH_METHOD.format(method=METHOD_GET_COUNT), params=params)
        count = payload.get("message")
        if not isinstance(count, int) or isinstance(count, bool):
            raise self._protocol_error("answered get_count without a number", payload)
        return count

    def insert_doc(self, doctype: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Insert one document and return it as saved (POST /api/resource/<doctype>)."""
        path = PATH_RESOURCE.format(doctype=_segment(doctype))
        return self._data(self._request("POST", path, json_body=dict(doc)), dict)

    def insert_many(self, docs: Sequence[Mapping[str, Any]]) -> list[str]:
        """Insert documents in batches of 200 (POST frappe.client.insert_many); return names.

        Each batch is one transaction in Frappe (all or nothing). If a later batch fails, the
        error's ``inserted`` lists the names created by the earlier batches.
        """
        for doc in docs:
            if not isinstance(doc.get("doctype"), str) or not doc["doctype"]:
                raise ValueError("every document for insert_many needs a 'doctype'")
        path = PATH_METHOD.format(method=METHOD_INSERT_MANY)
        names: list[str] = []
        for start in range(0, len(docs), INSERT_MANY_LIMIT):
            chunk = [dict(doc) for doc in docs[start : start + INSERT_MANY_LIMIT]]
            try:
                payload = self._request("POST", path, json_body={"docs": chunk})
            except ErpnextError as exc:
                exc.inserted = list(names)
                raise
            created = payload.get("message")
            if not isinstance(created, list) or len(created) != len(chunk):
                error = self._protocol_error("answered insert_many without the new names", payload)
                error.inserted = list(names)
                raise error
            names.extend(str(name) for name in created)
        return names

    def update_doc(self, doctype: str, name: str, fields: Mapping[str, Any]) -> dict[str, Any]:
        """Change fields of a document and return it (PUT /api/resource/<doctype>/<name>)."""
        payload = self._request("PUT", _doc_path(doctype, name), json_body=dict(fields))
        return self._data(payload, dict)

    def submit_doc(self, doctype: str, name: str) -> dict[str, Any]:
        """Submit a draft document (PUT docstatus=1; Document.save() then runs submit)."""
        return self.update_doc(doctype, name, {"docstatus": 1})

    def delete_doc(self, doctype: str, name: str) -> None:
        """Delete a document (DELETE /api/resource/<doctype>/<name>)."""
        self._request("DELETE", _doc_path(doctype, name))

    def call_method(self, method: str, /, *, http_method: str = "POST", **params: Any) -> Any:
        """Call a whitelisted method (/api/method/<method>) and return its ``message``."""
        if not _METHOD_NAME.match(method):
            raise ValueError("method must be a dotted Python path")
        path = PATH_METHOD.format(method=method)
        if http_method.upper() == "GET":
            query = {k: v if isinstance(v, str) else json.dumps(v) for k, v in params.items()}
            return self._request("GET", path, params=query).get("message")
        return self._request(http_method.upper(), path, json_body=params).get("message")

    # ------------------------------------------------------------------ the network

    def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json_body: Any = None,
    ) -> dict[str, Any]:
        """Send one call and return Frappe's JSON object; every failure becomes an ErpnextError."""
        url = self._base_url + path
        # A GET may wait out one short Retry-After; a write is never re-sent (it may have run).
        attempts = 2 if method == "GET" and self._retries > 0 else 1
        for attempt in range(1, attempts + 1):
            started = time.monotonic()
            self.requests_made += 1
            try:
                response = self._session.request(
                    method, url, params=params, json=json_body, headers=self._headers
                )
            except (OutboundRefused, ResponseTooLarge, requests.RequestException) as exc:
                error = self._transport_error(exc)
                logger.warning(
                    "ERPNext %s %s%s failed: %s", method, self._host, path, type(error).__name__
                )
                raise error from exc
            logger.info(
                "ERPNext %s %s%s -> %s in %.0f ms",
                method,
                self._host,
                path,
                response.status_code,
                (time.monotonic() - started) * 1000,
            )
            if response.status_code == 429 and attempt < attempts:
                wait = parse_retry_after(response.headers.get("Retry-After"))
                if wait is not None and wait <= RATE_LIMIT_MAX_WAIT:
                    logger.warning("ERPNext %s rate limited; retrying in %.1f s", self._host, wait)
                    time.sleep(wait)
                    continue
            return self._payload(response)
        raise AssertionError("unreachable")  # pragma: no cover

    def _payload(self, response: requests.Response) -> dict[str, Any]:
        status = response.status_code
        if 200 <= status < 300:
            payload = parse_json_object(response.content)
            if payload is None:
                raise ErpnextProtocolError(
                    f"{self._host} did not answer with Frappe's JSON",
                    status=status,
                    body=self._text(response),
                )
            self.alerts.extend(frappe_alerts(payload))
            return payload
        # Parse the whole body: Frappe's tracebacks ("exc") easily pass any cut we would make.
        text = self._text(response, limit=None)
        raise error_from_response(
            status,
            text[:_ERROR_TEXT_LIMIT],
            parse_json_object(text.encode()),
            retry_after=response.headers.get("Retry-After"),
            reason=response.reason or "",
        )

    def _transport_error(self, exc: BaseException) -> ErpnextError:
        kind = failure_kind(exc)
        host = self._host
        if kind == "refused_address":
            return ErpnextNetworkError(str(exc), kind=kind)
        if kind == "too_large":
            return ErpnextProtocolError(
                f"The answer from {host} is larger than {self._policy.max_body_bytes} bytes",
                kind=kind,
            )
        if kind == "redirect":
            return ErpnextProtocolError(
                f"{host} redirected more than {self._policy.max_redirects} times", kind=kind
            )
        if kind == "tls":
            return ErpnextNetworkError(f"TLS certificate verification failed for {host}", kind=kind)
        if kind == "timeout":
            return ErpnextNetworkError(
                f"Timed out after {self._policy.timeout:g} s waiting for {host}", kind=kind
            )
        return ErpnextNetworkError(f"Cannot connect to {host}", kind="connect")

    # ------------------------------------------------------------------ helpers

    def _data(self, payload: dict[str, Any], expected: type = list) -> Any:
        """The ``data`` key of an /api/resource answer, checked for its type."""
        data = payload.get("data")
        if not isinstance(data, expected):
            raise self._protocol_error("answered without the expected 'data'", payload)
        return data

    def _protocol_error(self, what: str, payload: dict[str, Any]) -> ErpnextProtocolError:
        body = self._redact(json.dumps(payload)[:_ERROR_TEXT_LIMIT])
        return ErpnextProtocolError(f"{self._host} {what}", status=200, body=body)

    def _text(self, response: requests.Response, limit: int | None = _ERROR_TEXT_LIMIT) -> str:
        raw = response.content[:limit]
        return self._redact(raw.decode(response.encoding or "utf-8", errors="replace"))

    def _redact(self, text: str) -> str:
        # A server should never echo credentials; if one does, errors must not carry them.
        for secret in self._redactions:
            text = text.replace(secret, "[redacted]")
        return text


def _check_credential(value: str, label: str) -> None:
    # A newline or space would make requests raise InvalidHeader with the value in its message.
    if not isinstance(value, str) or not value:
        raise ValueError(f"ERPNext {label} is empty")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in value):
        raise ValueError(f"ERPNext {label} contains spaces or control characters")


def _segment(value: str) -> str:
    """Quote a DocType or document name as one path segment ('Item Group', 'A/B')."""
    if not isinstance(value, str) or not value:
        raise ValueError("DocType and document names must be non-empty strings")
    return quote(value, safe="")


def _doc_path(doctype: str, name: str) -> str:
    return PATH_RESOURCE_DOC.format(doctype=_segment(doctype), name=_segment(name))
