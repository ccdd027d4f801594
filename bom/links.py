"""The ERPNext side of a BIM project for the BOM: the user's client and the linked Project."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from erp.normalise import normalise_site_url
from integrations.erpnext.client import ErpnextClient
from integrations.netguard import UrlRejected
from integrations.policy import outbound_policy
from openaec.accounts.services import erpnext_credentials
from openaec.exceptions import ApplicationError, ConflictError
from projects.models import Project


@dataclass(frozen=True)
class ProjectLink:
    """The ERPNext Project a BIM project is linked to (the erp app's link)."""

    erpnext_project: str  # the Project's name (PROJ-0001), what BOM.project links to
    site_url: str
    company: str = ""


class SiteMismatchError(ConflictError):
    """The user's own ERPNext is another site than the one the project is linked to."""


def project_link(*, project: Project) -> ProjectLink | None:
    """The project's ERPNext link, or None (not linked, or the erp app is not installed)."""
    if not apps.is_installed("erp"):
        return None
    from erp.models import ErpnextProjectLink

    link = ErpnextProjectLink.objects.select_related("site").filter(project=project).first()
    if link is None:
        return None
    return ProjectLink(link.erpnext_project, link.site.url, link.company or "")


def client_for(*, user, link: ProjectLink | None) -> tuple[ErpnextClient, str]:
    """A client with the user's own credentials and its normalised site URL.

    When the project is linked, the user's ERPNext must be the link's site (409 otherwise):
    nobody writes a BOM for a linked Project through credentials for another ERPNext.
    """
    url, key, secret = erpnext_credentials(user=user)
    try:
        site_url = normalise_site_url(url)
    except UrlRejected as exc:
        raise ApplicationError(f"Your ERPNext URL is not usable: {exc}") from exc
    if link is not None and link.site_url != site_url:
        raise SiteMismatchError(
            f"This project is linked to the ERPNext site {link.site_url}, but your ERPNext "
            f"settings point to {site_url}. Only a user whose own ERPNext credentials are for "
            f"{link.site_url} can sync its BOM.",
            extra={"erpnext_site": link.site_url, "your_erpnext_site": site_url},
        )
    try:
        client = ErpnextClient(url, key, secret, policy=outbound_policy())
    except (ValueError, UrlRejected) as exc:  # the message never repeats the key or secret
        raise ApplicationError(f"Your ERPNext settings are not usable: {exc}") from exc
    return client, site_url
