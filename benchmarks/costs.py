#!/usr/bin/env python
"""Cost dashboard: HTTP requests and wall time of a refresh for a project with 1,000 Purchase
Order lines and 200 Purchase Invoices, against the naive way in the same run, and the page's
server time with cached figures.

Runs against the recorded-site ERPNext double on loopback (tests/erpnext_double/erpnext.py)
with a throwaway SQLite database. Requests are counted by the double itself.

* ours: the refresh job (costs.services: Project, Budgets, open order rows, GL Entries and the
  model estimate of a 1,000-line takeoff, each one paged read), run inline as a worker would;
  and the same with a tenth of the orders and invoices (requests must not change);
* naive: list the project's Purchase Orders and Purchase Invoices, then GET each document (the
  way a script reading ERPNext document by document does it), plus the Project and Budgets;
* page: GET /projects/{slug}/costs and GET /api/projects/{slug}/costs with the figures cached,
  median server time of 20 (target: under 200 ms).

    python benchmarks/costs.py [--lines 1000] [--invoices 200] [--latency-ms 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from bom_sync import counts, setup_django
from purchase_orders import World, code, new_site, supplier

ROWS_PER_ORDER = 20
ACCOUNT = "Cost of Goods Sold - BTC"
RENDERS = 20


def seed_costs(site, erp_project: str, lines: int, invoices: int) -> None:
    """Submitted orders of ROWS_PER_ORDER rows covering `lines` Items, `invoices` submitted
    invoices billing one row each, and a budget on the project."""
    from tests.erpnext_double.erpnext import SITE_COMPANY

    rows = []
    for start in range(0, lines, ROWS_PER_ORDER):
        items = [
            {
                "item_code": code(n),
                "qty": 2,
                "uom": "Nos",
                "rate": 10,
                "project": erp_project,
                "expense_account": ACCOUNT,
            }
            for n in range(start, min(lines, start + ROWS_PER_ORDER))
        ]
        po = site.add_doc(
            "Purchase Order",
            {
                "supplier": supplier(start, 5),
                "company": SITE_COMPANY,
                "transaction_date": "2026-03-01",
                "schedule_date": "2026-03-15",
                "project": erp_project,
                "docstatus": 1,
                "items": items,
            },
        )
        rows.extend((po, row) for row in po["items"])
    for n in range(invoices):
        po, row = rows[n * len(rows) // max(invoices, 1)]
        site.add_doc(
            "Purchase Invoice",
            {
                "supplier": po["supplier"],
                "company": SITE_COMPANY,
                "posting_date": f"2026-{4 + n % 6:02d}-02",
                "project": erp_project,
                "docstatus": 1,
                "items": [
                    {
                        "item_code": row["item_code"],
                        "qty": 1,
                        "uom": "Nos",
                        "rate": 10,
                        "project": erp_project,
                        "expense_account": ACCOUNT,
                        "purchase_order": po["name"],
                        "po_detail": row["name"],
                    }
                ],
            },
        )
    site.add_doc(
        "Budget",
        {
            "budget_against": "Project",
            "project": erp_project,
            "company": SITE_COMPANY,
            "fiscal_year": "2026",
            "docstatus": 1,
            "accounts": [{"account": ACCOUNT, "budget_amount": 50000}],
        },
    )


def build(args, lines: int, invoices: int):
    site, erp_project = new_site(args.lines, 5, args.latency_ms)
    seed_costs(site, erp_project, lines, invoices)
    world = World(site, erp_project, args.lines)
    world.version(args.lines)
    return site, world


def ours(world: World, site) -> dict:
    from costs.services import costs_refresh_start
    from jobs.models import Job

    site.clear_requests()
    started = time.perf_counter()
    job = costs_refresh_start(project=world.project, user=world.user)  # runs inline on commit
    wall = time.perf_counter() - started
    job = Job.objects.get(pk=job.pk)
    if job.state != "succeeded":
        raise SystemExit(f"cost refresh failed: {job.error}")
    return {**counts(site), "wall_s": wall, "committed": job.result["totals"]["committed"]}


def naive(world: World, site) -> dict:
    """List the orders and invoices, then read each document."""
    from integrations.erpnext.client import ErpnextClient
    from integrations.netguard import OutboundPolicy
    from tests.factories import ERP_SECRET

    site.clear_requests()
    started = time.perf_counter()
    policy = OutboundPolicy(allow_private=True, timeout=30)
    committed = 0.0
    with ErpnextClient(site.url, "bridge-key", ERP_SECRET, policy=policy) as client:
        client.get_doc("Project", world.erp_project)
        for doctype in ("Budget", "Purchase Order", "Purchase Invoice"):
            names = client.call_method(
                "frappe.client.get_list",
                doctype=doctype,
                fields=["name"],
                filters=[["project", "=", world.erp_project], ["docstatus", "=", 1]],
                limit_page_length=0,
            )
            for entry in names or []:
                doc = client.get_doc(doctype, entry["name"])
                if doctype == "Purchase Order":
                    committed += sum(
                        float(r["amount"]) - float(r.get("billed_amt") or 0) for r in doc["items"]
                    )
    return {**counts(site), "wall_s": time.perf_counter() - started, "committed": committed}


def render_times(world: World) -> dict:
    from django.conf import settings
    from django.test import Client

    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]  # Django's test client
    client = Client()
    client.force_login(world.user)
    out = {}
    for name, url in (
        ("page", f"/projects/{world.project.slug}/costs"),
        ("api", f"/api/projects/{world.project.slug}/costs"),
    ):
        times = []
        for _ in range(RENDERS):
            started = time.perf_counter()
            response = client.get(url)
            times.append(time.perf_counter() - started)
            if response.status_code != 200:
                raise SystemExit(f"{url} answered {response.status_code}")
        out[f"{name}_median_ms"] = statistics.median(times) * 1000
        out[f"{name}_max_ms"] = max(times) * 1000
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--invoices", type=int, default=200)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    few_lines, few_invoices = max(1, args.lines // 10), max(1, args.invoices // 10)

    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        results: dict[str, dict] = {}
        site, world = build(args, args.lines, args.invoices)
        try:
            name = f"ours: {args.lines} PO lines, {args.invoices} PIs"
            results[name] = ours(world, site)
            pages = render_times(world)
            results[f"naive: {args.lines} PO lines, {args.invoices} PIs"] = naive(world, site)
        finally:
            site.stop()
        site, world = build(args, few_lines, few_invoices)
        try:
            results[f"ours: {few_lines} PO lines, {few_invoices} PIs"] = ours(world, site)
        finally:
            site.stop()

    big = results[f"ours: {args.lines} PO lines, {args.invoices} PIs"]
    small = results[f"ours: {few_lines} PO lines, {few_invoices} PIs"]
    slow = results[f"naive: {args.lines} PO lines, {args.invoices} PIs"]
    verdict = {
        "requests_independent_of_orders": big["requests"] == small["requests"],
        "same_committed_as_naive": abs(big["committed"] - slow["committed"]) < 0.01,
        "page_under_200_ms": pages["page_median_ms"] < 200,
        "api_under_200_ms": pages["api_median_ms"] < 200,
    }
    if args.json:
        print(json.dumps({"results": results, "render": pages, "targets": verdict}, indent=2))
        return 0 if all(verdict.values()) else 1
    print(
        f"Cost dashboard refresh against the ERPNext double (takeoff of {args.lines} lines, "
        f"added latency {args.latency_ms:g} ms per request)"
    )
    print(f"{'scenario':34} {'requests':>8} {'wall s':>8} {'committed':>12}")
    for name, r in results.items():
        print(f"{name:34} {r['requests']:>8} {r['wall_s']:>8.3f} {r['committed']:>12.2f}")
    print(
        f"\nnaive / ours: {slow['requests'] / max(big['requests'], 1):.0f}x the requests, "
        f"{slow['wall_s'] / max(big['wall_s'], 1e-9):.1f}x the wall time"
    )
    print(
        f"cached figures, server time (median of {RENDERS}): page "
        f"{pages['page_median_ms']:.1f} ms (max {pages['page_max_ms']:.1f}), API "
        f"{pages['api_median_ms']:.1f} ms (max {pages['api_max_ms']:.1f})"
    )
    for name, ok in verdict.items():
        print(f"target {name.replace('_', ' ')}: {'PASS' if ok else 'FAIL'}")
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
