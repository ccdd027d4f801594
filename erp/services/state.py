"""Applying what ERPNext says about a Project to its link and BIM project, by `modified`."""

from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from openaec.exceptions import UpstreamError
from projects.models import Project
from projects.permissions import require_global_writer as require_erp_writer  # noqa: F401

from ..constants import BIM_STATUS_BY_ERPNEXT
from ..models import ErpnextProjectLink, ProjectStatusChange
from ..normalise import (
    ValueRejected,
    as_text,
    erpnext_text,
    parse_date,
    parse_modified,
    parse_percent,
)

Source = ProjectStatusChange.Source
Field = ProjectStatusChange.Field

# Link attribute -> history field, for what ERPNext reports besides its status.
_ERPNEXT_FIELDS = {
    "percent_complete": Field.PERCENT_COMPLETE,
    "expected_start_date": Field.EXPECTED_START_DATE,
    "expected_end_date": Field.EXPECTED_END_DATE,
}


@dataclass(frozen=True)
class RemoteState:
    """A Project as ERPNext reported it. `values` holds only the fields the report carried."""

    name: str
    modified: str  # normalised, comparable as a string
    raw_modified: str  # as ERPNext wrote it: sent back for its check_if_latest
    values: dict[str, Any]


@dataclass
class SyncOutcome:
    """What a pull, push or webhook did: `result` is updated, unchanged, stale or pushed."""

    link: ErpnextProjectLink
    result: str
    detail: str
    changes: list[ProjectStatusChange] = field(default_factory=list)

    @property
    def applied(self) -> bool:
        """Whether anything here changed."""
        return self.result in ("updated", "pushed")


def remote_state(doc: Any, *, partial: bool = False) -> RemoteState:
    """Read a Project dict from ERPNext (or a webhook); raises ValueRejected when unusable.

    With `partial`, fields the dict does not carry are left out of `values` (and kept as they
    are); otherwise a missing field counts as empty.
    """
    if not isinstance(doc, dict):
        raise ValueRejected("the Project is not a JSON object")
    name = doc.get("name")
    if not isinstance(name, str) or not name.strip() or len(name) > 140:
        raise ValueRejected("the Project has no usable 'name'")
    raw_modified = doc.get("modified")
    modified = parse_modified(raw_modified)
    parsers = {
        "title": lambda v: erpnext_text(v)[:255],
        "status": lambda v: "" if v is None else str(v)[:32],
        "percent_complete": parse_percent,
        "expected_start_date": lambda v: parse_date(v, field="expected_start_date"),
        "expected_end_date": lambda v: parse_date(v, field="expected_end_date"),
        "company": lambda v: "" if v is None else str(v)[:140],
    }
    keys = {"title": "project_name"}
    values = {}
    for attr, parse in parsers.items():
        key = keys.get(attr, attr)
        if partial and key not in doc:
            continue
        values[attr] = parse(doc.get(key))
    return RemoteState(
        name=name.strip(), modified=modified, raw_modified=raw_modified, values=values
    )


def remote_state_from_erpnext(doc: Any, *, site_url: str) -> RemoteState:
    """remote_state() for an answer of ERPNext's API: an unusable one is an upstream failure."""
    try:
        return remote_state(doc)
    except ValueRejected as exc:
        raise UpstreamError(
            f"ERPNext at {site_url} answered with an unusable Project: {exc}"
        ) from exc


def history_row(
    *,
    link: ErpnextProjectLink,
    field: str,
    old: Any,
    new: Any,
    source: str,
    actor=None,
    erpnext_modified: str = "",
    applied: bool = True,
    note: str = "",
) -> ProjectStatusChange:
    """An unsaved history row about a linked project."""
    return ProjectStatusChange(
        project_id=link.project_id,
        field=field,
        old_value=as_text(old),
        new_value=as_text(new),
        source=source,
        actor=actor,
        erpnext_site=link.site.url,
        erpnext_project=link.erpnext_project,
        erpnext_modified=erpnext_modified,
        applied=applied,
        note=note[:500],
    )


def apply_remote_locked(
    *, link: ErpnextProjectLink, state: RemoteState, source: str, actor=None, note: str = ""
) -> SyncOutcome:
    """Apply a report from ERPNext to a link the caller holds locked, in its transaction.

    ERPNext's `modified` decides: a report not newer than the one we hold is ignored (and
    recorded as ignored when it is older, or came by webhook); a newer one replaces what we
    hold, and the BIM status follows ERPNext's status.
    """
    held = link.erpnext_modified
    if held and state.modified <= held:
        if state.modified == held or source == Source.WEBHOOK:
            # An equal stamp is what we hold (ERPNext echoes our own writes by webhook); an
            # older delivery is one that arrived late: neither is news, nor history.
            return SyncOutcome(link, "unchanged", "Already up to date with ERPNext.")
        detail = (
            f"Ignored: ERPNext modified {state.modified} is not newer than {held}, "
            "the state held here."
        )
        row = history_row(
            link=link,
            field=Field.ERPNEXT_STATUS,
            old=link.status,
            new=state.values.get("status", link.status),
            source=source,
            actor=actor,
            erpnext_modified=state.modified,
            applied=False,
            note=detail,
        )
        row.save()
        return SyncOutcome(link, "stale", detail, [row])

    changes = []
    project = Project.objects.only("id", "status").get(pk=link.project_id)
    new_status = state.values.get("status", link.status)
    bim_status = BIM_STATUS_BY_ERPNEXT.get(new_status)
    common = {"link": link, "source": source, "actor": actor, "erpnext_modified": state.modified}
    if bim_status and bim_status != project.status:
        Project.objects.filter(pk=project.pk).update(status=bim_status, updated_at=timezone.now())
        changes.append(
            history_row(field=Field.STATUS, old=project.status, new=bim_status, note=note, **common)
        )
    elif new_status != link.status and held:
        why = "" if bim_status else f"no BIM status matches '{new_status}'; BIM status kept"
        changes.append(
            history_row(
                field=Field.ERPNEXT_STATUS,
                old=link.status,
                new=new_status,
                note="; ".join(part for part in (note, why) if part),
                **common,
            )
        )
    # On the first sync (linking) only a BIM status change is history; the rest is a start.
    for attr, history_field in _ERPNEXT_FIELDS.items() if held else ():
        if attr in state.values and state.values[attr] != getattr(link, attr):
            changes.append(
                history_row(
                    field=history_field, old=getattr(link, attr), new=state.values[attr], **common
                )
            )
    for attr, value in state.values.items():
        setattr(link, attr, value)
    link.erpnext_modified = state.modified
    link.last_synced_at = timezone.now()
    link.last_error = ""
    link.save()
    ProjectStatusChange.objects.bulk_create(changes)
    detail = f"Updated from ERPNext (modified {state.modified})."
    return SyncOutcome(link, "updated", detail, changes)
