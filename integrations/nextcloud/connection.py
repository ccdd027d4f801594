"""The Nextcloud connection test behind POST /api/auth/settings/nextcloud/test (DESIGN.md)."""

from __future__ import annotations

from typing import Any

from integrations.netguard import OutboundPolicy, UrlRejected, describe_failure, validate_url
from integrations.nextcloud.client import (
    NextcloudClient,
    NextcloudError,
    NextcloudNetworkError,
    NextcloudProtocolError,
)

ERROR_BODY_LIMIT = 200


def test_nextcloud_connection(
    url: str, username: str, password: str, *, policy: OutboundPolicy
) -> dict[str, Any]:
    """Ask Nextcloud who the credentials belong to, once, and describe the outcome."""
    try:
        base_url = validate_url(url)
    except UrlRejected as exc:
        return {"success": False, "error": f"Invalid URL: {exc}"}
    try:
        with NextcloudClient(base_url, username, password, policy=policy, retries=0) as client:
            user = client.get_current_user()
    except NextcloudNetworkError as exc:
        if exc.kind == "refused_address":
            return {"success": False, "error": exc.message}
        return {"success": False, "error": describe_failure(exc.kind, base_url, policy)}
    except NextcloudProtocolError as exc:
        if exc.kind != "not_ocs":
            return {"success": False, "error": describe_failure(exc.kind, base_url, policy)}
        return {
            "success": False,
            "error": f"{base_url} did not answer with Nextcloud's OCS JSON "
            "(is this a Nextcloud server?)",
        }
    except NextcloudError as exc:
        if exc.ocs_status is not None and exc.status == 200:
            return {"success": False, "error": f"Nextcloud refused the request: {exc.message}"}
        return {"success": False, "error": f"HTTP {exc.status}: {exc.body[:ERROR_BODY_LIMIT]}"}
    except ValueError as exc:  # malformed user name or empty password; never echoes the value
        return {"success": False, "error": str(exc)}
    return {"success": True, "user": user}


# Its name starts with "test_": keep pytest from collecting it where a test module imports it.
test_nextcloud_connection.__test__ = False  # type: ignore[attr-defined]
