"""NextcloudDouble: a loopback Nextcloud answering the OCS cloud/user endpoint.

Follows Nextcloud's OCS API: basic auth, ``OCS-APIRequest: true`` required (the OCS CSRF
check), ``format=json`` for JSON (XML otherwise), OCS v1 statuscode 100 on success, and a
wrong password answered with HTTP 401 and OCS statuscode 997. Fault injection comes from
LoopbackDouble, shared with FrappeDouble.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any
from xml.sax.saxutils import escape

from tests.erpnext_double.loopback import Fault, LoopbackDouble, RecordedRequest, Reply

USER_PATHS = {"/ocs/v1.php/cloud/user": 1, "/ocs/v2.php/cloud/user": 2}


class NextcloudDouble(LoopbackDouble):
    """Loopback Nextcloud with a few users (id -> password, display name)."""

    def __init__(
        self,
        *,
        username: str = "alice",
        password: str = "app-password-1",
        display_name: str = "Alice Example",
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.username = username
        self.password = password
        self._users: dict[str, tuple[str, str]] = {username: (password, display_name)}

    def add_user(self, user_id: str, password: str, display_name: str = "") -> None:
        """Accept another user; an empty display name makes Nextcloud answer an empty one."""
        with self._lock:
            self._users[user_id] = (password, display_name)

    def handle(self, request: RecordedRequest) -> Reply:
        """Answer OCS cloud/user; anything else is a 404."""
        version = USER_PATHS.get(request.path)
        as_json = request.param("format") == "json"
        if version is None:
            return self._ocs(404, version or 1, "failure", 998, "Invalid query", [], as_json)
        if (request.headers.get("OCS-APIRequest") or "").lower() != "true":
            return Reply.json(412, {"message": "CSRF check failed"})
        user_id = self._authenticate(request)
        if user_id is None:
            return self._ocs(
                401, version, "failure", 997, "Current user is not logged in", [], as_json
            )
        _, display_name = self._users[user_id]
        data = {
            "enabled": True,
            "id": user_id,
            "display-name": display_name,
            "displayname": display_name,
            "email": f"{user_id}@example.com",
            "groups": ["admin"] if user_id == self.username else [],
            "language": "en",
        }
        return self._ocs(200, version, "ok", 100 if version == 1 else 200, "OK", data, as_json)

    def error_reply(self, status: int, request: RecordedRequest, fault: Fault) -> Reply:
        """Injected status without a body: an OCS failure envelope."""
        return self._ocs(status, 1, "failure", status, f"HTTP {status}", [], True)

    def _authenticate(self, request: RecordedRequest) -> str | None:
        scheme, _, token = (request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "basic":
            return None
        try:
            user_id, _, password = base64.b64decode(token).decode().partition(":")
        except (binascii.Error, UnicodeDecodeError):
            return None
        with self._lock:
            known = self._users.get(user_id)
        return user_id if known and known[0] == password else None

    @staticmethod
    def _ocs(
        status: int,
        version: int,
        state: str,
        code: int,
        message: str,
        data: Any,
        as_json: bool,
    ) -> Reply:
        meta = {
            "status": state,
            "statuscode": code,
            "message": message,
            "totalitems": "",
            "itemsperpage": "",
        }
        if as_json:
            return Reply.json(status, {"ocs": {"meta": meta, "data": data}})
        fields = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in meta.items())
        values = data.items() if isinstance(data, dict) else []
        body = "".join(f"<{k}>{escape(str(v))}</{k}>" for k, v in values)
        xml = f'<?xml version="1.0"?>\n<ocs><meta>{fields}</meta><data>{body}</data></ocs>'
        return Reply.text(status, xml, "text/xml")
