"""The preflight table: every feature of the bridge x ready / not ready, with reasons and fixes.

Pure over a ``Probe`` and what our side knows (``SiteFacts``): no Django models here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from erp.services.clients import ROLES_BY_DOCTYPE

from .probes import Answer, Probe

READY, PARTIAL, NOT_READY, UNCHECKED = "ready", "partial", "not_ready", "unchecked"
BLOCKING, DEGRADING, NOTE = "blocking", "degrading", "note"
WEBHOOK_PATH = "/api/webhooks/erpnext/{token}"

# The ERPNext roles that grant an operation (ERPNext 15's role permissions, as the recorded
# site showed them: ../shared/erpnext-real README section 4, purchasing-and-costs.md 11).
ROLES = {
    ("Project", "*"): "Projects User",
    (
        "Item",
        "read",
    ): "Item Manager, Stock User, Purchase User, Manufacturing User or Projects User",
    ("Item", "*"): "Item Manager",
    ("UOM", "read"): ROLES_BY_DOCTYPE["UOM"],
    ("BOM", "*"): "Manufacturing User",
    ("Supplier", "read"): "Purchase User, Purchase Manager or Stock User",
    ("Supplier", "*"): "Purchase Master Manager",
    ("Purchase Order", "*"): "Purchase User",
    ("Material Request", "*"): "Purchase User, Stock User or Manufacturing User",
    ("Budget", "*"): "Accounts Manager",
    ("Purchase Invoice", "read"): "Accounts User or Purchase User",
    ("Item Price", "*"): ROLES_BY_DOCTYPE["Item Price"],
    ("Webhook", "*"): "System Manager",
}


def roles_for(doctype: str, op: str) -> str:
    """The role(s) to give for ``op`` on ``doctype``, as a phrase."""
    return (
        ROLES.get((doctype, op))
        or ROLES.get((doctype, "*"))
        or ROLES_BY_DOCTYPE.get(doctype)
        or "a role with this permission"
    )


@dataclass(frozen=True)
class SiteFacts:
    """What this bridge knows and uses for one ERPNext site."""

    site_url: str
    today: str  # YYYY-MM-DD
    rule_uoms: dict[str, list[str]] = field(default_factory=dict)  # UOM -> rules naming it
    rule_suppliers: dict[str, list[str]] = field(default_factory=dict)
    rules_have_rates: bool = False
    item_group: str = "All Item Groups"
    price_list: str = "Standard Buying"
    companies: tuple[str, ...] = ()  # the companies the site's links name
    webhook_site_known: bool = False
    webhook_secret_set: bool = False
    webhook_token: str = ""


@dataclass
class Check:
    """One condition of a feature: met (True), not met (False) or not checked (None)."""

    name: str
    ok: bool | None
    severity: str = BLOCKING
    reason: str = ""
    fix: str = ""


@dataclass
class Feature:
    """One feature of the bridge and whether this ERPNext user on this site can use it."""

    key: str
    label: str
    checks: list[Check] = field(default_factory=list)

    @property
    def status(self) -> str:
        """ready, partial (works, some figures or options missing), not_ready or unchecked."""
        blocking = [c.ok for c in self.checks if c.severity == BLOCKING]
        if False in blocking:
            return NOT_READY
        if None in blocking:
            return UNCHECKED
        if any(c.ok is not True for c in self.checks if c.severity == DEGRADING):
            return PARTIAL
        return READY

    @property
    def problems(self) -> list[Check]:
        """The checks that are not met or could not be checked, blocking ones first."""
        order = {BLOCKING: 0, DEGRADING: 1, NOTE: 2}
        return sorted((c for c in self.checks if c.ok is not True), key=lambda c: order[c.severity])

    def as_dict(self) -> dict[str, Any]:
        return {
            "feature": self.key,
            "label": self.label,
            "status": self.status,
            "problems": [asdict(c) for c in self.problems],
            "checks": [asdict(c) for c in self.checks],
        }


FEATURES = {
    "connection": "Connection",
    "projects": "Search and link projects",
    "status_push": "Status push",
    "webhook": "Webhook",
    "bom": "BOM preview and sync",
    "purchase_orders": "Purchase orders",
    "material_requests": "Material requests",
    "costs": "Cost dashboard figures",
    "ifc_cost_export": "IFC cost export",
}


class Builder:
    """Turns probe answers into checks, in the words an administrator acts on."""

    def __init__(self, probe: Probe, facts: SiteFacts, erpnext_user: str) -> None:
        self.probe = probe
        self.facts = facts
        self.user = erpnext_user
        self._company: tuple[str, str] | None = None

    # Permissions

    def perm(self, doctype: str, op: str, severity: str = BLOCKING, why: str = "") -> Check:
        answer = self.probe.can(doctype, op)
        roles = roles_for(doctype, op)
        name = f"{op} {doctype}"
        if answer.ok:
            return Check(name, True, severity)
        purpose = f" ({why})" if why else ""
        if answer.ok is None:
            return Check(
                name,
                None,
                severity,
                f"Could not check {op} permission on {doctype}{purpose}: {answer.detail}",
                f"Check in ERPNext's Role Permissions Manager that {self.user} has {op} on "
                f"{doctype} (it needs the {roles} role).",
            )
        said = f": {answer.detail}" if answer.detail else ""
        return Check(
            name,
            False,
            severity,
            f"ERPNext refuses {op} on {doctype} to {self.user}{purpose}{said}",
            f"Give {self.user} the {roles} role in ERPNext (User > Roles).",
        )

    # Master data

    def company(self) -> tuple[Check, str, str]:
        """The company the bridge writes for, and its currency."""
        answer = self.probe.rows("Company", fields=["name", "default_currency"], limit=20)
        if answer.ok is not True:
            check = self._unreadable("Company", answer, "the company and its currency")
            return check, "", ""
        rows = answer.value
        names = {str(r["name"]): str(r.get("default_currency") or "") for r in rows}
        if not names:
            return (
                Check(
                    "default company",
                    False,
                    BLOCKING,
                    "ERPNext has no Company.",
                    "Finish ERPNext's setup wizard, which creates the company.",
                ),
                "",
                "",
            )
        linked = [c for c in self.facts.companies if c]
        unknown = [c for c in linked if c not in names]
        if unknown:
            return (
                Check(
                    "default company",
                    False,
                    BLOCKING,
                    f"Links name the Company {', '.join(unknown)}, which ERPNext does not have.",
                    "Create that Company in ERPNext, or link the projects again.",
                ),
                "",
                "",
            )
        company = linked[0] if linked else sorted(names)[0]
        if len(names) > 1 and not linked:
            return (
                Check(
                    "default company",
                    True,
                    NOTE,
                    f"ERPNext has {len(names)} companies; the checks below use {company}.",
                    "Name the company when you create a link or start a BOM sync.",
                ),
                company,
                names[company],
            )
        return Check("default company", True, BLOCKING), company, names[company]

    def fiscal_year(self, company: str, severity: str, why: str) -> Check:
        if not company:
            return Check("fiscal year", None, severity, "No company to check the fiscal year of.")
        answer = self.probe.fiscal_year(company=company, date=self.facts.today)
        if answer.ok:
            return Check("fiscal year", True, severity)
        if answer.ok is None:
            return Check("fiscal year", None, severity, f"Could not ask: {answer.detail}")
        return Check(
            "fiscal year",
            False,
            severity,
            f"No Fiscal Year of {company} covers today ({self.facts.today}); {why}. "
            f"ERPNext says: {answer.detail}",
            f"Create a Fiscal Year covering {self.facts.today} in ERPNext (Accounting > Fiscal "
            "Year) and make it available to the company.",
        )

    def existing(
        self, doctype: str, wanted: dict[str, list[str]], severity: str, fix: str
    ) -> Check:
        """Every name in ``wanted`` (name -> who uses it) exists as a ``doctype``."""
        name = f"{doctype} names"
        answer = self.probe.names(doctype, sorted(wanted))
        if answer.ok is None:
            return Check(name, None, severity, f"Could not read {doctype}: {answer.detail}")
        if answer.ok is False:
            return Check(
                name,
                None,
                NOTE,
                f"The names of {doctype} used here ({', '.join(sorted(wanted))}) cannot be "
                f"checked: your ERPNext user may not read {doctype} ({answer.detail}).",
                f"Reading {doctype} needs the {roles_for(doctype, 'read')} role.",
            )
        found = {n.casefold() for n in answer.value}
        missing = [n for n in sorted(wanted) if n.casefold() not in found]
        if not missing:
            return Check(name, True, severity)
        users = "; ".join(f"{n}: {', '.join(wanted[n])}" for n in missing)
        return Check(
            name,
            False,
            severity,
            f"{doctype} {', '.join(missing)} does not exist in ERPNext ({users}).",
            fix.format(names=", ".join(missing)),
        )

    def price_list(self, severity: str, company_currency: str) -> list[Check]:
        name = self.facts.price_list
        answer = self.probe.rows(
            "Price List",
            fields=["name", "currency", "buying", "enabled"],
            filters=[["name", "=", name]],
            limit=1,
        )
        if answer.ok is not True:
            return [self._unreadable("Price List", answer, f"the price list {name}", severity)]
        if not answer.value:
            return [
                Check(
                    "price list",
                    False,
                    severity,
                    f"The buying price list {name} does not exist in ERPNext.",
                    f"Create the Price List {name} (Buying ticked) in ERPNext (Stock > Price "
                    "List), or choose an existing buying price list.",
                )
            ]
        row = answer.value[0]
        if not row.get("buying") or row.get("enabled") in (0, "0"):
            return [
                Check(
                    "price list",
                    False,
                    severity,
                    f"The price list {name} is not an enabled buying price list.",
                    f"Tick Enabled and Buying on the Price List {name} in ERPNext.",
                )
            ]
        checks = [Check("price list", True, severity)]
        currency = str(row.get("currency") or "")
        if currency and company_currency and currency != company_currency:
            rate = self.probe.exchange_rate(currency, company_currency)
            checks.append(
                Check(
                    "exchange rate",
                    rate.ok,
                    severity,
                    ""
                    if rate.ok
                    else f"The price list {name} is in {currency}, the company in "
                    f"{company_currency}, and ERPNext has no exchange rate between them"
                    f"{': ' + rate.detail if rate.detail else ''}.",
                    ""
                    if rate.ok
                    else f"Add a Currency Exchange {currency} -> {company_currency} in ERPNext "
                    "(Accounting > Currency Exchange).",
                )
            )
        return checks

    def warehouse(self, company: str, severity: str) -> Check:
        filters: list[list[Any]] = [["is_group", "=", 0]]
        if company:
            filters.append(["company", "=", company])
        answer = self.probe.rows("Warehouse", fields=["name"], filters=filters, limit=1)
        if answer.ok is not True:
            return self._unreadable("Warehouse", answer, "the warehouses", severity)
        if answer.value:
            return Check("warehouse", True, severity)
        return Check(
            "warehouse",
            False,
            severity,
            f"ERPNext has no (non-group) Warehouse{' of ' + company if company else ''}: order "
            "rows need one.",
            "Create a Warehouse in ERPNext (Stock > Warehouse) for the company.",
        )

    def _unreadable(self, doctype: str, answer: Answer, what: str, severity=BLOCKING) -> Check:
        if answer.ok is False:
            return Check(
                f"read {doctype}",
                False,
                severity,
                f"ERPNext refuses {self.user} to read {doctype} ({what}): {answer.detail}",
                f"Give {self.user} the {roles_for(doctype, 'read')} role in ERPNext.",
            )
        return Check(f"read {doctype}", None, severity, f"Could not read {what}: {answer.detail}")


# ---------------------------------------------------------------------- the features


def _projects(b: Builder) -> list[Check]:
    return [
        b.perm("Project", "read", why="search and link"),
        b.perm("Project", "create", DEGRADING, why="create and link a new ERPNext Project"),
    ]


def _status_push(b: Builder) -> list[Check]:
    return [b.perm("Project", "read"), b.perm("Project", "write", why="save the status")]


def _webhook(b: Builder) -> list[Check]:
    facts = b.facts
    ours = Check("webhook secret here", True)
    if not facts.webhook_site_known:
        ours = Check(
            "webhook secret here",
            False,
            BLOCKING,
            "This bridge has no record of the site yet, so no webhook URL or secret exists.",
            "As an administrator, register the site on /erpnext/sites (or link a project), "
            "then press Set secret.",
        )
    elif not facts.webhook_secret_set:
        ours = Check(
            "webhook secret here",
            False,
            BLOCKING,
            "No webhook secret is set for this site here: deliveries cannot be verified and "
            "are refused.",
            "As an administrator, press Set secret on /erpnext/sites and paste the secret into "
            "the ERPNext Webhook (Enable Security).",
        )
    answer = b.probe.rows(
        "Webhook",
        fields=["name", "webhook_doctype", "request_url", "enabled", "enable_security"],
        filters=[["webhook_doctype", "=", "Project"]],
        limit=50,
    )
    if answer.ok is not True:
        theirs = Check(
            "Webhook in ERPNext",
            None,
            BLOCKING,
            f"Cannot see ERPNext's Webhooks: reading Webhook needs the System Manager role, "
            f"which {b.user} does not have ({answer.detail}).",
            "Check by hand in ERPNext (as a System Manager): a Webhook on Project, Doc Event "
            "on_update, Enabled, Request URL ending in "
            f"{WEBHOOK_PATH.format(token=facts.webhook_token or '<token>')}, Enable Security "
            "with the secret set here.",
        )
        return [ours, theirs]
    path = WEBHOOK_PATH.format(token=facts.webhook_token) if facts.webhook_token else None
    ours_in_erpnext = [
        r
        for r in answer.value
        if path and str(r.get("request_url") or "").rstrip("/").endswith(path)
    ]
    enabled = [r for r in ours_in_erpnext if str(r.get("enabled", 1)) not in ("0", "False")]
    if not enabled:
        theirs = Check(
            "Webhook in ERPNext",
            False,
            BLOCKING,
            "ERPNext has no enabled Webhook on Project that posts to this bridge's URL"
            f"{' (…' + path + ')' if path else ''}: ERPNext's changes arrive only with the "
            "periodic pull.",
            "Create the Webhook as the README's 'Creating the Webhook in ERPNext' says.",
        )
    elif not any(str(r.get("enable_security")) in ("1", "True") for r in enabled):
        theirs = Check(
            "Webhook signed",
            False,
            BLOCKING,
            f"The Webhook {enabled[0]['name']} is not signed (Enable Security is off): this "
            "bridge refuses unsigned deliveries.",
            f"Tick Enable Security on the Webhook {enabled[0]['name']} and set the secret from "
            "/erpnext/sites.",
        )
    else:
        theirs = Check("Webhook in ERPNext", True)
    return [ours, theirs]


def _uoms(b: Builder, severity: str) -> Check:
    return b.existing(
        "UOM",
        b.facts.rule_uoms,
        severity,
        "Create the UOM {names} in ERPNext (Stock > UOM), or change the mapping rules to a UOM "
        "that exists (names are exact).",
    )


def _bom(b: Builder, company: Check, currency: str) -> list[Check]:
    facts = b.facts
    checks = [
        b.perm("Item", "read"),
        b.perm("BOM", "read"),
        b.perm("BOM", "create"),
        b.perm("BOM", "submit", DEGRADING, why="submit the BOM"),
        company,
        _uoms(b, BLOCKING),
        b.existing(
            "Item Group",
            {facts.item_group: ["the BOM's item group (assembly and new Items)"]},
            BLOCKING,
            "Create the Item Group {names} in ERPNext, or name an existing one in the BOM "
            "options (item_group).",
        ),
        b.perm("Item", "create", NOTE, why="create missing Items (create_missing_items)"),
        b.perm("UOM", "read", NOTE, why="check UOMs and their whole-number flag"),
    ]
    if facts.rules_have_rates:
        checks += [
            b.perm("Item Price", "read", why="mapping rules set rates"),
            b.perm("Item Price", "create", why="mapping rules set rates"),
            *b.price_list(BLOCKING, currency),
        ]
    return checks


def _orders(b: Builder, company: Check, name: str, currency: str) -> list[Check]:
    facts = b.facts
    return [
        b.perm("Purchase Order", "read", why="subtract what is already ordered"),
        b.perm("Purchase Order", "create"),
        b.perm("Purchase Order", "submit", DEGRADING, why="submit orders"),
        b.perm("Item", "read"),
        b.perm("Supplier", "read"),
        company,
        b.warehouse(name, BLOCKING),
        _uoms(b, BLOCKING),
        b.existing(
            "Supplier",
            facts.rule_suppliers,
            BLOCKING,
            "Create the Supplier {names} in ERPNext, or correct the mapping rules (names are "
            "exact).",
        ),
        *b.price_list(DEGRADING, currency),
        b.perm("Item Price", "read", NOTE, why="show rates from the price list"),
        b.perm("Budget", "read", NOTE, why="show the budget left"),
        b.fiscal_year(name, DEGRADING, "budget checks, receipts and invoices need one"),
    ]


def _material_requests(b: Builder, company: Check, name: str) -> list[Check]:
    return [
        b.perm("Material Request", "read", why="subtract open requests"),
        b.perm("Material Request", "create"),
        b.perm("Material Request", "submit", DEGRADING, why="submit requests"),
        b.perm("Item", "read"),
        company,
        b.warehouse(name, BLOCKING),
        _uoms(b, BLOCKING),
        b.fiscal_year(name, DEGRADING, "budget checks need one"),
    ]


def _costs(b: Builder, company: Check, name: str) -> list[Check]:
    return [
        b.perm("Project", "read", why="the project's cost figures"),
        company,
        b.perm("Purchase Order", "read", DEGRADING, why="committed cost"),
        b.perm("Purchase Invoice", "read", DEGRADING, why="actual cost per invoice"),
        b.perm("Budget", "read", DEGRADING, why="the budget"),
        b.fiscal_year(name, DEGRADING, "the budget is per fiscal year"),
    ]


def _ifc_export(b: Builder, currency: str) -> list[Check]:
    return [
        b.perm("Item", "read", why="rates: last purchase and valuation rates"),
        b.perm("Item Price", "read", DEGRADING, why="rates from the price list"),
        *b.price_list(DEGRADING, currency),
    ]


def build_features(probe: Probe, facts: SiteFacts, erpnext_user: str) -> tuple[list[Feature], str]:
    """Every feature after the connection, checked through ``probe``; and the company used."""
    b = Builder(probe, facts, erpnext_user)
    company, name, currency = b.company()
    makers: dict[str, Callable[[], list[Check]]] = {
        "projects": lambda: _projects(b),
        "status_push": lambda: _status_push(b),
        "webhook": lambda: _webhook(b),
        "bom": lambda: _bom(b, company, currency),
        "purchase_orders": lambda: _orders(b, company, name, currency),
        "material_requests": lambda: _material_requests(b, company, name),
        "costs": lambda: _costs(b, company, name),
        "ifc_cost_export": lambda: _ifc_export(b, currency),
    }
    return [Feature(key, FEATURES[key], make()) for key, make in makers.items()], name
