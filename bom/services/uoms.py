"""The UOMs a rule may name: read from the user's ERPNext, offered on the rule forms, and
checked when a rule is saved (where ERPNext can be asked)."""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from django.core.cache import cache

from integrations.erpnext.errors import ErpnextError
from openaec.exceptions import ApplicationError
from projects.models import Project

from ..erpnext import BomGateway
from ..links import context_for, project_link

# The list is read again after this long; a failure to read it is remembered for less.
UOM_CACHE_SECONDS = 600
UOM_FAILURE_CACHE_SECONDS = 60


@dataclass(frozen=True)
class UomChoices:
    """The UOMs of the user's ERPNext, or None with the reason they are not known."""

    names: tuple[str, ...] | None
    note: str = ""
    site_url: str = ""

    def find(self, uom: str) -> str | None:
        """ERPNext's own spelling of ``uom`` (Link values are exact), or None."""
        folded = uom.casefold()
        return next((n for n in self.names or () if n.casefold() == folded), None)


def uom_choices(*, user, project: Project | None, fresh: bool = False) -> UomChoices:
    """The UOMs the user's ERPNext has, for a rule of ``project`` (None: a shared rule).

    Cached per user and site; never raises: when ERPNext cannot be asked, ``note`` says why.
    """
    if not user.erpnext_configured:
        return UomChoices(None, "Set up ERPNext in Settings to have UOMs offered and checked.")
    try:
        context = context_for(user=user, link=project_link(project=project) if project else None)
    except ApplicationError as exc:  # another site than the link's, unusable settings
        return UomChoices(None, f"The UOM could not be checked: {exc.message}")
    key = f"bom:uoms:{user.pk}:{context.site_url}"
    cached = None if fresh else cache.get(key)
    if cached is not None:
        return UomChoices(**cached)
    choices = _read(context)
    seconds = UOM_CACHE_SECONDS if choices.names is not None else UOM_FAILURE_CACHE_SECONDS
    cache.set(
        key, {"names": choices.names, "note": choices.note, "site_url": choices.site_url}, seconds
    )
    return choices


def _read(context) -> UomChoices:
    site = context.site_url
    try:
        with context.client:
            names = BomGateway(context.client).uom_names()
    except ErpnextError as exc:
        failure = context.failure(exc, what="its UOMs")
        return UomChoices(None, f"The UOM could not be checked: {failure.message}", site)
    if names is None:
        return UomChoices(
            None,
            "The UOM could not be checked: your ERPNext user may not read UOM (that needs "
            "Item Manager, Stock Manager or Stock User). The preview checks it against the "
            "Items' UOM tables.",
            site,
        )
    return UomChoices(tuple(names), "", site)


def rule_uom_check(*, user, project: Project | None, uom: str) -> str:
    """The UOM as ERPNext spells it; a 400 naming the field when ERPNext has no such UOM.

    Not checked (returned as typed) when ERPNext cannot be asked.
    """
    choices = uom_choices(user=user, project=project)
    if choices.names is None:
        return uom
    found = choices.find(uom) or uom_choices(user=user, project=project, fresh=True).find(uom)
    if found:
        return found
    close = difflib.get_close_matches(uom, choices.names, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(close)}?" if close else ""
    message = f"ERPNext at {choices.site_url} has no UOM {uom}.{hint}"
    raise ApplicationError(f"uom: {message}", extra={"errors": {"uom": [message]}})
