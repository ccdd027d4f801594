"""Searching the user's ERPNext Projects, linking a BIM project to one, creating one, unlinking."""

import datetime as dt
import logging
from dataclasses import dataclass
from itertools import islice
from typing import Any

from django.db import IntegrityError, transaction

from integrations.erpnext.client import ErpnextClient
from integrations.erpnext.errors import (
    ErpnextError,
    ErpnextNetworkError,
    ErpnextProtocolError,
    ErpnextServerError,
    ErpnextValidationError,
)
from openaec.exceptions import ApplicationError, ConflictError, NotFoundError
from projects.models import Project

from ..constants import (
    CREATED_MARKER,
    ERPNEXT_STATUS_BY_BIM,
    PROJECT_DOCTYPE,
    PROJECT_FIELDS,
    SEARCH_MAX_PAGE_SIZE,
    SEARCH_MAX_ROWS,
    SEARCH_READ_PAGE_SIZE,
)
from ..models import ErpnextProjectLink
from ..normalise import as_stored_by_frappe, erpnext_text, like_pattern
from .clients import ErpnextProjectNotFoundError, application_error, client_for, erpnext_errors
from .sites import erpnext_site_get_or_create
from .state import (
    Field,
    RemoteState,
    Source,
    apply_remote_locked,
    history_row,
    remote_state_from_erpnext,
    require_erp_writer,
)

logger = logging.getLogger(__name__)


class AlreadyLinkedError(ConflictError):
    """The BIM project already has a link (or the ERPNext project is linked elsewhere)."""


@dataclass(frozen=True)
class SearchPage:
    """One page of the user's ERPNext Projects matching a query."""

    erpnext_site: str
    count: int
    page: int
    page_size: int
    results: list[dict[str, Any]]
    truncated: bool

    @property
    def has_next(self) -> bool:
        """Whether another page follows."""
        return self.page * self.page_size < self.count


def erpnext_project_search(*, user, q: str = "", page: int = 1, page_size: int = 20) -> SearchPage:
    """Search the user's ERPNext Projects by name or title (GET /api/resource/Project, every page).

    Frappe answers 20 rows unless told otherwise; the client pages with limit_start and
    limit_page_length until a short page, so every match is found, and we page the result.
    """
    require_erp_writer(user)
    if page < 1 or not 1 <= page_size <= SEARCH_MAX_PAGE_SIZE:
        raise ApplicationError(f"page must be 1 or more and page_size 1 to {SEARCH_MAX_PAGE_SIZE}.")
    q = q.strip()
    if len(q) > 140:
        raise ApplicationError("q is at most 140 characters.")
    client, site_url = client_for(user=user)
    rows: dict[str, dict[str, Any]] = {}
    truncated = False
    # Frappe's list API has no OR across fields in `filters`: ask once per field and merge.
    searches = (
        [
            {"name": ["like", like_pattern(q)]},
            {"project_name": ["like", like_pattern(as_stored_by_frappe(q))]},
        ]
        if q
        else [None]
    )
    with client, erpnext_errors(site_url=site_url, what="its Projects"):
        for filters in searches:
            found = client.list_docs(
                PROJECT_DOCTYPE,
                fields=list(PROJECT_FIELDS),
                filters=filters,
                page_size=SEARCH_READ_PAGE_SIZE,
            )
            for row in islice(found, SEARCH_MAX_ROWS + 1):
                if isinstance(row, dict) and isinstance(row.get("name"), str):
                    rows.setdefault(row["name"], row)
            truncated = truncated or len(rows) > SEARCH_MAX_ROWS
    ordered = sorted(rows.values(), key=lambda row: row["name"])[:SEARCH_MAX_ROWS]
    start = (page - 1) * page_size
    results = [_search_row(row) for row in ordered[start : start + page_size]]
    linked = set(
        ErpnextProjectLink.objects.filter(
            site__url=site_url, erpnext_project__in=[r["name"] for r in results]
        ).values_list("erpnext_project", flat=True)
    )
    for result in results:
        result["linked"] = result["name"] in linked
    return SearchPage(site_url, len(ordered), page, page_size, results, truncated)


def _search_row(row: dict[str, Any]) -> dict[str, Any]:
    found = {key: row.get(key) for key in PROJECT_FIELDS}
    if found.get("project_name") is not None:
        found["project_name"] = erpnext_text(found["project_name"])
    return found


def project_link_create(*, project: Project, user, erpnext_project: str) -> ErpnextProjectLink:
    """Link the BIM project to an existing ERPNext Project, checked to exist (GET its doc).

    The link takes ERPNext's current state, so the BIM status follows ERPNext's.
    """
    require_erp_writer(user)
    name = (erpnext_project or "").strip()
    if not name or len(name) > 140:
        raise ApplicationError("erpnext_project: give the ERPNext project's ID, e.g. PROJ-0001.")
    _refuse_if_linked(project)
    client, site_url = client_for(user=user)
    try:
        with client, erpnext_errors(site_url=site_url, doc=name):
            doc = client.get_doc(PROJECT_DOCTYPE, name)
    except ErpnextProjectNotFoundError as exc:
        raise ErpnextProjectNotFoundError(
            f"ERPNext project {name} was not found on {site_url}. Link by the project's ID "
            "(such as PROJ-0001), not its title; the search shows both."
        ) from exc
    state = remote_state_from_erpnext(doc, site_url=site_url)
    return _link_save(project=project, user=user, site_url=site_url, state=state)


def project_link_create_new(
    *,
    project: Project,
    user,
    company: str | None = None,
    expected_start_date: dt.date | None = None,
    expected_end_date: dt.date | None = None,
) -> ErpnextProjectLink:
    """Create an ERPNext Project from the BIM project (POST /api/resource/Project) and link it.

    The order keeps both sides consistent: ERPNext is asked first (a lookup by title and our
    note finds a project an earlier attempt made but never heard back about; another project
    with the title is refused), then the link is saved; if saving fails, the project just
    created is deleted again.
    """
    require_erp_writer(user)
    _refuse_if_linked(project)
    if expected_start_date and expected_end_date and expected_end_date < expected_start_date:
        raise ApplicationError("expected_end_date must not be before expected_start_date.")
    client, site_url = client_for(user=user)
    marker = CREATED_MARKER.format(project_id=project.pk)
    doc: dict[str, Any] = {
        "project_name": project.name,
        "status": ERPNEXT_STATUS_BY_BIM.get(project.status, "Open"),
        "notes": marker,
    }
    if company:
        doc["company"] = company.strip()
    for key, value in (
        ("expected_start_date", expected_start_date),
        ("expected_end_date", expected_end_date),
    ):
        if value:
            doc[key] = value.isoformat()
    with client:
        saved, created_here = _insert_once(client, doc, marker=marker, site_url=site_url)
        note = ""
        if not created_here:  # made by an earlier attempt or link: take what was sent now
            saved, note = _apply_inputs(client, saved, doc, site_url=site_url)
        try:
            state = remote_state_from_erpnext(saved, site_url=site_url)
            return _link_save(project=project, user=user, site_url=site_url, state=state, note=note)
        except Exception as exc:
            name = saved.get("name") if isinstance(saved, dict) else None
            if created_here and isinstance(name, str) and name:
                _undo_insert(client, name, site_url=site_url, cause=exc)
            raise


def _insert_once(
    client: ErpnextClient, doc: dict[str, Any], *, marker: str, site_url: str
) -> tuple[dict[str, Any], bool]:
    """Insert the Project unless an earlier attempt did; return (doc, created by this call)."""
    title = doc["project_name"]
    with erpnext_errors(site_url=site_url):
        existing = _find_by_title(client, title)
    if existing is not None:
        if marker not in str(existing.get("notes") or ""):
            raise AlreadyLinkedError(
                f"ERPNext already has a project titled '{title}' ({existing['name']}). "
                "Link to it by its ID instead, or rename the BIM project."
            )
        with erpnext_errors(site_url=site_url, doc=existing["name"]):
            return client.get_doc(PROJECT_DOCTYPE, existing["name"]), False
    try:
        return client.insert_doc(PROJECT_DOCTYPE, doc), True
    except (ErpnextNetworkError, ErpnextServerError, ErpnextProtocolError) as exc:
        # The insert may have run with its answer lost: a POST is never re-sent, look instead.
        found = _find_ours(client, title, marker)
        if found is not None:
            with erpnext_errors(site_url=site_url, doc=found["name"]):
                return client.get_doc(PROJECT_DOCTYPE, found["name"]), True
        raise application_error(exc, site_url=site_url) from exc
    except ErpnextValidationError as exc:
        # "Project Name must be unique": an earlier attempt whose answer was lost has landed
        # since we looked (ERPNext keeps working after a client gives up).
        found = (
            _find_ours(client, title, marker) if exc.exc_type == "UniqueValidationError" else None
        )
        if found is not None:
            with erpnext_errors(site_url=site_url, doc=found["name"]):
                return client.get_doc(PROJECT_DOCTYPE, found["name"]), False
        raise application_error(exc, site_url=site_url) from exc
    except ErpnextError as exc:
        raise application_error(exc, site_url=site_url) from exc


def _apply_inputs(
    client: ErpnextClient, existing: dict[str, Any], sent: dict[str, Any], *, site_url: str
) -> tuple[dict[str, Any], str]:
    """A Project this BIM project made before (an earlier link, since removed, or an attempt
    whose answer was lost) is linked again rather than duplicated; the status and dates sent
    now are written to it, and a company it does not have is refused. Returns the Project and
    the history note that says what happened."""
    name = existing.get("name")
    company = sent.get("company")
    if company and existing.get("company") not in (None, "", company):
        raise AlreadyLinkedError(
            f"ERPNext project {name}, made from this BIM project before, belongs to company "
            f"'{existing.get('company')}', not '{company}'. Link it by its ID, or delete it in "
            "ERPNext first."
        )
    changes = {
        key: sent[key]
        for key in ("status", "expected_start_date", "expected_end_date")
        if key in sent and existing.get(key) != sent[key]
    }
    note = f"Linked again to {name}, made from this BIM project before"
    if changes:
        with erpnext_errors(site_url=site_url, doc=str(name)):
            existing = client.update_doc(PROJECT_DOCTYPE, str(name), changes)
        note += f"; {', '.join(changes)} set as sent"
    return existing, note + "."


def _find_ours(client: ErpnextClient, title: str, marker: str) -> dict[str, Any] | None:
    """The Project titled `title` that carries our note, if ERPNext has one now."""
    try:
        found = _find_by_title(client, title)
    except ErpnextError:
        return None
    return found if found is not None and marker in str(found.get("notes") or "") else None


def _find_by_title(client: ErpnextClient, title: str) -> dict[str, Any] | None:
    # ERPNext stores a title that looks like HTML escaped: look for both spellings.
    spellings = list(dict.fromkeys((title, as_stored_by_frappe(title))))
    rows = client.list_docs(
        PROJECT_DOCTYPE,
        fields=["name", "project_name", "notes"],
        filters={"project_name": ["in", spellings]},
    )
    return next(iter(rows), None)


def _undo_insert(client: ErpnextClient, name: str, *, site_url: str, cause: Exception) -> None:
    """Delete the Project this call created, since it could not be linked."""
    try:
        client.delete_doc(PROJECT_DOCTYPE, name)
    except ErpnextError as exc:
        logger.warning(
            "Could not delete ERPNext project %s on %s after a failed link", name, site_url
        )
        if isinstance(cause, ApplicationError):
            cause.message += (
                f" The ERPNext project {name} created for it could not be removed again "
                f"({application_error(exc, site_url=site_url, doc=name).message}); "
                "link it by its ID or delete it in ERPNext."
            )


def _refuse_if_linked(project: Project) -> None:
    link = ErpnextProjectLink.objects.filter(project=project).first()
    if link is not None:
        raise AlreadyLinkedError(
            f"Project is already linked to ERPNext project {link.erpnext_project} on "
            f"{link.site.url}; unlink it first."
        )


def _link_save(
    *, project: Project, user, site_url: str, state: RemoteState, note: str = ""
) -> ErpnextProjectLink:
    """Save the link and take ERPNext's state, all or nothing."""
    try:
        with transaction.atomic():
            site = erpnext_site_get_or_create(url=site_url)
            Project.objects.select_for_update().filter(pk=project.pk).first()
            _refuse_if_linked(project)
            if ErpnextProjectLink.objects.filter(site=site, erpnext_project=state.name).exists():
                raise AlreadyLinkedError(
                    f"ERPNext project {state.name} is already linked to another BIM project."
                )
            link = ErpnextProjectLink.objects.create(
                project=project, site=site, erpnext_project=state.name, linked_by=user
            )
            history_row(
                link=link,
                field=Field.LINK,
                old="",
                new=state.name,
                source=Source.USER,
                actor=user,
                note=note,
            ).save()
            apply_remote_locked(
                link=link, state=state, source=Source.PULL, actor=user, note="taken when linking"
            )
    except IntegrityError as exc:  # a concurrent request linked one of the two meanwhile
        raise AlreadyLinkedError(
            "Project or ERPNext project was linked by someone else meanwhile."
        ) from exc
    link.refresh_from_db()
    return link


def project_link_delete(*, project: Project, user) -> None:
    """Remove the link (ERPNext is not touched); the history keeps that it existed."""
    require_erp_writer(user)
    with transaction.atomic():
        link = (
            ErpnextProjectLink.objects.select_for_update(of=("self",))
            .select_related("site")
            .filter(project=project)
            .first()
        )
        if link is None:
            raise NotFoundError("Project is not linked to ERPNext")
        history_row(
            link=link,
            field=Field.LINK,
            old=link.erpnext_project,
            new="",
            source=Source.USER,
            actor=user,
        ).save()
        link.delete()
