"""The ERPNext connection test behind POST /api/auth/settings/erpnext/test (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import (
    ErpnextError,
    ErpnextNetworkError,
    ErpnextProtocolError,
)
from integrations.netguard import OutboundPolicy, UrlRejected, describe_failure, validate_url

ERROR_BODY_LIMIT = 200


def test_erpnext_connection(
    url: str, api_key: str, api_secret: str, *, policy: OutboundPolicy
) -> dict[str, Any]:
    """Ask ERPNext who the key belongs to, once, and describe the outcome for the user."""
    try:
        base_url = validate_url(url)
    except UrlRejected as exc:
        return {"success": False, "error": f"Invalid URL: {exc}"}
    try:
        with ErpnextClient(base_url, api_key, api_secret, policy=policy, retries=0) as client:
            user = client.get_logged_user()
    except ErpnextNetworkError as exc:
        if exc.kind == "refused_address":
            return {"success": False, "error": exc.message}
        return {"success": False, "error": describe_failure(exc.kind, base_url, policy)}
    except ErpnextProtocolError as exc:
        if exc.kind != "not_frappe":
            return {"success": False, "error": describe_failure(exc.kind, base_url, policy)}
        if exc.status is not None and not 200 <= exc.status < 300:
            return {"success": False, "error": f"HTTP {exc.status}: {exc.body[:ERROR_BODY_LIMIT]}"}
        return {
            "success": False,
            "error": f"{base_url} did not answer with Frappe's JSON (is this an ERPNext site?)",
        }
    except ErpnextError as exc:
        return {"success": False, "error": f"HTTP {exc.status}: {exc.body[:ERROR_BODY_LIMIT]}"}
    except ValueError as exc:  # malformed key or secret; the message never repeats the value
        return {"success": False, "error": str(exc)}
    return {"success": True, "user": user}


# Its name starts with "test_": keep pytest from collecting it where a test module imports it.
test_erpnext_connection.__test__ = False  # type: ignore[attr-defined]
