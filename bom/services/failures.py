"""ERPNext failures of the BOM sync as sentences a user can act on."""

from integrations.erpnext.errors import (
    ErpnextAuthError,
    ErpnextConflict,
    ErpnextError,
    ErpnextNetworkError,
    ErpnextNotFound,
    ErpnextPermissionError,
    ErpnextProtocolError,
    ErpnextRateLimited,
    ErpnextServerError,
    ErpnextValidationError,
)
from openaec.exceptions import ApplicationError, ConflictError, UpstreamError


def describe(exc: ErpnextError, *, site_url: str) -> str:
    """One sentence: what ERPNext did and what to do about it."""
    detail = (exc.message or "").strip()
    said = f": {detail}" if detail and not isinstance(exc, ErpnextProtocolError) else ""
    if isinstance(exc, ErpnextAuthError):
        return (
            f"ERPNext at {site_url} rejected your API key or secret (HTTP {exc.status}). "
            "Check them in Settings."
        )
    if isinstance(exc, ErpnextPermissionError):
        return (
            f"ERPNext at {site_url} does not allow your ERPNext user to do this "
            f"(HTTP {exc.status}){said}. It needs the Manufacturing User and Item Manager roles."
        )
    if isinstance(exc, ErpnextNotFound):
        return f"ERPNext at {site_url} has no such document or DocType{said}."
    if isinstance(exc, ErpnextValidationError):
        return f"ERPNext refused the data{said}"
    if isinstance(exc, ErpnextConflict):
        return f"ERPNext reports a conflict{said}"
    if isinstance(exc, ErpnextRateLimited):
        wait = f" in {exc.retry_after:.0f} s" if exc.retry_after else " later"
        return f"ERPNext at {site_url} is limiting requests (HTTP 429). Try again{wait}."
    if isinstance(exc, ErpnextServerError):
        return f"ERPNext at {site_url} failed (HTTP {exc.status}){said}."
    if isinstance(exc, ErpnextNetworkError):
        return f"Could not reach ERPNext: {detail}."
    return f"ERPNext at {site_url} answered in an unexpected way: {detail}"


def as_application_error(exc: ErpnextError, *, site_url: str) -> ApplicationError:
    """For synchronous doors: 400 when the user can fix the data, 409 conflict, else 502."""
    message = describe(exc, site_url=site_url)
    if isinstance(exc, ErpnextValidationError):
        return ApplicationError(message)
    if isinstance(exc, ErpnextConflict):
        return ConflictError(message)
    return UpstreamError(message)


def is_transient(exc: ErpnextError) -> bool:
    """Whether resuming later may succeed without changing anything."""
    return isinstance(exc, ErpnextServerError | ErpnextNetworkError | ErpnextRateLimited)
