"""The ERPNext side of a BIM project for the BOM: the user's client and the linked Project."""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps

from erp.services.clients import ErpnextContext, erpnext_context
from projects.models import Project


@dataclass(frozen=True)
class ProjectLink:
    """The ERPNext Project a BIM project is linked to (the erp app's link)."""

    erpnext_project: str  # the Project's name (PROJ-0001), what BOM.project links to
    site_url: str
    company: str = ""


def project_link(*, project: Project) -> ProjectLink | None:
    """The project's ERPNext link, or None (not linked, or the erp app is not installed)."""
    if not apps.is_installed("erp"):
        return None
    from erp.models import ErpnextProjectLink

    link = ErpnextProjectLink.objects.select_related("site").filter(project=project).first()
    if link is None:
        return None
    return ProjectLink(link.erpnext_project, link.site.url, link.company or "")


def context_for(*, user, link: ProjectLink | None) -> ErpnextContext:
    """The acting user's ERPNext; for a linked project, only on the link's site.

    Nobody writes a BOM for a linked Project through credentials for another ERPNext (409).
    """
    return erpnext_context(user=user, linked_site=link.site_url if link else None, link=link)
