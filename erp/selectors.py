"""Reads of ERPNext links, sites and the status history. Selectors never write."""

from django.db.models import QuerySet

from openaec.exceptions import NotFoundError
from openaec.parsers import whole_number
from projects.models import Project
from projects.permissions import require_project_writer
from projects.selectors import project_get_for_user

from .models import ErpnextProjectLink, ErpnextSite, ProjectStatusChange


def erp_project_get(*, slug: str, user, write: bool = False) -> tuple[Project, str]:
    """The project and the user's role on it, for reading (viewer) or ERP writes.

    Writes follow projects.permissions (an editor or admin role on the project and a global
    role that is not viewer); a stranger still gets 404 first.
    """
    project, role = project_get_for_user(slug=slug, user=user)
    if write:
        require_project_writer(user=user, project=project)
    return project, role


def project_link_find(*, project: Project) -> ErpnextProjectLink | None:
    """The project's link with its site, or None."""
    return (
        ErpnextProjectLink.objects.select_related("site", "project", "linked_by")
        .filter(project=project)
        .first()
    )


def project_link_get(*, project: Project) -> ErpnextProjectLink:
    """The project's link, or 404 "Project is not linked to ERPNext"."""
    link = project_link_find(project=project)
    if link is None:
        raise NotFoundError("Project is not linked to ERPNext")
    return link


def project_status_history(*, project: Project) -> QuerySet[ProjectStatusChange]:
    """The project's status changes, newest first, with their actors."""
    return ProjectStatusChange.objects.filter(project=project).select_related("actor")


def erpnext_site_list() -> QuerySet[ErpnextSite]:
    """Every ERPNext site known here, by URL."""
    return ErpnextSite.objects.order_by("url")


def erpnext_site_get(*, site_id) -> ErpnextSite:
    """One site by id, or 404."""
    pk = whole_number(site_id, max_digits=18)
    site = ErpnextSite.objects.filter(pk=pk).first() if pk is not None else None
    if site is None:
        raise NotFoundError("ERPNext site not found")
    return site
