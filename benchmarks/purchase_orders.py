#!/usr/bin/env python
"""HTTP requests and wall time of ordering a 1,000-line takeoff across 5 suppliers, against the
naive way, in the same run.

Runs against the recorded-site ERPNext double on loopback (tests/erpnext_double/erpnext.py)
with a throwaway SQLite database. Requests are counted by the double itself.

* ours: the bridge's order run (orders.services): a first order of every line, the same model
  again (nothing left to order), and the same 1,000 lines cut to 100 (reads must not change);
* naive: one request per line to read the Item and one to read what is ordered of it, and one
  Purchase Order per line.

Targets: reads independent of the line count; one insert per order (5 suppliers: 5 inserts).

    python benchmarks/purchase_orders.py [--lines 1000] [--suppliers 5] [--latency-ms 0] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

# The sibling script's Django setup and request counts (this file runs as a script too).
from bom_sync import counts, setup_django

UOMS = ("Kg", "Meter", "Nos", "Cubic Meter", "Square Meter")
KINDS = {"Kg": "weight", "Meter": "length", "Nos": "count", "Cubic Meter": "volume"}
KINDS["Square Meter"] = "area"


def code(n: int) -> str:
    return f"MAT-{n:05d}"


def supplier(n: int, suppliers: int) -> str:
    return f"Supplier {n % suppliers + 1}"


def new_site(lines: int, suppliers: int, latency_ms: float):
    """The recorded site with the suppliers, one Item per line (a default supplier each) and
    prices for every other Item."""
    from tests.erpnext_double.erpnext import SITE_COMPANY, recorded_site
    from tests.factories import ERP_SECRET

    site = recorded_site(api_key="bridge-key", api_secret=ERP_SECRET).start()
    for s in range(suppliers):
        site.add_doc("Supplier", {"supplier_name": f"Supplier {s + 1}"})
    for n in range(lines):
        site.add_doc(
            "Item",
            {
                "item_code": code(n),
                "item_group": "Raw Material",
                "stock_uom": UOMS[n % len(UOMS)],
                "item_defaults": [
                    {"company": SITE_COMPANY, "default_supplier": supplier(n, suppliers)}
                ],
                "last_purchase_rate": 3,
            },
        )
        if n % 2 == 0:
            site.add_doc(
                "Item Price",
                {"item_code": code(n), "price_list": "Standard Buying", "price_list_rate": 2.5},
            )
    project = site.add_doc("Project", {"project_name": "Benchmark tower", "company": SITE_COMPANY})
    if latency_ms:
        site.inject(None, times=None, delay=latency_ms / 1000)
    return site, project["name"]


class World:
    """A user, a project linked to the site's Project, and versions of `lines` lines."""

    def __init__(self, site, erp_project: str, lines: int) -> None:
        from bom.models import MappingRule
        from erp.services.links import project_link_create
        from openaec.accounts.services import integration_settings_update
        from projects import services as project_services
        from tests.factories import ERP_SECRET, make_user

        self.user = make_user(f"bench{time.monotonic_ns()}", role="editor")
        self.project = project_services.project_create(user=self.user, name="Benchmark tower")
        integration_settings_update(
            user=self.user,
            changes={
                "erpnext_url": site.url,
                "erpnext_api_key": "bridge-key",
                "erpnext_api_secret": ERP_SECRET,
            },
        )
        self.user.refresh_from_db()
        project_link_create(project=self.project, user=self.user, erpnext_project=erp_project)
        self.erp_project = erp_project
        MappingRule.objects.bulk_create(
            MappingRule(
                project=self.project,
                type_name=f"Type {n:05d}",
                item_code=code(n),
                quantity=KINDS[UOMS[n % len(UOMS)]],
                uom=UOMS[n % len(UOMS)],
            )
            for n in range(lines)
        )

    def version(self, lines: int):
        from projects.models import ModelVersion, TakeoffElement

        number = self.project.model_versions.count() + 1
        version = ModelVersion.objects.create(
            project=self.project,
            number=number,
            original_filename=f"tower-v{number}.ifc",
            file=f"ifc/bench/v{number}.ifc",
            sha256="0" * 64,
            size=1,
            state=ModelVersion.State.READY,
        )
        rows = []
        for n in range(lines):
            kind = KINDS[UOMS[n % len(UOMS)]]
            rows.append(
                TakeoffElement(
                    model_version=version,
                    global_id=f"E{number}-{n:05d}",
                    ifc_class="IfcBuildingElementProxy",
                    type_name=f"Type {n:05d}",
                    material="",
                    count=1 + n % 4,
                    source="qto",
                    **({} if kind == "count" else {kind: 1.0 + n / 7}),
                )
            )
        TakeoffElement.objects.bulk_create(rows, batch_size=2000)
        return version


def ours(world: World, site, version) -> dict:
    from jobs.models import Job
    from orders.services import order_run_start

    site.clear_requests()
    started = time.perf_counter()
    job = order_run_start(
        project=world.project, user=world.user, model_version=version.number, options={}
    )
    wall = time.perf_counter() - started
    job = Job.objects.get(pk=job.pk)
    if job.state != "succeeded":
        raise SystemExit(f"order run failed: {job.error} {job.error_details[:3]}")
    orders = len(job.result["orders"])
    return {**counts(site), "wall_s": wall, "orders": orders}


def naive(world: World, site, version) -> dict:
    """Per line: read the Item, read what is ordered of it, insert one Purchase Order."""
    from bom.mapping import map_lines
    from bom.selectors import mapping_rules_for, takeoff_mapping_lines
    from integrations.erpnext.client import ErpnextClient
    from integrations.netguard import OutboundPolicy
    from tests.factories import ERP_SECRET

    site.clear_requests()
    started = time.perf_counter()
    mapped = map_lines(
        mapping_rules_for(project=world.project), takeoff_mapping_lines(version=version)
    )
    policy = OutboundPolicy(allow_private=True, timeout=30)
    made = 0
    with ErpnextClient(site.url, "bridge-key", ERP_SECRET, policy=policy) as client:
        for line in mapped.lines:
            item = client.get_doc("Item", line.item_code)
            ordered = client.call_method(
                "frappe.client.get_list",
                doctype="Purchase Order",
                fields=["name", "items.stock_qty"],
                filters=[
                    ["Purchase Order Item", "item_code", "=", line.item_code],
                    ["Purchase Order Item", "project", "=", world.erp_project],
                    ["docstatus", "!=", 2],
                ],
                limit_page_length=0,
            )
            qty = line.qty - sum(float(r.get("stock_qty") or 0) for r in ordered or [])
            if qty <= 0:
                continue
            client.insert_doc(
                "Purchase Order",
                {
                    "supplier": item["item_defaults"][0]["default_supplier"],
                    "project": world.erp_project,
                    "schedule_date": "2027-01-31",
                    "items": [
                        {
                            "item_code": line.item_code,
                            "qty": round(qty, 3) if line.uom != "Nos" else int(qty + 0.999),
                            "uom": line.uom,
                            "project": world.erp_project,
                        }
                    ],
                },
            )
            made += 1
    return {**counts(site), "wall_s": time.perf_counter() - started, "orders": made}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--suppliers", type=int, default=5)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    few = max(1, args.lines // 10)

    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        results: list[tuple[str, dict]] = []

        site, erp_project = new_site(args.lines, args.suppliers, args.latency_ms)
        try:
            world = World(site, erp_project, args.lines)
            full = world.version(args.lines)
            results.append((f"ours: first order, {args.lines} lines", ours(world, site, full)))
            results.append(("ours: same model again", ours(world, site, full)))
        finally:
            site.stop()

        site, erp_project = new_site(args.lines, args.suppliers, args.latency_ms)
        try:
            world = World(site, erp_project, args.lines)
            results.append(
                (f"ours: first order, {few} lines", ours(world, site, world.version(few)))
            )
        finally:
            site.stop()

        site, erp_project = new_site(args.lines, args.suppliers, args.latency_ms)
        try:
            world = World(site, erp_project, args.lines)
            results.append(
                (
                    f"naive: first order, {args.lines} lines",
                    naive(world, site, world.version(args.lines)),
                )
            )
        finally:
            site.stop()

    table = dict(results)
    first = table[f"ours: first order, {args.lines} lines"]
    small = table[f"ours: first order, {few} lines"]
    again = table["ours: same model again"]
    verdict = {
        "reads_independent_of_lines": first["reads"] == small["reads"],
        "one_insert_per_order": first["writes"] == first["orders"] == args.suppliers,
        "nothing_written_again": again["writes"] == 0,
    }
    if args.json:
        print(json.dumps({"lines": args.lines, "results": table, "targets": verdict}, indent=2))
        return 0 if all(verdict.values()) else 1
    print(
        f"Purchase orders for a {args.lines}-line takeoff across {args.suppliers} suppliers "
        f"against the ERPNext double (added latency {args.latency_ms:g} ms per request)"
    )
    print(f"{'scenario':34} {'requests':>8} {'reads':>6} {'writes':>6} {'orders':>6} {'wall s':>8}")
    for name, r in results:
        print(
            f"{name:34} {r['requests']:>8} {r['reads']:>6} {r['writes']:>6} {r['orders']:>6} "
            f"{r['wall_s']:>8.3f}"
        )
    naive_run = table[f"naive: first order, {args.lines} lines"]
    print()
    for name, ok in verdict.items():
        print(f"target {name.replace('_', ' ')}: {'PASS' if ok else 'FAIL'}")
    print(
        f"naive / ours: {naive_run['requests'] / max(first['requests'], 1):.0f}x the requests, "
        f"{naive_run['wall_s'] / max(first['wall_s'], 1e-9):.1f}x the wall time"
    )
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
