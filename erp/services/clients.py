"""The ERPNext client for one user, and the one place ERPNext failures become user messages."""

from collections.abc import Iterator
from contextlib import contextmanager

from integrations.erpnext.client import ErpnextClient
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
from integrations.netguard import UrlRejected
from integrations.policy import outbound_policy
from openaec.accounts.services import erpnext_credentials
from openaec.exceptions import ApplicationError, ConflictError, NotFoundError, UpstreamError

from ..normalise import normalise_site_url


class SiteMismatchError(ConflictError):
    """The user's own ERPNext is another site than the one the project is linked to."""


class ErpnextProjectNotFoundError(NotFoundError):
    """ERPNext has no Project of that name (never had, or it was deleted)."""


def user_site_url(*, user) -> str:
    """The normalised URL of the user's own ERPNext (400 when not configured)."""
    url, _, _ = erpnext_credentials(user=user)
    try:
        return normalise_site_url(url)
    except UrlRejected as exc:
        raise ApplicationError(f"Your ERPNext URL is not usable: {exc}") from exc


def client_for(*, user, linked_site: str | None = None) -> tuple[ErpnextClient, str]:
    """A client with the user's own credentials, and its normalised site URL.

    With `linked_site` (the URL of a link's site), the user's ERPNext must be that site: nobody
    acts on a link through credentials for another ERPNext (409), nor through someone else's.
    """
    url, key, secret = erpnext_credentials(user=user)
    try:
        site_url = normalise_site_url(url)
    except UrlRejected as exc:
        raise ApplicationError(f"Your ERPNext URL is not usable: {exc}") from exc
    if linked_site is not None and linked_site != site_url:
        raise SiteMismatchError(
            f"This project is linked to the ERPNext site {linked_site}, but your ERPNext settings "
            f"point to {site_url}. Only a user whose own ERPNext credentials are for "
            f"{linked_site} can do this.",
            extra={"erpnext_site": linked_site, "your_erpnext_site": site_url},
        )
    try:
        client = ErpnextClient(url, key, secret, policy=outbound_policy())
    except (ValueError, UrlRejected) as exc:  # the message never repeats the key or secret
        raise ApplicationError(f"Your ERPNext settings are not usable: {exc}") from exc
    return client, site_url


@contextmanager
def erpnext_errors(*, site_url: str, doc: str | None = None) -> Iterator[None]:
    """Turn any ERPNext failure inside the block into a clear ApplicationError."""
    try:
        yield
    except ErpnextError as exc:
        raise application_error(exc, site_url=site_url, doc=doc) from exc


def application_error(
    exc: ErpnextError, *, site_url: str, doc: str | None = None
) -> ApplicationError:
    """The message a user sees for an ERPNext failure; 502 unless the user can act on it."""
    what = f"ERPNext project {doc}" if doc else "the ERPNext projects"
    detail = exc.message.strip()
    said = f": {detail}" if detail and not isinstance(exc, ErpnextProtocolError) else ""
    if isinstance(exc, ErpnextNotFound):
        return ErpnextProjectNotFoundError(
            f"ERPNext project {doc} was not found on {site_url} (it may have been deleted)."
            if doc
            else f"{site_url} has no Project resource (is this an ERPNext site?)."
        )
    if isinstance(exc, ErpnextAuthError):
        return UpstreamError(
            f"ERPNext at {site_url} rejected your API key or secret (HTTP {exc.status}). "
            "Check them in Settings."
        )
    if isinstance(exc, ErpnextPermissionError):
        return UpstreamError(
            f"ERPNext at {site_url} does not allow your ERPNext user to access {what} "
            f"(HTTP {exc.status}). Ask for the Projects User role."
        )
    if isinstance(exc, ErpnextValidationError):
        return ApplicationError(f"ERPNext refused the change to {what}{said}")
    if isinstance(exc, ErpnextConflict):
        return ConflictError(f"ERPNext reports a conflict on {what}{said}")
    if isinstance(exc, ErpnextRateLimited):
        wait = f" Try again in {exc.retry_after:.0f} s." if exc.retry_after else " Try again later."
        return UpstreamError(f"ERPNext at {site_url} is limiting requests (HTTP 429).{wait}")
    if isinstance(exc, ErpnextServerError):
        return UpstreamError(f"ERPNext at {site_url} failed (HTTP {exc.status}){said}")
    if isinstance(exc, ErpnextNetworkError):
        return UpstreamError(f"Could not reach ERPNext: {exc.message}.")
    if isinstance(exc, ErpnextProtocolError):
        return UpstreamError(
            f"ERPNext at {site_url} gave an answer that is not Frappe's JSON "
            f"({exc.message}). Is the URL in Settings an ERPNext site?"
        )
    return UpstreamError(f"ERPNext at {site_url} failed: {exc}")
