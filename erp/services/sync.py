"""Keeping status in step: pull from ERPNext, push to it, the push after a BIM status change,
and the periodic run over every link.

Explicit actions (the pull and push endpoints) run with the acting user's own credentials and
write nothing when they fail. Background sync (the push after a status change, the periodic
run) runs with the credentials of the user who made the link and records its failures on the
link (and, for pushes, in the history).
"""

import logging
from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from jobs.runner import JobContext, JobFailed
from jobs.services import job_enqueue
from openaec.exceptions import ApplicationError, NotFoundError
from projects.models import Project

from ..constants import (
    BIM_STATUS_BY_ERPNEXT,
    ERPNEXT_STATUS_BY_BIM,
    PROJECT_DOCTYPE,
    WEBHOOK_DELIVERY_RETENTION_DAYS,
)
from ..models import ErpnextProjectLink, ProjectStatusChange, WebhookDelivery
from .clients import client_for, erpnext_errors
from .state import (
    Field,
    Source,
    SyncOutcome,
    apply_remote_locked,
    history_row,
    remote_state_from_erpnext,
    require_erp_writer,
)

logger = logging.getLogger(__name__)
STATUS_PUSH = "erpnext_status_push"  # the job kind of a push after a BIM status change


def _locked_link(link_id) -> ErpnextProjectLink:
    return (
        ErpnextProjectLink.objects.select_for_update(of=("self",))
        .select_related("site", "project")
        .get(pk=link_id)
    )


def _link_of(project: Project) -> ErpnextProjectLink:
    link = (
        ErpnextProjectLink.objects.select_related("site", "project").filter(project=project).first()
    )
    if link is None:
        raise NotFoundError("Project is not linked to ERPNext")
    return link


def link_in_step(link: ErpnextProjectLink, project_status: str) -> bool:
    """Whether the BIM status matches ERPNext's last known one (unknown ERPNext ones match)."""
    return BIM_STATUS_BY_ERPNEXT.get(link.status) in (None, project_status)


# Pull


def project_link_pull(*, project: Project, user) -> SyncOutcome:
    """Read the linked ERPNext Project (GET its doc) and apply it if it is newer than ours."""
    require_erp_writer(user)
    link = _link_of(project)
    return _pull(link=link, user=user, source=Source.PULL, actor=user)


def _pull(*, link: ErpnextProjectLink, user, source: str, actor) -> SyncOutcome:
    client, site_url = client_for(user=user, linked_site=link.site.url)
    with client, erpnext_errors(site_url=site_url, doc=link.erpnext_project):
        doc = client.get_doc(PROJECT_DOCTYPE, link.erpnext_project)
    state = remote_state_from_erpnext(doc, site_url=site_url)
    with transaction.atomic():
        locked = _locked_link(link.pk)
        return apply_remote_locked(link=locked, state=state, source=source, actor=actor)


# Push


def project_status_push(*, project: Project, user) -> SyncOutcome:
    """Push the BIM status to the linked ERPNext Project with the user's own credentials."""
    require_erp_writer(user)
    link = _link_of(project)
    return _push(link=link, user=user, actor=user)


def _push(*, link: ErpnextProjectLink, user, actor, note: str = "") -> SyncOutcome:
    """GET the Project, then PUT its status with the `modified` just read (Frappe's
    check_if_latest refuses the save if ERPNext changed in between), and keep the new
    `modified` ERPNext answers: that places the BIM change on ERPNext's clock.
    """
    project_status = Project.objects.values_list("status", flat=True).get(pk=link.project_id)
    desired = ERPNEXT_STATUS_BY_BIM[project_status]
    client, site_url = client_for(user=user, linked_site=link.site.url)
    with client, erpnext_errors(site_url=site_url, doc=link.erpnext_project):
        before = remote_state_from_erpnext(
            client.get_doc(PROJECT_DOCTYPE, link.erpnext_project), site_url=site_url
        )
        remote_status = before.values["status"]
        unseen = link.erpnext_modified and before.modified > link.erpnext_modified
        if unseen and remote_status != link.status:
            note = _join(
                note,
                f"ERPNext had changed its status to {remote_status} (modified "
                f"{before.modified}) since the last sync; the BIM change is newer and wins",
            )
        if remote_status == desired:
            after, pushed = before, False
        else:
            saved = client.update_doc(
                PROJECT_DOCTYPE,
                link.erpnext_project,
                {"status": desired, "modified": before.raw_modified},
            )
            after, pushed = remote_state_from_erpnext(saved, site_url=site_url), True
    with transaction.atomic():
        locked = _locked_link(link.pk)
        changes = []
        if pushed:
            row = history_row(
                link=locked,
                field=Field.ERPNEXT_STATUS,
                old=remote_status,
                new=after.values["status"],
                source=Source.PUSH,
                actor=actor,
                erpnext_modified=after.modified,
                note=note,
            )
            row.save()
            changes.append(row)
        # A webhook about a later save may have been applied meanwhile: never go back in time.
        if not locked.erpnext_modified or after.modified > locked.erpnext_modified:
            for attr, value in after.values.items():
                setattr(locked, attr, value)
            locked.erpnext_modified = after.modified
        locked.last_synced_at = timezone.now()
        locked.last_error = ""
        locked.save()
    if pushed:
        detail = f"ERPNext status set to {desired} (modified {after.modified})."
        return SyncOutcome(locked, "pushed", detail, changes)
    return SyncOutcome(locked, "unchanged", f"ERPNext status is already {desired}.", changes)


def _join(*parts: str) -> str:
    return "; ".join(part for part in parts if part)


# The BIM status changed (called by projects.services.project_update)


def project_status_changed(
    *, project: Project, old_status: str, new_status: str, actor=None
) -> None:
    """Record a BIM status change and, for a linked project, push it once the change commits.

    The push runs as a background task (the status change never waits on ERPNext).
    """
    link = ErpnextProjectLink.objects.select_related("site").filter(project=project).first()
    with transaction.atomic():
        ProjectStatusChange.objects.create(
            project=project,
            field=Field.STATUS,
            old_value=old_status,
            new_value=new_status,
            source=Source.USER,
            actor=actor,
            erpnext_site=link.site.url if link else "",
            erpnext_project=link.erpnext_project if link else "",
        )
        if link is not None:
            job_enqueue(kind=STATUS_PUSH, project=project, user=actor, phase="Queued")


def project_status_push_handle(context: JobContext) -> dict:
    """The handler of the job kind "erpnext_status_push": push, or fail with the sentence."""
    outcome = project_status_push_background(project_id=str(context.job.project_id))
    if "failed" in outcome:
        raise JobFailed(outcome["failed"])
    return outcome


def project_status_push_background(*, project_id: str) -> dict:
    """The queued push after a status change; idempotent (it pushes the status as it is now)."""
    link = (
        ErpnextProjectLink.objects.select_related("site", "project", "linked_by")
        .filter(project_id=project_id)
        .first()
    )
    if link is None:
        return {"skipped": "not linked"}
    try:
        outcome = _push_as_owner(link, note="after a BIM status change")
    except ApplicationError as exc:
        return {"failed": exc.message}
    return {"result": outcome.result, "detail": outcome.detail}


def _push_as_owner(link: ErpnextProjectLink, *, note: str) -> SyncOutcome:
    owner = link.linked_by
    try:
        if owner is None or not owner.is_active:
            raise ApplicationError(
                "the user who made the link no longer exists or is inactive; link it again"
            )
        return _push(link=link, user=owner, actor=owner, note=_join(note, f"as {owner.username}"))
    except ApplicationError as exc:
        _record_background_failure(link, f"Push failed: {exc.message}", push=True)
        raise


def _record_background_failure(link: ErpnextProjectLink, message: str, *, push: bool) -> None:
    with transaction.atomic():
        ErpnextProjectLink.objects.filter(pk=link.pk).update(last_error=message[:2000])
        if push:
            status = Project.objects.values_list("status", flat=True).get(pk=link.project_id)
            history_row(
                link=link,
                field=Field.ERPNEXT_STATUS,
                old=link.status,
                new=ERPNEXT_STATUS_BY_BIM.get(status, status),
                source=Source.PUSH,
                actor=link.linked_by,
                applied=False,
                note=message,
            ).save()
    logger.warning("ERPNext sync of project %s failed: %s", link.project_id, message[:200])


# The periodic run


@dataclass
class PeriodicReport:
    """What one periodic run did, link by link."""

    checked: int = 0
    updated: int = 0
    pushed: int = 0
    unchanged: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)  # (project slug, message)


def erpnext_links_sync_all() -> PeriodicReport:
    """Pull every link as its owner; then push links whose BIM status ERPNext lacks.

    ERPNext's `modified` decides: a newer ERPNext state wins over a BIM change that could not
    be pushed yet; otherwise that change is pushed now. Safe to run again at any time.
    """
    report = PeriodicReport()
    for link_id in ErpnextProjectLink.objects.order_by("pk").values_list("pk", flat=True):
        link = (
            ErpnextProjectLink.objects.select_related("site", "project", "linked_by")
            .filter(pk=link_id)
            .first()
        )
        if link is None:  # unlinked while we ran
            continue
        report.checked += 1
        try:
            result = link_sync_background(link=link)
        except ApplicationError as exc:
            report.failed.append((link.project.slug, exc.message))
            continue
        if result == "pushed":
            report.pushed += 1
        elif result == "updated":
            report.updated += 1
        else:
            report.unchanged += 1
    cutoff = timezone.now() - timedelta(days=WEBHOOK_DELIVERY_RETENTION_DAYS)
    WebhookDelivery.objects.filter(received_at__lt=cutoff).delete()
    return report


def link_sync_background(*, link: ErpnextProjectLink) -> str:
    """Pull one link as its owner, then push if the BIM status is still not in ERPNext."""
    owner = link.linked_by
    try:
        if owner is None or not owner.is_active:
            raise ApplicationError(
                "the user who made the link no longer exists or is inactive; link it again"
            )
        outcome = _pull(link=link, user=owner, source=Source.PERIODIC, actor=None)
    except ApplicationError as exc:
        _record_background_failure(link, f"Periodic pull failed: {exc.message}", push=False)
        raise
    if outcome.result == "updated":
        return "updated"
    project_status = Project.objects.values_list("status", flat=True).get(pk=link.project_id)
    if link_in_step(outcome.link, project_status):
        return outcome.result
    pushed = _push_as_owner(
        outcome.link, note="periodic run: the BIM status was not in ERPNext yet"
    )
    return pushed.result
