"""FrappeDouble: a loopback server speaking Frappe's REST API (v1 paths) as Frappe's source does.

What it follows, by Frappe source file:

* ``frappe/api`` + ``frappe/auth.py``: ``Authorization: token key:secret`` (or ``Basic``
  base64 of key:secret). v15/v16 answer a bad key or secret with 401 AuthenticationError
  (``validate_auth`` raises when a header was sent but the user is still Guest). v14 has no
  such check: an unknown key fails in ``get_decrypted_password`` (401 AuthenticationError), a
  known key with a wrong secret leaves the request as Guest, and the endpoint then refuses
  Guest with 403 PermissionError. No Authorization header at all: Guest, so 403 everywhere.
* ``frappe/app.py handle_exception``: JSON errors when ``Accept`` contains application/json,
  or for ``/api/`` paths whose ``Accept`` does not start with "text" (so a missing Accept still
  gets JSON); otherwise an HTML page ("Not Permitted", "Not Found", ...).
* ``frappe/utils/response.py report_error``: error JSON with ``exc_type``, ``exception`` (last
  traceback line), ``exc`` (JSON list of tracebacks) and ``_server_messages`` (JSON string of
  a list of JSON strings) for errors raised with ``frappe.throw``.
* ``/api/resource/<DocType>``: list with ``fields`` (JSON, default ``["name"]``), ``filters``
  (JSON dict or list), ``order_by`` (default "modified desc"), ``limit_start``,
  ``limit_page_length`` (default 20, 0 = all); POST inserts, ``/<name>`` GET/PUT/DELETE.
* ``frappe/client.py``: ``insert_many`` (at most 200, one transaction), ``get_count``.
* ``frappe/rate_limiter.py``: 429 "Too Many Requests" as plain text with Retry-After (use
  ``inject(retry_after=...)``).

Register more DocTypes with ``register_doctype()`` (mandatory fields -> 417 MandatoryError,
links -> 417 LinkValidationError, select options, child tables, naming, role permissions,
Data fields, and behaviour as validate/on_update/on_submit/on_cancel hooks), or call
``register_stock_doctypes()`` for ERPNext's doctypes as tests/erpnext_double/erpnext.py
declares them (UOM, Item, BOM, Supplier, Purchase Order, Material Request, Budget, ...).
``erpnext.recorded_site()`` is a double seeded like the recorded ERPNext 15 site.
"""

from __future__ import annotations

import base64
import binascii
import copy
import datetime as dt
import hashlib
import hmac
import html
import json
import re
import secrets
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, unquote

import requests

from tests.erpnext_double.loopback import Fault, LoopbackDouble, RecordedRequest, Reply

Naming = str | Callable[[dict[str, Any], Mapping[str, dict[str, Any]]], str]
Hook = Callable[["FrappeDouble", dict[str, Any], str, "Mapping[str, Any] | None"], None]
SYSTEM_MANAGER = "System Manager"

STANDARD_FIELDS = (
    "name",
    "owner",
    "creation",
    "modified",
    "modified_by",
    "docstatus",
    "idx",
    "doctype",
)
OPERATORS = (
    "=",
    "!=",
    ">",
    "<",
    ">=",
    "<=",
    "like",
    "not like",
    "in",
    "not in",
    "is",
    "between",
)
INSERT_MANY_LIMIT = 200
WEBHOOK_SECRET_HEADER = "X-Frappe-Webhook-Signature"  # frappe/integrations/doctype/webhook
# What the README's Webhook JSON template sends for a Project.
WEBHOOK_FIELDS = (
    "doctype",
    "name",
    "project_name",
    "status",
    "percent_complete",
    "expected_start_date",
    "expected_end_date",
    "modified",
)
DEFAULT_PAGE_LENGTH = 20
# Exception classes by HTTP status (frappe/exceptions.py), for injected statuses without a body.
EXC_TYPE_BY_STATUS = {
    400: "ValidationError",
    401: "AuthenticationError",
    403: "PermissionError",
    404: "DoesNotExistError",
    409: "DuplicateEntryError",
    417: "ValidationError",
    500: "Exception",
}
HTML_PAGES = {  # frappe/app.py handle_exception, for requests that did not ask for JSON
    401: ("Session Expired", "Your session has expired, please login again to continue."),
    403: ("Not Permitted", "You do not have enough permissions to complete the action"),
    404: ("Not Found", "The resource you are looking for is not available"),
}


class FrappeException(Exception):
    """An exception as Frappe raises it: class name, HTTP status, message.

    ``title`` is the msgprint title; ``plain`` drops ``indicator``/``raise_exception`` from the
    message (MandatoryError, permission and unique errors look so); ``bare`` leaves out the
    ``exception``/``exc`` keys (most 404s and some 403s); ``error_message`` is
    ``_error_message`` (permission errors); ``source`` is ``_exc_source``.
    """

    def __init__(
        self,
        exc_type: str,
        message: str = "",
        status: int = 417,
        *,
        messages: Sequence[str] | None = None,
        thrown: bool = True,
        title: str = "Message",
        plain: bool = False,
        bare: bool = False,
        error_message: str | None = None,
        source: str | None = None,
        exception: str | None = None,
    ) -> None:
        super().__init__(message)
        self.exc_type = exc_type
        self.message = message
        self.status = status
        # frappe.throw() adds a msgprint (-> _server_messages); a bare raise does not.
        self.messages = list(messages) if messages is not None else ([message] if thrown else [])
        self.title = title
        self.plain = plain
        self.bare = bare
        self.error_message = error_message
        self.source = source
        self.exception = exception  # the text after "ExcClass: " when it is not the message


@dataclass
class DocTypeSpec:
    """How the double validates and names documents of one DocType."""

    name: str
    naming: Naming = "hash"  # "field:<fieldname>", "series:PROJ-.####", "hash" or a callable
    mandatory: tuple[str, ...] = ()
    links: Mapping[str, str] = field(default_factory=dict)  # fieldname -> linked DocType
    selects: Mapping[str, tuple[str, ...]] = field(default_factory=dict)  # fieldname -> options
    defaults: Mapping[str, Any] = field(default_factory=dict)
    child_tables: Mapping[str, DocTypeSpec] = field(default_factory=dict)  # fieldname -> spec
    submittable: bool = False
    labels: Mapping[str, str] = field(default_factory=dict)
    # Behaviour, as the doctype's controller has it: validate runs before the link checks
    # (ERPNext's set_missing_values), on_update after them, on_submit/on_cancel on those
    # transitions; each is hook(double, doc, user, previous) and may change doc or raise.
    validate: Hook | None = None
    on_update: Hook | None = None
    on_submit: Hook | None = None
    on_cancel: Hook | None = None
    on_update_after_submit: Hook | None = None
    # Role permissions: "read"/"create"/"write"/"submit"/"cancel"/"delete" -> roles allowed.
    # None: every signed-in user may (the double's old behaviour).
    permissions: Mapping[str, tuple[str, ...]] | None = None
    data_fields: tuple[str, ...] = ()  # Data fields: HTML-escaped when they look like HTML
    unique: tuple[str, ...] = ()  # unique non-key fields: 417 UniqueValidationError
    allow_on_submit: tuple[str, ...] = ()

    def label(self, fieldname: str) -> str:
        """Field label as Frappe shows it in messages."""
        return self.labels.get(fieldname) or fieldname.replace("_", " ").title()


MethodHandler = Callable[["FrappeDouble", dict[str, Any], str], Any]


@dataclass
class _Method:
    handler: MethodHandler
    http_methods: tuple[str, ...]
    allow_guest: bool


class FrappeDouble(LoopbackDouble):
    """Loopback Frappe/ERPNext site with an in-memory store per DocType."""

    def __init__(
        self,
        *,
        version: int = 15,
        api_key: str = "test-api-key",
        api_secret: str = "test-api-secret",
        user: str = "Administrator",
        company: str = "OpenAEC Demo",
        allow_traceback: bool = True,
        **kwargs: Any,
    ) -> None:
        if version not in (14, 15, 16):
            raise ValueError("version must be 14, 15 or 16")
        super().__init__(**kwargs)
        self.version = version
        self.api_key = api_key
        self.api_secret = api_secret
        self.user = user
        self.company = company
        self.allow_traceback = allow_traceback  # System Settings "allow_error_traceback"
        self._credentials: dict[str, tuple[str, str]] = {api_key: (api_secret, user)}
        self._roles: dict[str, frozenset[str]] = {}  # user -> roles; absent: System Manager
        self._local = threading.local()  # messages (alerts) of the request being handled
        self._specs: dict[str, DocTypeSpec] = {}
        self._store: dict[str, dict[str, dict[str, Any]]] = {}
        self._series: dict[str, int] = {}
        self._forbidden: set[str] = set()
        self._clock = dt.datetime(2025, 1, 6, 9, 0, 0)
        self._methods: dict[str, _Method] = {}
        self.webhook_log: list[tuple[int | None, str]] = []  # send_webhook's tries
        self.settings: dict[str, Any] = {}  # site settings hooks read (default_warehouse, ...)
        self._register_core()

    # ------------------------------------------------------------------ setup API

    def add_api_user(
        self, api_key: str, api_secret: str, user: str, *, roles: Sequence[str] | None = None
    ) -> None:
        """Accept another key/secret pair, authenticating as ``user``; ``roles`` limits what the
        user may do on doctypes that declare permissions (None: System Manager)."""
        with self._lock:
            self._credentials[api_key] = (api_secret, user)
            if roles is not None:
                self._roles[user] = frozenset((*roles, "All", "Guest", "Desk User"))
            if user not in self._store["User"]:
                self._insert("User", {"email": user, "first_name": user}, "Administrator")

    def register_doctype(self, spec: DocTypeSpec | str, **options: Any) -> DocTypeSpec:
        """Add a DocType: ``register_doctype("UOM", naming="field:uom_name", mandatory=(...))``."""
        if isinstance(spec, str):
            spec = DocTypeSpec(spec, **options)
        with self._lock:
            self._specs[spec.name] = spec
            self._store.setdefault(spec.name, {})
        return spec

    def register_method(
        self,
        name: str,
        handler: MethodHandler,
        *,
        http_methods: Sequence[str] = ("GET", "POST"),
        allow_guest: bool = False,
    ) -> None:
        """Serve ``/api/method/<name>``: ``handler(double, params, user)`` returns the message.

        The handler may raise FrappeException to answer an error.
        """
        self._methods[name] = _Method(handler, tuple(m.upper() for m in http_methods), allow_guest)

    def set_roles(self, user: str, roles: Sequence[str] | None) -> None:
        """Give a user these roles (None: System Manager again)."""
        with self._lock:
            if roles is None:
                self._roles.pop(user, None)
            else:
                self._roles[user] = frozenset((*roles, "All", "Guest", "Desk User"))

    def msgprint(
        self,
        message: str,
        *,
        title: str = "Message",
        alert: bool = False,
        indicator: str | None = None,
    ) -> None:
        """Add a message to the answer of the request being handled (frappe.msgprint): it
        rides on a success in ``_server_messages`` and precedes the error of a failure."""
        entry: dict[str, Any] = {"message": message, "title": title}
        if indicator:
            entry["indicator"] = indicator
        if alert:
            entry["alert"] = 1
        messages = getattr(self._local, "messages", None)
        if messages is not None:
            messages.append(entry)

    def forbid(self, doctype: str) -> None:
        """Answer 403 PermissionError for any access to this DocType."""
        with self._lock:
            self._forbidden.add(doctype)

    def add_doc(self, doctype: str, doc: Mapping[str, Any]) -> dict[str, Any]:
        """Insert a document as the API would (validated, named); return a copy."""
        with self._lock:
            return copy.deepcopy(self._insert(doctype, dict(doc), self.user))

    def docs(self, doctype: str) -> list[dict[str, Any]]:
        """Copies of every stored document of a DocType, in insertion order."""
        with self._lock:
            return copy.deepcopy(list(self._store[doctype].values()))

    def get_doc(self, doctype: str, name: str) -> dict[str, Any] | None:
        """A copy of one stored document, or None."""
        with self._lock:
            doc = self._store.get(doctype, {}).get(name)
            return copy.deepcopy(doc) if doc is not None else None

    def drop_project_default_company(self) -> None:
        """Act like a site without a default Company: a Project must then name its company
        (ERPNext's Project.company is mandatory; user or global defaults usually fill it)."""
        with self._lock:
            spec = self._specs["Project"]
            spec.defaults = {k: v for k, v in spec.defaults.items() if k != "company"}

    def set_doc(self, doctype: str, name: str, **changes: Any) -> dict[str, Any]:
        """Change a stored document as a desk user saving it would (new ``modified``)."""
        with self._lock:
            return copy.deepcopy(self._update(doctype, name, changes, self.user))

    def webhook_delivery(
        self,
        doctype: str,
        name: str,
        *,
        secret: str | None,
        fields: Sequence[str] = WEBHOOK_FIELDS,
        data: Mapping[str, Any] | None = None,
    ) -> tuple[bytes, dict[str, str]]:
        """Body and headers of a Webhook delivery for a stored document, built and signed as
        frappe/integrations/doctype/webhook/webhook.py does: the body is
        ``json.dumps(data, default=str)``; with a secret, ``X-Frappe-Webhook-Signature`` is
        base64(HMAC-SHA256(secret, json.dumps(data))). ``data`` replaces the document's fields.
        """
        if data is None:
            doc = self.get_doc(doctype, name)
            if doc is None:
                raise KeyError(f"{doctype} {name} not found")
            data = {key: doc.get(key) for key in fields}
        headers: dict[str, str] = {}
        if secret is not None:
            signature = base64.b64encode(
                hmac.new(
                    secret.encode("utf8"), json.dumps(data).encode("utf8"), hashlib.sha256
                ).digest()
            )
            headers[WEBHOOK_SECRET_HEADER] = signature.decode()
        return json.dumps(data, default=str).encode(), headers

    def send_webhook(
        self,
        target_url: str,
        doctype: str,
        name: str,
        *,
        secret: str | None,
        sleep_scale: float = 1.0,
        timeout: float = 5,
        **options: Any,
    ) -> requests.Response:
        """POST a delivery to ``target_url`` as Frappe's enqueue_webhook does: up to 3 tries,
        a non-2xx answer or an error is retried after sleeping 1, 4 and 7 s (3*i + 1; times
        ``sleep_scale`` here), a read timeout at once. Each try lands in ``webhook_log``
        (Frappe's Webhook Request Log) as (status or None, error text). Returns the last
        answer; raises the last error when no try got one."""
        body, headers = self.webhook_delivery(doctype, name, secret=secret, **options)
        response: requests.Response | None = None
        error: Exception | None = None
        for attempt in range(3):
            try:
                response = requests.request(
                    "POST", target_url, data=body, headers=headers, timeout=timeout
                )
                response.raise_for_status()
                self.webhook_log.append((response.status_code, ""))
                return response
            except requests.exceptions.ReadTimeout as exc:
                error = exc
                self.webhook_log.append((None, repr(exc)))
            except requests.RequestException as exc:
                error = exc
                status = exc.response.status_code if exc.response is not None else None
                self.webhook_log.append((status, repr(exc)))
                time.sleep((3 * attempt + 1) * sleep_scale)
        if response is not None:
            return response
        assert error is not None
        raise error

    def register_stock_doctypes(self) -> None:
        """Declare ERPNext's doctypes (tests/erpnext_double/erpnext.py: UOM, Item Group, Item,
        BOM, Supplier, Purchase Order, ...) with All Item Groups and a few UOMs."""
        from tests.erpnext_double.erpnext import register_erpnext, seed_stock_basics

        register_erpnext(self)
        seed_stock_basics(self)

    def _register_core(self) -> None:
        self.register_doctype(
            "User",
            naming="field:email",
            mandatory=("email", "first_name"),
            defaults={"enabled": 1, "user_type": "System User"},
        )
        self.register_doctype(
            "Company",
            naming="field:company_name",
            mandatory=("company_name", "default_currency"),
            defaults={"default_currency": "EUR", "country": "Netherlands"},
        )
        self.register_doctype(
            "Project",
            naming="series:PROJ-.####",  # ERPNext's Project naming_series
            mandatory=("project_name", "company"),
            links={"company": "Company"},
            selects={"status": ("Open", "Completed", "Cancelled")},
            data_fields=("project_name",),  # stored HTML-escaped when it looks like HTML
            unique=("project_name",),
            labels={"project_name": "Project Name"},
            defaults={
                "status": "Open",
                "percent_complete": 0,
                "company": self.company,
                "is_active": "Yes",
            },
        )
        with self._lock:
            self._store["User"]["Administrator"] = self._stamp(
                {"email": "admin@example.com", "first_name": "Administrator", "enabled": 1},
                "User",
                "Administrator",
                "Administrator",
            )
            if self.user != "Administrator":
                self._insert("User", {"email": self.user, "first_name": self.user}, "Administrator")
            self._insert("Company", {"company_name": self.company, "abbr": "OD"}, "Administrator")
        self.register_method("frappe.auth.get_logged_user", lambda d, p, user: user)
        self.register_method("frappe.client.get_count", _get_count)
        self.register_method("frappe.client.get_list", _get_list)
        self.register_method("frappe.client.get", _client_get)
        self.register_method("frappe.client.get_value", _get_value)
        self.register_method("frappe.client.insert", _client_insert, http_methods=("POST",))
        self.register_method("frappe.client.submit", _client_submit, http_methods=("POST",))
        self.register_method("frappe.client.cancel", _client_cancel, http_methods=("POST",))
        self.register_method("frappe.client.has_permission", _client_has_permission)
        self.register_method("ping", lambda d, p, user: "pong", allow_guest=True)
        # frappe/integrations/doctype/webhook: only a System Manager may read it.
        self.register_doctype(
            "Webhook",
            naming="hash",  # the given "name" (Frappe's prompt), else a hash
            mandatory=("webhook_doctype", "request_url"),
            defaults={"enabled": 1, "enable_security": 0, "webhook_docevent": "on_update"},
            permissions={},
        )
        self.register_method(
            "frappe.client.insert_many", _insert_many, http_methods=("POST", "PUT")
        )

    # ------------------------------------------------------------------ HTTP

    def handle(self, request: RecordedRequest) -> Reply:
        """Route one request the way frappe.api does."""
        self._local.messages = []
        try:
            if not request.path.startswith("/api/"):
                raise FrappeException("PageDoesNotExistError", "Page not found", 404)
            user = self._authenticate(request)
            if request.path.startswith("/api/method/"):
                return self._call_method(
                    request, unquote(request.path[len("/api/method/") :]), user
                )
            if request.path.startswith("/api/resource/"):
                if request.method == "OPTIONS":  # CORS preflight: an empty 200
                    return Reply.text(200, "")
                return self._resource(request, request.path[len("/api/resource/") :], user)
            raise FrappeException("DoesNotExistError", status=404, thrown=False, bare=True)
        except FrappeException as exc:
            return self.exception_reply(exc, request)

    def error_reply(self, status: int, request: RecordedRequest, fault: Fault) -> Reply:
        """Injected status without a body: Frappe's JSON error, or a proxy page for 502-504."""
        if status in (502, 503, 504):  # nginx in front of gunicorn, not Frappe, answers these
            return Reply.text(
                status,
                f"<html><head><title>{status} Bad Gateway</title></head><body>"
                f"<center><h1>{status} Bad Gateway</h1></center><hr><center>nginx</center>"
                "</body></html>",
                "text/html",
            )
        if status == 429:
            return Reply.text(429, "Too Many Requests")
        exc_type = fault.extra.get("exc_type") or EXC_TYPE_BY_STATUS.get(status, "Exception")
        message = fault.extra.get("message", f"{exc_type} injected by the test")
        return self.exception_reply(FrappeException(exc_type, message, status), request)

    def inject(self, path_prefix: str | None = None, **kwargs: Any) -> Fault:
        """LoopbackDouble.inject, plus ``exc_type=`` and ``message=`` for Frappe error bodies."""
        if ("exc_type" in kwargs or "message" in kwargs) and kwargs.get("status") is None:
            kwargs["status"] = 417
        return super().inject(path_prefix, **kwargs)

    def html_page(self, status: int, request: RecordedRequest) -> bytes:
        """Frappe's message page (frappe.respond_as_web_page) or its login page for a 200."""
        if status == 200:
            title, message = "Login", "<form id='login'>Login to ERPNext</form>"
        else:
            title, message = HTML_PAGES.get(status, ("Server Error", "<pre>Traceback</pre>"))
        return (
            "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
            f"<title>{title}</title></head><body><div class='page-card'>"
            f"<h4 class='page-card-head'>{title}</h4><p>{message}</p></div></body></html>"
        ).encode()

    def exception_reply(self, exc: FrappeException, request: RecordedRequest) -> Reply:
        """Answer an exception as frappe.app.handle_exception does."""
        accept = request.headers.get("Accept") or ""
        wants_json = (
            accept
            and (
                "application/json" in accept
                or request.headers.get("X-Requested-With") == "XMLHttpRequest"
            )
        ) or (request.path.startswith("/api/") and not accept.startswith("text"))
        if not wants_json:
            return Reply(
                exc.status,
                self.html_page(exc.status, request),
                {"Content-Type": "text/html; charset=utf-8"},
            )
        return Reply.json(exc.status, self.error_payload(exc))

    def error_payload(self, exc: FrappeException) -> dict[str, Any]:
        """The JSON body of an error (frappe.utils.response.report_error, API v1)."""
        # Key order as Frappe sends it: exception, exc_type, _exc_source, exc, messages.
        payload: dict[str, Any] = {}
        trace = ""
        if self.allow_traceback and not exc.bare:
            last = f"frappe.exceptions.{exc.exc_type}"
            detail = exc.exception if exc.exception is not None else exc.message
            if detail:
                last += f": {detail}"
            trace = (
                f'Traceback (most recent call last):\n  File "apps/frappe/frappe/app.py"\n{last}'
            )
            payload["exception"] = last
        payload["exc_type"] = exc.exc_type
        if exc.source:
            payload["_exc_source"] = exc.source
        if trace:
            payload["exc"] = json.dumps([trace])
        entries = list(getattr(self._local, "messages", None) or [])
        for message in exc.messages:
            entry: dict[str, Any] = {"message": message, "title": exc.title}
            if not exc.plain:
                entry.update(
                    indicator="red", raise_exception=1, __frappe_exc_id=secrets.token_hex(28)
                )
            entries.append(entry)
        if entries:
            payload["_server_messages"] = json.dumps([json.dumps(e) for e in entries])
        if exc.error_message:
            payload["_error_message"] = exc.error_message
        return payload

    def success(self, payload: dict[str, Any], status: int = 200) -> Reply:
        """A success, with the request's messages (alerts) in ``_server_messages`` first."""
        entries = getattr(self._local, "messages", None) or []
        if entries:
            payload = {"_server_messages": json.dumps([json.dumps(e) for e in entries]), **payload}
        return Reply.json(status, payload)

    # ------------------------------------------------------------------ permissions

    def roles_of(self, user: str) -> frozenset[str] | None:
        """The user's roles, or None for a System Manager (may do everything)."""
        return self._roles.get(user)

    def has_permission(self, doctype: str, op: str, user: str) -> bool:
        """Whether role permissions let ``user`` do ``op`` on ``doctype``."""
        if user == "Guest":
            return False
        roles = self._roles.get(user)
        spec = self._specs.get(doctype)
        if roles is None or spec is None or spec.permissions is None:
            return True
        return bool(roles & set(spec.permissions.get(op, ())))

    def check_permission(self, doctype: str, op: str, user: str, *, name: str = "") -> None:
        """403 PermissionError as frappe.has_permission raises it for a missing role."""
        if doctype in self._forbidden and user != "Guest":
            raise FrappeException("PermissionError", f"No permission for {doctype}", 403)
        if self.has_permission(doctype, "read" if op == "get" else op, user):
            return
        message = (
            f"User <strong>{html.escape(user)}</strong> does not have doctype access via role "
            f"permission for document <strong>{html.escape(doctype)}</strong>"
        )
        if name:  # a document read: Frappe adds a second line and no _error_message
            message += (
                f"<br>User <strong>{html.escape(user)}</strong> does not have access to this "
                "document"
            )
        raise FrappeException(
            "PermissionError",
            "",
            403,
            messages=[message],
            plain=True,
            bare=op not in ("read",),  # reads carry "exception"; writes do not
            error_message=None if name else f"No permission for {doctype}",
        )

    # ------------------------------------------------------------------ auth

    def _authenticate(self, request: RecordedRequest) -> str:
        parts = (request.headers.get("Authorization") or "").split(" ")
        if len(parts) != 2:
            return "Guest"
        scheme, token = parts
        try:
            if scheme.lower() == "basic":
                key, secret = base64.b64decode(token).decode().split(":")
            elif scheme.lower() == "token":
                key, secret = token.split(":")
            else:
                raise ValueError(scheme)
        except (ValueError, binascii.Error, UnicodeDecodeError):
            key, secret = "", None
        known = self._credentials.get(key)
        if known and known[0] == secret:
            return known[1]
        if self.version >= 15:
            # frappe.auth.validate_auth: header sent, user still Guest -> bare AuthenticationError
            raise FrappeException("AuthenticationError", status=401, thrown=False)
        if key and not known:
            # v14 validate_api_key_secret -> get_decrypted_password(User, None) throws
            raise FrappeException(
                "AuthenticationError", "Password not found for User None api_secret", 401
            )
        return "Guest"  # v14 with a wrong secret: the endpoint refuses Guest below

    # ------------------------------------------------------------------ /api/method

    def _call_method(self, request: RecordedRequest, name: str, user: str) -> Reply:
        method = self._methods.get(name)
        if method is None:
            app = name.split(".")[0]
            reason = (
                f"App {app} is not installed"
                if app not in ("frappe", "erpnext")
                else f"No module named '{name}'"
            )
            raise FrappeException(
                "ValidationError",
                f"Failed to get method for command {name} with {reason}",
                messages=[reason, f"Failed to get method for command {name} with {reason}"]
                if app not in ("frappe", "erpnext")
                else None,
            )
        if user == "Guest" and not method.allow_guest:
            # frappe.handler.is_whitelisted for Guest
            raise FrappeException(
                "PermissionError",
                "<details><summary>You are not permitted to access this resource. Login to "
                f"access</summary>Function <strong>{html.escape(name)}</strong> is not "
                "whitelisted.</details>",
                403,
                title="Method Not Allowed",
            )
        if request.method not in method.http_methods:
            raise FrappeException("PermissionError", "Not permitted", 403)
        with self._lock:
            message = method.handler(self, _form_dict(request), user)
        return self.success({} if message is None else {"message": message})

    # ------------------------------------------------------------------ /api/resource

    def _resource(self, request: RecordedRequest, rest: str, user: str) -> Reply:
        doctype_raw, _, name_raw = rest.partition("/")
        doctype, name = unquote(doctype_raw), unquote(name_raw)
        with self._lock:
            if doctype not in self._specs:
                raise FrappeException(
                    "DoesNotExistError", f"DocType {doctype} not found", 404, bare=True
                )
            if not name:
                if request.method == "GET":
                    self.check_permission(doctype, "read", user)
                    params = _form_dict(request)
                    rows = self._list(doctype, params)
                    if str(params.get("as_dict", "1")) in ("0", "false", "False"):
                        rows = [list(row.values()) for row in rows]
                    return self.success({"data": rows})
                if request.method == "POST":
                    data = _form_dict(request)
                    if isinstance(data.get("data"), str):  # the legacy data=<json> form field
                        legacy = _json_param(data.pop("data"))
                        data = {**data, **legacy}
                    doc = self.insert_as(doctype, data, user)
                    return self.success({"data": self.as_response(doc)})
            elif request.method == "GET":
                if name in self._store[doctype]:
                    self.check_permission(doctype, "read", user, name=name)
                else:  # no document to check: the doctype check, as for a write
                    self.check_permission(doctype, "get", user)
                return self.success({"data": self.as_response(self._existing(doctype, name))})
            elif request.method == "PUT":
                doc = self.update_as(doctype, name, _form_dict(request), user)
                return self.success({"data": self.as_response(doc)})
            elif request.method == "DELETE":
                self.check_permission(doctype, "delete", user)
                if name not in self._store[doctype]:  # frappe.delete_doc: a bare raise
                    raise FrappeException("DoesNotExistError", status=404, thrown=False, bare=True)
                self._delete(doctype, name)
                body = {"message": "ok"} if self.version == 14 else {"data": "ok"}
                return self.success(body, 202)
        raise FrappeException("PermissionError", "Not permitted", 403)

    def insert_as(self, doctype: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        """Insert as ``user`` would: role permissions first, then validation; all or nothing."""
        if doctype not in self._specs:
            raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
        self.check_permission(doctype, "create", user)
        if int(data.get("docstatus") or 0) == 1:
            self.check_permission(doctype, "submit", user)
        return self._atomic(lambda: self._insert(doctype, dict(data), user))

    def update_as(self, doctype: str, name: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        """Save changes as ``user`` would (write, or submit/cancel for docstatus moves)."""
        self.check_permission(doctype, "write", user)
        target = data.get("docstatus")
        if target is not None and int(target) in (1, 2):
            self.check_permission(doctype, "submit" if int(target) == 1 else "cancel", user)
        return self._atomic(lambda: self._update(doctype, name, dict(data), user))

    def _atomic(self, write: Callable[[], dict[str, Any]]) -> dict[str, Any]:
        # One request is one transaction in Frappe: a failure rolls every change back.
        # Stored documents are replaced, never changed in place (hooks use patch_doc), so a
        # shallow copy of each table is a snapshot.
        snapshot = ({k: dict(v) for k, v in self._store.items()}, dict(self._series), self._clock)
        try:
            return write()
        except Exception:
            self._store, self._series, self._clock = snapshot
            raise

    def patch_doc(self, doctype: str, name: str, **changes: Any) -> dict[str, Any]:
        """Change stored fields without a save (frappe.db.set_value: ``modified`` kept)."""
        doc = {**self._store[doctype][name], **changes}
        self._store[doctype][name] = doc
        return doc

    def as_response(self, doc: Mapping[str, Any]) -> dict[str, Any]:
        """A stored document as /api/resource answers it: fields whose value is null are
        left out (frappe.api.v1 returns doc.as_dict(no_nulls=True))."""
        out = {k: copy.deepcopy(v) for k, v in doc.items() if v is not None}
        for key, value in out.items():
            if isinstance(value, list):
                out[key] = [
                    {k: v for k, v in row.items() if v is not None}
                    if isinstance(row, dict)
                    else row
                    for row in value
                ]
        return out

    def _existing(self, doctype: str, name: str) -> dict[str, Any]:
        doc = self._store[doctype].get(name)
        if doc is None:
            # frappe.get_doc -> DoesNotExistError, answered without the traceback keys
            raise FrappeException(
                "DoesNotExistError", f"{doctype} {name} not found", 404, bare=True
            )
        return doc

    def _list(self, doctype: str, params: Mapping[str, Any]) -> list[dict[str, Any]]:
        fields = _json_param(params.get("fields")) or ["name"]
        if isinstance(fields, str):
            fields = [fields]
        filters = _normalize_filters(params.get("filters"))
        tests = [self._condition(doctype, *f) for f in filters]
        rows = [d for d in self._store[doctype].values() if all(t(d) for t in tests)]
        for fieldname, descending in reversed(_order(params.get("order_by") or "modified desc")):
            rows.sort(key=lambda d, f=fieldname: _sort_key(d.get(f)), reverse=descending)
        start = int(params.get("limit_start") or 0)
        length = int(
            params.get("limit_page_length")
            or params.get("limit")
            or params.get("page_length")
            or (0 if "limit_page_length" in params else DEFAULT_PAGE_LENGTH)
        )
        spec = self._specs[doctype]
        tables = {f.split(".", 1)[0] for f in fields if "." in f and "`" not in f}
        tables &= set(spec.child_tables)
        if not tables:
            rows = rows[start : start + length] if length else rows[start:]
            return [_select(row, fields) for row in rows]
        # "items.qty": frappe.model.db_query LEFT JOINs the child table: one row per child row
        # (a parent without rows gives one row of nulls), a filter on that child doctype is
        # tested per row, and the limit counts joined rows. Child keys lose the table prefix
        # ("items.name" overwrites "name").
        table = sorted(tables)[0]
        child_doctype = spec.child_tables[table].name
        row_tests = [_condition(f, op, v) for t, f, op, v in filters if t == child_doctype]
        out = []
        for row in rows:
            for child in row.get(table) or [{}]:
                if not all(test(child) for test in row_tests):
                    continue
                picked: dict[str, Any] = {}
                for field_ in fields:
                    if field_.startswith(f"{table}."):
                        picked.update(_select(child, [field_[len(table) + 1 :]]))
                    else:
                        picked.update(_select(row, [field_]))
                out.append(picked)
        return out[start : start + length] if length else out[start:]

    def _condition(
        self, doctype: str, table: str | None, field: str, op: str, value: Any
    ) -> Callable[[Mapping[str, Any]], bool]:
        """One filter as a test of a document. A filter naming a child doctype
        (``[child, field, op, value]``) matches a document with at least one such row."""
        test = _condition(field, op, value)
        if table in (None, doctype):
            return test
        spec = self._specs.get(doctype)
        tables = [f for f, c in (spec.child_tables if spec else {}).items() if c.name == table]
        if not tables:
            raise FrappeException("DataError", f"Field not permitted in query: {table}")
        return lambda doc: any(test(row) for f in tables for row in doc.get(f) or [])

    # ------------------------------------------------------------------ writes

    def _insert(self, doctype: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        spec = self._specs.get(doctype)
        if spec is None:
            raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
        doc = {k: v for k, v in data.items() if k not in STANDARD_FIELDS}
        docstatus = int(data.get("docstatus") or 0)
        for key, value in spec.defaults.items():
            if doc.get(key) in (None, ""):
                doc[key] = value
        naming = spec.naming
        if isinstance(naming, str) and naming.startswith("field:"):
            key = naming[len("field:") :]
            if doc.get(key) in (None, ""):  # frappe.model.naming: set_name_from_naming_options
                raise FrappeException("ValidationError", f"{spec.label(key)} is required")
        # Frappe names the document before it validates (messages name it; a failed
        # insert rolls the series counter back with the request).
        name = self._amended_name(spec, doc) or self._new_name(spec, doc, data.get("name"))
        doc["name"] = name
        self._check_all_links(spec, doc)  # Document._validate_links runs before validate
        if spec.validate:
            spec.validate(self, doc, user, None)
        self._validate(spec, doc, name)
        if name in self._store[doctype]:
            raise FrappeException(
                "DuplicateEntryError",
                f"{doctype} <strong>{html.escape(name)}</strong> already exists",
                409,
                title="Duplicate Name",
                exception=f"('{doctype}', '{name}', IntegrityError(1062, \"Duplicate entry "
                f"'{name}' for key 'PRIMARY'\"))",
            )
        self._check_unique(spec, doc, name)
        if docstatus and not spec.submittable:
            raise FrappeException("ValidationError", f"{doctype} is not submittable")
        if spec.on_update:
            spec.on_update(self, doc, user, None)
        stored = self._stamp(doc, doctype, name, user, docstatus=docstatus)
        self._store[doctype][name] = stored
        if docstatus == 1 and spec.on_submit:
            spec.on_submit(self, stored, user, None)
        return self._store[doctype][name]

    def _update(self, doctype: str, name: str, data: dict[str, Any], user: str) -> dict[str, Any]:
        spec = self._specs[doctype]
        current = self._existing(doctype, name)
        if "modified" in data and str(data["modified"]) != current["modified"]:
            # frappe.model.document.Document.check_if_latest
            raise FrappeException(
                "TimestampMismatchError",
                "Error: Document has been modified after you have opened it "
                f"({current['modified']}, {self._tick()}). "
                "Please refresh to get the latest document.",
            )
        changes = {k: v for k, v in data.items() if k not in STANDARD_FIELDS}
        old_status = current["docstatus"]
        new_status = int(data.get("docstatus", old_status))
        if old_status == 2:
            raise FrappeException("ValidationError", "Cannot edit cancelled document", thrown=False)
        if (old_status, new_status) not in ((0, 0), (0, 1), (1, 1), (1, 2)):
            names = {0: "Draft", 1: "Submitted", 2: "Cancelled"}
            raise FrappeException(
                "DocstatusTransitionError",
                f"Cannot change docstatus from {old_status} ({names[old_status]}) to "
                f"{new_status} ({names[new_status]})",
                thrown=False,
            )
        if new_status == 1 and not spec.submittable:
            raise FrappeException("ValidationError", f"{doctype} is not submittable")
        if old_status == 1:
            # frappe.model.base_document._validate_update_after_submit
            for key, value in changes.items():
                if key in spec.allow_on_submit or key in spec.child_tables:
                    continue
                if not _same_value(current.get(key), value):
                    raise FrappeException(
                        "UpdateAfterSubmitError",
                        f" Not allowed to change <strong>{spec.label(key)}</strong> after "
                        f"submission from <strong>{_shown(current.get(key))}</strong> to "
                        f"<strong>{_shown(value)}</strong>",
                        title="Cannot Update After Submit",
                    )
        merged = {k: v for k, v in current.items() if k not in STANDARD_FIELDS}
        merged.update(changes)
        merged["name"] = name
        if old_status == 0:
            if spec.validate:
                spec.validate(self, merged, user, current)
            self._validate(spec, merged, name)
            self._check_unique(spec, merged, name)
            if spec.on_update:
                spec.on_update(self, merged, user, current)
        stored = self._stamp(merged, doctype, name, user, docstatus=new_status, previous=current)
        self._store[doctype][name] = stored
        if old_status == 0 and new_status == 1 and spec.on_submit:
            spec.on_submit(self, stored, user, current)
        if old_status == 1 and new_status == 2 and spec.on_cancel:
            spec.on_cancel(self, stored, user, current)
        if old_status == 1 and new_status == 1 and spec.on_update_after_submit:
            spec.on_update_after_submit(self, stored, user, current)
        return self._store[doctype][name]

    def _amended_name(self, spec: DocTypeSpec, doc: Mapping[str, Any]) -> str | None:
        """frappe.model.naming._get_amended_name: X -> X-1, X-1 -> X-2; only a cancelled
        document may be amended."""
        source = doc.get("amended_from")
        if not source:
            return None
        original = self._store[spec.name].get(str(source))
        if original is None:
            raise FrappeException("LinkValidationError", f"Could not find Amended From: {source}")
        if original["docstatus"] != 2:
            slug = spec.name.lower().replace(" ", "-")
            raise FrappeException(
                "ValidationError",
                f'<a href="{self.url}/app/{slug}/{source}">{source}</a> cannot be amended '
                "because it is not cancelled. Please cancel the document before creating an "
                "amendment.",
                title="Amendment Not Allowed",
            )
        base, _, number = str(source).rpartition("-")
        if base and number.isdigit() and base in self._store[spec.name]:
            return f"{base}-{int(number) + 1}"
        return f"{source}-1"

    def _check_unique(self, spec: DocTypeSpec, doc: Mapping[str, Any], name: str) -> None:
        for key in spec.unique:
            value = doc.get(key)
            if value in (None, ""):
                continue
            for other in self._store[spec.name].values():
                if other["name"] != name and other.get(key) == value:
                    raise FrappeException(
                        "UniqueValidationError",
                        f"{spec.label(key)} must be unique",
                        plain=True,
                        exception=f"('{spec.name}', '{name}', IntegrityError(1062, "
                        f"\"Duplicate entry '{value}' for key '{key}'\"))",
                    )

    def _delete(self, doctype: str, name: str) -> None:
        doc = self._existing(doctype, name)
        if doc["docstatus"] == 1:
            raise FrappeException(
                "ValidationError",
                f"{doctype} {name}: Submitted Record cannot be deleted. You must <a href='"
                "https://docs.erpnext.com//docs/user/manual/en/setting-up/articles/"
                "delete-submitted-document' target='_blank'> Cancel </a> it first.",
            )
        for other, spec in self._specs.items():
            for fieldname, target in spec.links.items():
                if target != doctype:
                    continue
                for linked in self._store[other].values():
                    if linked.get(fieldname) == name:
                        raise FrappeException(
                            "LinkExistsError",
                            f"Cannot delete or cancel because {doctype} {name} is linked with "
                            f"{other} {linked['name']}",
                        )
        del self._store[doctype][name]

    def _validate(self, spec: DocTypeSpec, doc: dict[str, Any], name: str) -> None:
        """Mandatory fields, select options, links and child rows (frappe.model.base_document)."""
        for key in spec.data_fields:  # BaseDocument._sanitize_content
            doc[key] = escape_data(doc.get(key))
        missing = [f for f in spec.mandatory if doc.get(f) in (None, "", [])]
        if missing:
            raise FrappeException(
                "MandatoryError",
                f"[{spec.name}, {name}]: {', '.join(missing)}",
                messages=[
                    f"Error: Value missing for {spec.name}: {spec.label(f)}" for f in missing
                ],
                plain=True,
            )
        for fieldname, options in spec.selects.items():
            value = doc.get(fieldname)
            if value not in (None, "") and value not in options:
                allowed = ", ".join(f'"{o}"' for o in options)
                raise FrappeException(
                    "ValidationError",
                    f' {spec.label(fieldname)} cannot be "{value}". It should be one of {allowed}',
                )
        self._check_links(spec, doc, prefix="")
        for fieldname, child in spec.child_tables.items():
            rows = doc.get(fieldname) or []
            if not isinstance(rows, list):
                raise FrappeException("ValidationError", f"{spec.label(fieldname)} must be a list")
            for idx, row in enumerate(rows, start=1):
                if not isinstance(row, dict):
                    raise FrappeException("ValidationError", f"Row #{idx}: invalid row")
                lacking = [f for f in child.mandatory if row.get(f) in (None, "", [])]
                if lacking:
                    raise FrappeException(
                        "MandatoryError",
                        f"[{child.name}, {idx}]: {', '.join(lacking)}",
                        messages=[
                            f"Error: Value missing for {child.name}: {child.label(f)} (row #{idx})"
                            for f in lacking
                        ],
                        plain=True,
                    )
                self._check_links(child, row, prefix=f"Row #{idx}: ")

    def _check_all_links(self, spec: DocTypeSpec, doc: Mapping[str, Any]) -> None:
        self._check_links(spec, doc, prefix="")
        for fieldname, child in spec.child_tables.items():
            rows = doc.get(fieldname)
            for idx, row in enumerate(rows if isinstance(rows, list) else [], start=1):
                if isinstance(row, dict):
                    self._check_links(child, row, prefix=f"Row #{idx}: ")

    def _check_links(self, spec: DocTypeSpec, doc: Mapping[str, Any], *, prefix: str) -> None:
        for fieldname, target in spec.links.items():
            value = doc.get(fieldname)
            if value in (None, ""):
                continue
            if target not in self._store or value not in self._store[target]:
                # frappe.model.base_document.get_invalid_links -> LinkValidationError
                raise FrappeException(
                    "LinkValidationError",
                    f"Could not find {prefix}{spec.label(fieldname)}: {value}",
                )

    def _new_name(self, spec: DocTypeSpec, doc: Mapping[str, Any], given: Any) -> str:
        naming = spec.naming
        if callable(naming):
            return naming(dict(doc), self._store[spec.name])
        if naming.startswith("field:"):
            return str(doc[naming[len("field:") :]])
        if naming.startswith("series:"):  # "PROJ-.####", "PUR-ORD-.YYYY.-.#####"
            parts = naming[len("series:") :].split(".")
            hashes = parts[-1]
            year = dt.datetime.now().strftime("%Y")
            prefix = "".join(year if p == "YYYY" else p for p in parts[:-1])
            number = self._series.get(prefix, 0) + 1
            self._series[prefix] = number
            return f"{prefix}{number:0{len(hashes)}d}"
        return str(given) if given else secrets.token_hex(5)

    def _stamp(
        self,
        doc: dict[str, Any],
        doctype: str,
        name: str,
        user: str,
        *,
        docstatus: int = 0,
        previous: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        now = self._tick()
        stored = {
            "name": name,
            "owner": previous["owner"] if previous else user,
            "creation": previous["creation"] if previous else now,
            "modified": now,
            "modified_by": user,
            "docstatus": docstatus,
            "idx": 0,
            **doc,
            "doctype": doctype,
        }
        spec = self._specs[doctype]
        for fieldname, child in spec.child_tables.items():
            stored[fieldname] = [
                {
                    "name": row.get("name") or secrets.token_hex(5),
                    "owner": stored["owner"],
                    "creation": stored["creation"],
                    "modified": now,
                    "modified_by": user,
                    **{k: v for k, v in row.items() if k not in STANDARD_FIELDS},
                    **{k: v for k, v in child.defaults.items() if row.get(k) in (None, "")},
                    "parent": name,
                    "parentfield": fieldname,
                    "parenttype": doctype,
                    "idx": idx,
                    "docstatus": docstatus,
                    "doctype": child.name,
                }
                for idx, row in enumerate(doc.get(fieldname) or [], start=1)
            ]
        return stored

    def _tick(self) -> str:
        # Strictly increasing "modified" stamps in Frappe's format, even within one microsecond.
        self._clock = max(self._clock + dt.timedelta(microseconds=1), dt.datetime.now())
        return self._clock.strftime("%Y-%m-%d %H:%M:%S.%f")


# ---------------------------------------------------------------------- whitelisted methods


def _client_has_permission(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    """frappe.client.has_permission with an empty docname: the doctype's role permissions
    (frappe.permissions.has_permission with no doc), and on False the check's log as a
    msgprint (print_has_permission_check_logs)."""
    doctype = str(params.get("doctype") or "")
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    op = str(params.get("perm_type") or "read").lower()
    allowed = doctype not in double._forbidden and double.has_permission(doctype, op, user)
    if not allowed:
        double.msgprint(
            f"User <strong>{html.escape(user)}</strong> does not have doctype access via role "
            f"permission for document <strong>{html.escape(doctype)}</strong>"
        )
    return {"has_permission": allowed}


def _get_count(double: FrappeDouble, params: dict[str, Any], user: str) -> int:
    doctype = params.get("doctype") or ""
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    double.check_permission(doctype, "read", user)
    tests = [double._condition(doctype, *f) for f in _normalize_filters(params.get("filters"))]
    return sum(1 for d in double._store[doctype].values() if all(t(d) for t in tests))


def _get_list(double: FrappeDouble, params: dict[str, Any], user: str) -> list[dict[str, Any]]:
    doctype = params.get("doctype") or ""
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    double.check_permission(doctype, "read", user)
    return double._list(doctype, params)


def _client_get(double: FrappeDouble, params: dict[str, Any], user: str) -> dict[str, Any]:
    doctype, name = str(params.get("doctype") or ""), str(params.get("name") or "")
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    double.check_permission(doctype, "read", user, name=name)
    return double.as_response(double._existing(doctype, name))


def _get_value(double: FrappeDouble, params: dict[str, Any], user: str) -> Any:
    doctype = str(params.get("doctype") or "")
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    double.check_permission(doctype, "read", user)
    fieldname = _json_param(params.get("fieldname") or '"name"')
    filters = _json_param(params.get("filters"))
    if isinstance(filters, str):
        filters = {"name": filters}
    rows = double._list(doctype, {"filters": filters, "limit_page_length": 1, "fields": ["*"]})
    if not rows:
        return None
    doc = double._store[doctype][rows[0]["name"]]
    if isinstance(fieldname, list):
        return {key: doc.get(key) for key in fieldname}
    return {fieldname: doc.get(fieldname)}


def _client_insert(double: FrappeDouble, params: dict[str, Any], user: str) -> dict[str, Any]:
    doc = _json_param(params.get("doc"))
    if not isinstance(doc, dict):
        raise FrappeException("ValidationError", "doc must be a dict")
    return copy.deepcopy(double.insert_as(str(doc.get("doctype") or ""), doc, user))


def _client_submit(double: FrappeDouble, params: dict[str, Any], user: str) -> dict[str, Any]:
    """frappe.client.submit: a new doc is inserted submitted; an existing one must be sent
    whole, with its current ``modified`` (else TimestampMismatchError)."""
    doc = _json_param(params.get("doc"))
    if not isinstance(doc, dict):
        raise FrappeException("ValidationError", "doc must be a dict")
    doctype, name = str(doc.get("doctype") or ""), doc.get("name")
    if name and name in double._store.get(doctype, {}):
        if str(doc.get("modified")) != double._store[doctype][name]["modified"]:
            raise FrappeException(
                "TimestampMismatchError",
                "Error: Document has been modified after you have opened it "
                f"({double._store[doctype][name]['modified']}, {double._tick()}). "
                "Please refresh to get the latest document.",
            )
        saved = double.update_as(doctype, str(name), {**doc, "docstatus": 1}, user)
    else:
        saved = double.insert_as(doctype, {**doc, "docstatus": 1}, user)
    return copy.deepcopy(saved)


def _client_cancel(double: FrappeDouble, params: dict[str, Any], user: str) -> dict[str, Any]:
    doctype, name = str(params.get("doctype") or ""), str(params.get("name") or "")
    if doctype not in double._specs:
        raise FrappeException("DoesNotExistError", f"DocType {doctype} not found", 404)
    return copy.deepcopy(double.update_as(doctype, name, {"docstatus": 2}, user))


def _insert_many(double: FrappeDouble, params: dict[str, Any], user: str) -> list[str]:
    docs = params.get("docs")
    if isinstance(docs, str):
        docs = json.loads(docs)
    if not isinstance(docs, list):
        raise FrappeException("ValidationError", "docs must be a list")
    if len(docs) > INSERT_MANY_LIMIT:
        raise FrappeException("ValidationError", "Only 200 inserts allowed in one request")
    names: list[str] = []

    def insert_all() -> dict[str, Any]:
        for doc in docs:
            names.append(double.insert_as(str(doc.get("doctype", "")), dict(doc), user)["name"])
        return {}

    double._atomic(insert_all)
    return names


# ---------------------------------------------------------------------- query helpers


def _form_dict(request: RecordedRequest) -> dict[str, Any]:
    """frappe.app.make_form_dict: query args, then a JSON object or form body on top."""
    form: dict[str, Any] = {k: v[0] for k, v in request.query.items()}
    content_type = request.headers.get("Content-Type") or ""
    if request.body and "json" in content_type:
        try:
            body = json.loads(request.body)
        except ValueError as exc:
            raise FrappeException("JSONDecodeError", str(exc), 500, thrown=False) from exc
        if isinstance(body, dict):
            form.update(body)
        elif isinstance(body, list):
            form["data"] = body
    elif request.body:
        form.update({k: v[0] for k, v in parse_qs(request.body.decode()).items()})
    return form


def _json_param(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError as exc:
            raise FrappeException("JSONDecodeError", str(exc), 500) from exc
    return value


def _normalize_filters(raw: Any) -> list[tuple[str | None, str, str, Any]]:
    """Filters as (doctype or None, field, operator, value); the 4-element form
    ``[doctype, field, op, value]`` keeps its doctype (a child table's, or the list's own)."""
    filters = _json_param(raw)
    if not filters:
        return []
    out: list[tuple[str | None, str, str, Any]] = []
    if isinstance(filters, dict):
        for key, value in filters.items():
            if isinstance(value, list) and len(value) == 2 and str(value[0]).lower() in OPERATORS:
                out.append((None, key, str(value[0]).lower(), value[1]))
            else:
                out.append((None, key, "=", value))
        return out
    for item in filters:
        table = None
        if isinstance(item, list) and len(item) == 4:  # [doctype, field, op, value]
            table, item = str(item[0]), item[1:]
        if not isinstance(item, list) or len(item) != 3:
            raise FrappeException("ValidationError", f"Invalid filter: {item}")
        if str(item[1]).lower() not in OPERATORS:
            raise FrappeException("ValidationError", f"Operator must be one of {OPERATORS}")
        out.append((table, str(item[0]), str(item[1]).lower(), item[2]))
    return out


def _matches(doc: Mapping[str, Any], raw_filters: Any) -> bool:
    """Whether a document passes filters on its own fields (no child-table filters)."""
    return all(
        _compare(doc.get(f), op, value) for _, f, op, value in _normalize_filters(raw_filters)
    )


def _is_number(value: Any) -> bool:
    try:
        float(value)
    except (TypeError, ValueError):
        return False
    return True


def _condition(field: str, op: str, value: Any) -> Callable[[Mapping[str, Any]], bool]:
    """One filter as a test of a row; "in" over text values by set membership (the same
    result as _compare, which compares text case-insensitively), as a database index would:
    1,000 codes against 1,000 Items is otherwise 10^6 comparisons in the double."""
    if op in ("in", "not in") and isinstance(value, list) and not any(map(_is_number, value)):
        options = {str(v).lower() for v in value if v is not None}

        def member(doc: Mapping[str, Any]) -> bool:
            left = doc.get(field)
            found = left not in (None, "") and not _is_number(left) and str(left).lower() in options
            return found if op == "in" else not found

        return member
    return lambda doc: _compare(doc.get(field), op, value)


def escape_data(value: Any) -> Any:
    """frappe.utils.html_utils.escape_html, as _sanitize_content applies it to a Data field
    whose value looks like HTML (contains < or >)."""
    if not isinstance(value, str) or ("<" not in value and ">" not in value):
        return value
    table = {"&": "&amp;", '"': "&quot;", "'": "&apos;", ">": "&gt;", "<": "&lt;"}
    return "".join(table.get(c, c) for c in value)


def _same_value(old: Any, new: Any) -> bool:
    if _is_number(old) and _is_number(new) and not isinstance(old, str):
        return float(old) == float(new)
    return old == new or (old in (None, "") and new in (None, ""))


def _shown(value: Any) -> str:
    """A value as Frappe prints it in messages (numbers as floats: 1.0)."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return str(float(value))
    return str(value)


def _compare(left: Any, op: str, right: Any) -> bool:
    if op == "is":
        is_set = left not in (None, "")
        return is_set if str(right).lower() == "set" else not is_set
    if op in ("in", "not in"):
        options = right if isinstance(right, list) else str(right).split(",")
        found = any(_equal(left, o) for o in options)
        return found if op == "in" else not found
    if op in ("like", "not like"):
        found = re.match(_like_regex(str(right)), str(left or ""), re.I | re.DOTALL) is not None
        return found if op == "like" else not found
    if op == "between":
        low, high = right
        return _ordered(low, left) <= 0 and _ordered(left, high) <= 0
    if op == "=":
        return _equal(left, right)
    if op == "!=":
        return not _equal(left, right)
    if left is None:
        return False
    result = _ordered(left, right)
    return {">": result > 0, "<": result < 0, ">=": result >= 0, "<=": result <= 0}[op]


def _like_regex(pattern: str) -> str:
    """MariaDB's LIKE as a regex: % any run, _ one character, a backslash escapes the next."""
    out, chars = ["^"], iter(pattern)
    for ch in chars:
        if ch == "\\":
            out.append(re.escape(next(chars, "\\")))
        elif ch == "%":
            out.append(".*")
        elif ch == "_":
            out.append(".")
        else:
            out.append(re.escape(ch))
    return "".join(out) + "$"


def _equal(left: Any, right: Any) -> bool:
    if left is None or right is None:
        return (left in (None, "")) and (right in (None, ""))
    return _ordered(left, right) == 0


def _ordered(left: Any, right: Any) -> int:
    """Compare like MariaDB would: numerically when both sides are numbers."""
    try:
        a, b = float(left), float(right)
    except (TypeError, ValueError):
        a, b = str(left).lower(), str(right).lower()  # type: ignore[assignment]
    return (a > b) - (a < b)


def _order(order_by: str) -> list[tuple[str, bool]]:
    out = []
    for part in order_by.split(","):
        words = re.sub(r"`?tab[^`.]*`?\.", "", part).replace("`", "").split()
        if words:
            out.append((words[0], len(words) > 1 and words[1].lower() == "desc"))
    return out


def _sort_key(value: Any) -> tuple[int, float, str]:
    if value is None or value == "":
        return (0, 0.0, "")
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return (1, float(value), "")
    return (2, 0.0, str(value).lower())


def _select(doc: Mapping[str, Any], fields: Sequence[str]) -> dict[str, Any]:
    if "*" in fields:
        return {
            k: copy.deepcopy(v)
            for k, v in doc.items()
            if not isinstance(v, list) and k != "doctype"
        }
    row = {}
    for spec in fields:
        parts = re.split(r"\s+as\s+", spec, maxsplit=1, flags=re.I)
        source, alias = parts[0], parts[1] if len(parts) > 1 else ""
        source = re.sub(r"`?tab[^`.]*`?\.", "", source).replace("`", "").strip()
        row[(alias or source).strip()] = copy.deepcopy(doc.get(source))
    return row
