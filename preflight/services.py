"""The ERPNext preflight: what the acting user's ERPNext lets the bridge do, feature by feature.

One service for every door: ``manage.py erpnext_preflight``, the settings page and the start
of a BOM sync (``bom_write_check``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.utils import timezone

from bom.constants import DEFAULT_ITEM_GROUP, DEFAULT_PRICE_LIST
from bom.models import MappingRule
from erp.models import ErpnextProjectLink, ErpnextSite
from erp.services.clients import ErpnextContext, erpnext_context, erpnext_failure
from integrations.erpnext.errors import ErpnextError
from projects.models import Project

from .probes import Probe
from .report import (
    FEATURES,
    NOT_READY,
    READY,
    Check,
    Feature,
    SiteFacts,
    build_features,
)
from .writes import WriteStep, prove_writes

PAGE_BUDGET_S = 20.0  # the settings page waits at most this long for the whole check


@dataclass
class PreflightReport:
    """The preflight's answer for one user and site."""

    site_url: str
    erpnext_user: str
    features: list[Feature]
    requests: int = 0
    writes: list[WriteStep] = field(default_factory=list)
    left_behind: list[str] = field(default_factory=list)

    def feature(self, key: str) -> Feature:
        return next(f for f in self.features if f.key == key)

    def not_ready(self, required: list[str]) -> list[str]:
        """Those of ``required`` that are not ready (unknown names count as not ready)."""
        known = {f.key: f for f in self.features}
        return [key for key in required if key not in known or known[key].status != READY]

    def as_dict(self) -> dict[str, Any]:
        return {
            "erpnext_site": self.site_url,
            "erpnext_user": self.erpnext_user,
            "features": [f.as_dict() for f in self.features],
            "http_requests": self.requests,
            "writes": [w.as_dict() for w in self.writes],
            "left_behind": self.left_behind,
        }


def erpnext_preflight(
    *,
    user,
    write: bool = False,
    today: dt.date | None = None,
    budget_s: float | None = None,
) -> PreflightReport:
    """Check every feature against the user's own ERPNext; with ``write``, also prove the
    writing flows with throwaway documents that are removed again. 400 when the user has no
    usable ERPNext settings (nothing to check)."""
    context = erpnext_context(user=user)
    with context.client:
        return _run(context, user=user, write=write, today=today, budget_s=budget_s)


def _run(context: ErpnextContext, *, user, write, today, budget_s) -> PreflightReport:
    site_url = context.site_url
    try:
        erpnext_user = context.client.get_logged_user()
    except ErpnextError as exc:
        sentence = erpnext_failure(exc, site_url=site_url, what="the connection test").message
        return _unconnected(site_url, sentence, context.client.requests_made)
    probe = Probe(context.client, budget_s=budget_s)
    facts = site_facts(user=user, site_url=site_url, today=today or timezone.localdate())
    features = [Feature("connection", FEATURES["connection"], [Check("connection", True)])]
    checked, company = build_features(probe, facts, erpnext_user)
    features += checked
    report = PreflightReport(site_url, erpnext_user, features)
    if write:
        steps, left = prove_writes(
            context.client, report_features=features, facts=facts, company=company
        )
        report.writes, report.left_behind = steps, left
    report.requests = context.client.requests_made
    return report


def _unconnected(site_url: str, sentence: str, requests: int) -> PreflightReport:
    fix = "Check the ERPNext URL, API key and secret in Settings, and that ERPNext is up."
    features = [
        Feature(
            "connection",
            FEATURES["connection"],
            [Check("connection", False, reason=sentence, fix=fix)],
        )
    ]
    for key, label in FEATURES.items():
        if key != "connection":
            features.append(
                Feature(
                    key,
                    label,
                    [Check("connection", False, reason="No connection to ERPNext.", fix=fix)],
                )
            )
    return PreflightReport(site_url, "", features, requests=requests)


def site_facts(*, user, site_url: str, today: dt.date) -> SiteFacts:
    """What this bridge uses on the site: the UOMs, suppliers and rates of the mapping rules
    of the user's projects (and the shared defaults), the links' companies, the webhook."""
    projects = Project.objects.for_user(user)
    rules = MappingRule.objects.filter(project__in=projects) | MappingRule.objects.shared()
    uoms: dict[str, list[str]] = {}
    suppliers: dict[str, list[str]] = {}
    has_rates = False
    for rule in rules.select_related("project").order_by("id"):
        where = f"rule {rule.pk} ({rule.project.name if rule.project else 'shared'})"
        uoms.setdefault(rule.uom, []).append(where)
        supplier = getattr(rule, "supplier", "")  # the purchase-orders app adds it
        if supplier:
            suppliers.setdefault(supplier, []).append(where)
        has_rates = has_rates or rule.rate is not None
    links = ErpnextProjectLink.objects.filter(site__url=site_url, project__in=projects)
    companies = tuple(sorted({c for c in links.values_list("company", flat=True) if c}))
    site = ErpnextSite.objects.filter(url=site_url).first()
    return SiteFacts(
        site_url=site_url,
        today=today.isoformat(),
        rule_uoms=uoms,
        rule_suppliers=suppliers,
        rules_have_rates=has_rates,
        item_group=DEFAULT_ITEM_GROUP,
        price_list=DEFAULT_PRICE_LIST,
        companies=companies,
        webhook_site_known=site is not None,
        webhook_secret_set=bool(site and site.webhook_secret_set),
        webhook_token=site.webhook_token if site else "",
    )


__all__ = ["NOT_READY", "READY", "PreflightReport", "erpnext_preflight"]
