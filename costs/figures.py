"""Budget vs model estimate vs committed vs actual, put together. Pure: works on what the
gateway read and on the model estimate, calls nothing.

* committed: submitted, open Purchase Order rows, ordered minus billed (row billed_amt, else
  the order's per_billed);
* actual: GL Entries with the project, debit minus credit per account (when the user may read
  GL Entry), else the Project's own totals (purchase + consumed material + timesheets);
* forecast at completion: actual + committed + what the model still needs and is not ordered;
* earned value: percent complete x the budget (or ERPNext's estimated costing), CPI = EV / actual;
* ERPNext's own Budget Variance Report for the project and fiscal year, beside the budget.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from bom.rows import RATE_DECIMALS

from .constants import (
    ACTUAL_FROM_GL,
    ACTUAL_FROM_PROJECT,
    ROLE_ACCOUNTS,
    ROLE_BUDGET,
    THRESHOLD_CRITICAL,
    THRESHOLD_WARN,
)

NO_ACCOUNT = "(no expense account)"


def _money(value: float) -> float:
    return round(value, RATE_DECIMALS)


def committed_rows(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """What each open order row still commits: its amount less what is billed."""
    out = []
    for row in rows:
        amount = float(row.get("amount") or 0)
        billed = row.get("billed_amt")
        if billed is None:
            billed = amount * float(row.get("per_billed") or 0) / 100
        left = max(0.0, amount - float(billed))
        out.append(
            {
                "order": row.get("name"),
                "item_code": row.get("item_code") or "",
                "account": row.get("expense_account") or NO_ACCOUNT,
                "ordered": amount,
                "billed": float(billed),
                "committed": left,
            }
        )
    return out


def _scrub(name: str) -> str:
    """frappe.scrub: how the report turns a fiscal year's name into its column keys."""
    return name.replace(" ", "_").replace("-", "_").lower()


def variance_rows(
    rows: Sequence[Mapping[str, Any]], *, project: str, fiscal_year: str
) -> list[dict[str, Any]]:
    """The Budget Variance Report's yearly rows of ``project``, per account, rounded (the
    report's floats carry noise: 99.99999999999999, B8.1)."""
    key = _scrub(fiscal_year)
    return [
        {
            "account": str(row.get("Account") or NO_ACCOUNT),
            "budget": _money(float(row.get(f"budget_{key}") or 0)),
            "actual": _money(float(row.get(f"actual_{key}") or 0)),
            "variance": _money(float(row.get(f"variance_{key}") or 0)),
        }
        for row in rows
        if row.get("budget_against") in (None, project)
    ]


def level(used: float, budget: float | None) -> str:
    """ "over" from 95 % of the budget, "warn" from 80 %, else "ok" ("" without a budget)."""
    if not budget:
        return ""
    share = used / budget
    if share >= THRESHOLD_CRITICAL:
        return "over"
    if share >= THRESHOLD_WARN:
        return "warn"
    return "ok"


def cost_overview(
    *,
    project: Mapping[str, Any],
    budgets: Sequence[Mapping[str, Any]] | None,
    orders: Sequence[Mapping[str, Any]],
    gl: Sequence[Mapping[str, Any]] | None,
    estimate: Mapping[str, Any] | None,
    variance: Sequence[Mapping[str, Any]] | None = None,
    fiscal_year: str = "",
) -> dict[str, Any]:
    """The dashboard's figures: per account, per Item, totals, forecast, earned value, the
    Budget Variance Report's rows (``variance``, already by variance_rows; None when it was
    not run), and what could not be read (with the ERPNext role it needs)."""
    gaps: list[dict[str, str]] = []
    budget_by: dict[str, float] = {}
    if budgets is None:
        gaps.append(
            {
                "figure": "budget",
                "role": ROLE_BUDGET,
                "message": f"Your ERPNext user may not read Budget: that needs the {ROLE_BUDGET} "
                "role.",
            }
        )
    else:
        for row in budgets:
            if row.get("account"):
                account = str(row["account"])
                budget_by[account] = budget_by.get(account, 0.0) + float(
                    row.get("budget_amount") or 0
                )
    if variance is None:
        # Not asked without Budget (the same role); asked and refused: it needs Accounts roles.
        role = ROLE_BUDGET if budgets is None else ROLE_ACCOUNTS
        gaps.append(
            {
                "figure": "budget variance report",
                "role": role,
                "message": f"Your ERPNext user may not run ERPNext's Budget Variance Report: "
                f"that needs the {role} role.",
            }
        )
    committed = committed_rows(orders)
    committed_by: dict[str, float] = {}
    committed_items: dict[str, float] = {}
    for row in committed:
        committed_by[row["account"]] = committed_by.get(row["account"], 0.0) + row["committed"]
        code = row["item_code"]
        committed_items[code] = committed_items.get(code, 0.0) + row["committed"]
    actual_by: dict[str, float] = {}
    by_month: dict[str, float] = {}
    if gl is None:
        gaps.append(
            {
                "figure": "actual per account",
                "role": ROLE_ACCOUNTS,
                "message": f"Your ERPNext user may not read GL Entry (that needs the "
                f"{ROLE_ACCOUNTS} role): the actual cost is the Project's own total.",
            }
        )
        actual_total = (
            project["total_purchase_cost"]
            + project["total_consumed_material_cost"]
            + project["total_costing_amount"]
        )
        actual_source = ACTUAL_FROM_PROJECT
    else:
        for entry in gl:
            net = float(entry.get("debit") or 0) - float(entry.get("credit") or 0)
            account = str(entry.get("account") or NO_ACCOUNT)
            actual_by[account] = actual_by.get(account, 0.0) + net
            month = str(entry.get("posting_date") or "")[:7]
            by_month[month] = by_month.get(month, 0.0) + net
        actual_total = sum(actual_by.values())
        actual_source = ACTUAL_FROM_GL
    accounts = []
    for account in sorted(set(budget_by) | set(committed_by) | set(actual_by)):
        budget = budget_by.get(account) if budgets is not None else None
        actual = actual_by.get(account, 0.0) if gl is not None else None
        spent = committed_by.get(account, 0.0) + (actual or 0.0)
        accounts.append(
            {
                "account": account,
                "budget": None if budget is None else _money(budget),
                "committed": _money(committed_by.get(account, 0.0)),
                "actual": None if actual is None else _money(actual),
                "left": None if budget is None else _money(budget - spent),
                "used_share": round(spent / budget, 4) if budget else None,
                "level": level(spent, budget),
            }
        )
    estimate_items = {
        row["item_code"]: row["amount"] for row in (estimate or {}).get("by_item", [])
    }
    items = [
        {
            "item_code": code,
            "estimate": estimate_items.get(code),
            "committed": _money(committed_items.get(code, 0.0)),
        }
        for code in sorted(set(estimate_items) | set(committed_items))
    ]
    budget_total = _money(sum(budget_by.values())) if budgets is not None else None
    committed_total = _money(sum(committed_by.values()))
    still_needed = float((estimate or {}).get("still_needed") or 0)
    forecast = actual_total + committed_total + still_needed
    percent = float(project.get("percent_complete") or 0)
    at_completion = budget_total or project.get("estimated_costing") or None
    earned = None
    if percent > 0 and at_completion:
        ev = at_completion * percent / 100
        earned = {
            "percent_complete": percent,
            "budget_at_completion": _money(at_completion),
            "earned_value": _money(ev),
            "actual_cost": _money(actual_total),
            "cpi": round(ev / actual_total, 3) if actual_total else None,
        }
    used = actual_total + committed_total
    return {
        "project": dict(project),
        "totals": {
            "budget": budget_total,
            "estimate": None if estimate is None else estimate.get("total"),
            "committed": committed_total,
            "actual": _money(actual_total),
            "actual_source": actual_source,
            "still_needed": _money(still_needed),
            "forecast_at_completion": _money(forecast),
            "used_share": round(used / budget_total, 4) if budget_total else None,
            "level": level(used, budget_total),
            "forecast_level": level(forecast, budget_total),
        },
        "accounts": accounts,
        "items": items,
        "committed_orders": len({row["order"] for row in committed}),
        "actual_by_month": [
            {"month": month, "amount": _money(value)} for month, value in sorted(by_month.items())
        ],
        "earned_value": earned,
        "budget_variance": None if variance is None else list(variance),
        "budget_variance_fiscal_year": fiscal_year,
        "gaps": gaps,
        "thresholds": {"warn": THRESHOLD_WARN, "critical": THRESHOLD_CRITICAL},
    }
