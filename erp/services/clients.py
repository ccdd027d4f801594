"""The ERPNext client for one user, and the one place ERPNext failures become user messages."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

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
def erpnext_errors(
    *, site_url: str, doc: str | None = None, what: str | None = None
) -> Iterator[None]:
    """Turn any ERPNext failure inside the block into a clear ApplicationError."""
    try:
        yield
    except ErpnextError as exc:
        raise application_error(exc, site_url=site_url, doc=doc, what=what) from exc


# What each doctype the bridge touches needs of a restricted ERPNext user (ERPNext 15 role
# permissions, observed in shared/erpnext-real README section 4 and purchasing-and-costs.md 11).
ROLES_BY_DOCTYPE = {
    "Project": "Projects User",
    "BOM": "Manufacturing User",
    "Item": "Item Manager",
    "UOM": "Item Manager, Stock Manager or Stock User",
    "Item Price": "Purchase Master Manager or Sales Master Manager",
    "Company": "Projects User, Manufacturing User or Purchase User",
    "Purchase Order": "Purchase User",
    "Material Request": "Purchase User",
    "Supplier": "Purchase User",
    "Budget": "Accounts Manager",
}
_DOCTYPE_REFUSED = re.compile(r"(?:No permission for|for document)\s+(.+?)\s*$")


@dataclass(frozen=True)
class ErpnextContext:
    """What an ERPNext feature acts with: the acting user's client for one site, and the link.

    Features receive it instead of building clients; ``failure`` turns an ERPNext error into
    the sentence the user sees (the one mapping every feature shares).
    """

    client: ErpnextClient
    site_url: str
    user: Any
    link: Any = None

    def failure(self, exc: ErpnextError, *, what: str, role: str = "") -> ApplicationError:
        """The user's sentence for ``exc`` (see ``erpnext_failure``)."""
        return erpnext_failure(exc, site_url=self.site_url, what=what, role=role)

    @contextmanager
    def errors(self, *, what: str, role: str = "") -> Iterator[None]:
        """Turn any ERPNext failure inside the block into the user's sentence."""
        try:
            yield
        except ErpnextError as exc:
            raise self.failure(exc, what=what, role=role) from exc


def erpnext_context(*, user, linked_site: str | None = None, link: Any = None) -> ErpnextContext:
    """The acting user's ErpnextContext; with ``linked_site``, only for that site (409)."""
    client, site_url = client_for(user=user, linked_site=linked_site)
    return ErpnextContext(client=client, site_url=site_url, user=user, link=link)


def refused_doctype(exc: ErpnextError) -> str:
    """The DocType a 403 names ("No permission for UOM"), or ""."""
    match = _DOCTYPE_REFUSED.search(exc.message or "")
    return match.group(1).strip() if match else ""


def erpnext_failure(
    exc: ErpnextError, *, site_url: str, what: str, role: str = ""
) -> ApplicationError:
    """The one mapping of ERPNext failures to user sentences and statuses.

    ``what`` names what was being done ("ERPNext project PROJ-0001", "the BOM"); ``role`` is
    the ERPNext role it needs, used when the 403 does not name a DocType we know. 400 when the
    user can fix the data, 404 when the named document is gone, 409 on a conflict, else 502.
    """
    # Frappe's messages often start "Error: " and end with a full stop; the sentence adds its own.
    detail = (exc.message or "").strip().removeprefix("Error: ").rstrip(".")
    said = f": {detail}" if detail and not isinstance(exc, ErpnextProtocolError) else ""
    if isinstance(exc, ErpnextNotFound):
        return NotFoundError(f"ERPNext at {site_url} has no {what}{said}.")
    if isinstance(exc, ErpnextAuthError):
        return UpstreamError(
            f"ERPNext at {site_url} rejected your API key or secret (HTTP {exc.status}). "
            "Check them in Settings."
        )
    if isinstance(exc, ErpnextPermissionError):
        doctype = refused_doctype(exc)
        needed = ROLES_BY_DOCTYPE.get(doctype) or role
        on = f" on {doctype}" if doctype else ""
        hint = f" It needs the {needed} role{on}." if needed else ""
        return UpstreamError(
            f"ERPNext at {site_url} does not allow your ERPNext user to access {what} "
            f"(HTTP {exc.status}{', ' + detail if detail else ''}).{hint}"
        )
    if isinstance(exc, ErpnextValidationError):
        return ApplicationError(f"ERPNext refused {what}{said}.")
    if isinstance(exc, ErpnextConflict):
        return ConflictError(f"ERPNext reports a conflict on {what}{said}.")
    if isinstance(exc, ErpnextRateLimited):
        wait = f" Try again in {exc.retry_after:.0f} s." if exc.retry_after else " Try again later."
        return UpstreamError(f"ERPNext at {site_url} is limiting requests (HTTP 429).{wait}")
    if isinstance(exc, ErpnextServerError):
        return UpstreamError(f"ERPNext at {site_url} failed (HTTP {exc.status}){said}.")
    if isinstance(exc, ErpnextNetworkError):
        return UpstreamError(f"Could not reach ERPNext: {exc.message}.")
    if isinstance(exc, ErpnextProtocolError):
        return UpstreamError(
            f"ERPNext at {site_url} gave an answer that is not Frappe's JSON "
            f"({exc.message}). Is the URL in Settings an ERPNext site?"
        )
    return UpstreamError(f"ERPNext at {site_url} failed: {exc}")


def application_error(
    exc: ErpnextError, *, site_url: str, doc: str | None = None, what: str | None = None
) -> ApplicationError:
    """The message a user sees for an ERPNext failure on a Project; 502 unless they can act."""
    if isinstance(exc, ErpnextNotFound):
        return ErpnextProjectNotFoundError(
            f"ERPNext project {doc} was not found on {site_url} (it may have been deleted)."
            if doc
            else f"{site_url} has no Project resource (is this an ERPNext site?)."
        )
    what = what or (f"ERPNext project {doc}" if doc else "the new ERPNext project")
    return erpnext_failure(exc, site_url=site_url, what=what, role="Projects User")
