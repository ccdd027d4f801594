#!/usr/bin/env python
"""HTTP requests and wall time of a BOM sync of a 1,000-line takeoff, against the naive way.

Runs against the ERPNext double on loopback (tests/bom/double.py) with a throwaway SQLite
database. Each scenario gets a fresh double; requests are counted by the double itself.

* ours: the bridge's sync (bom.services): first sync, unchanged re-sync, changed re-sync,
  and a first sync that has to create all 1,000 Items;
* naive: one request per line (GET the Item, POST it when missing), then POST the BOM and
  PUT it submitted; a re-sync repeats all of it (there is nothing to tell it nothing changed).

Targets (issue 5): first sync <= 6 requests; unchanged re-sync 1 read and 0 writes.

    python benchmarks/bom_sync.py [--lines 1000] [--latency-ms 0] [--json]

--latency-ms adds a delay to every answer of the double, like a real ERPNext's round trip.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
UOMS = ("m³", "m²", "m", "kg", "Nos")
KINDS = {"m³": "volume", "m²": "area", "m": "length", "kg": "weight", "Nos": "count"}


def setup_django(tmp: Path) -> None:
    sys.path.insert(0, str(ROOT))
    os.environ["DATABASE_URL"] = f"sqlite:///{tmp / 'bench.sqlite3'}"
    os.environ["DJANGO_SETTINGS_MODULE"] = "tests.settings"
    os.environ["INTEGRATIONS_ALLOW_PRIVATE_NETWORKS"] = "true"
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    import django

    django.setup()
    import logging

    logging.disable(logging.INFO)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def is_write(request) -> bool:
    return request.method in ("POST", "PUT", "DELETE") and "get_list" not in request.path


def counts(double) -> dict:
    requests = double.requests
    writes = sum(1 for r in requests if is_write(r))
    return {"requests": len(requests), "reads": len(requests) - writes, "writes": writes}


class World:
    """A user, a project and a model version whose takeoff has `lines` lines, one rule each."""

    def __init__(self, lines: int) -> None:
        from bom.models import MappingRule
        from projects import services as project_services
        from projects.models import ModelVersion, TakeoffElement
        from tests.factories import make_user

        self.lines = lines
        self.user = make_user(f"bench{time.monotonic_ns()}", role="editor")
        self.project = project_services.project_create(user=self.user, name="Benchmark tower")
        self.versions = []
        for number in (1, 2):
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
                # Version 2 differs from version 1 in one line only.
                value = 1.0 + n / 7 + (0.5 if number == 2 and n == 0 else 0.0)
                rows.append(
                    TakeoffElement(
                        model_version=version,
                        global_id=f"E{number}-{n:05d}",
                        ifc_class="IfcBuildingElementProxy",
                        type_name=f"Type {n:05d}",
                        material=f"Material {n % 40}",
                        count=1,
                        source="qto",
                        **({} if kind == "count" else {kind: value}),
                    )
                )
            TakeoffElement.objects.bulk_create(rows, batch_size=2000)
            self.versions.append(version)
        MappingRule.objects.bulk_create(
            MappingRule(
                project=self.project,
                ifc_class="IfcBuildingElementProxy",
                type_name=f"Type {n:05d}",
                item_code=self.code(n),
                quantity=KINDS[UOMS[n % len(UOMS)]],
                uom=UOMS[n % len(UOMS)],
                waste_factor="0.03",
            )
            for n in range(lines)
        )

    @staticmethod
    def code(n: int) -> str:
        return f"MAT-{n:05d}"

    def connect(self, double) -> None:
        from openaec.accounts.services import integration_settings_update
        from tests.factories import ERP_SECRET

        integration_settings_update(
            user=self.user,
            changes={
                "erpnext_url": double.url,
                "erpnext_api_key": "bridge-key",
                "erpnext_api_secret": ERP_SECRET,
            },
        )
        self.user.refresh_from_db()

    def add_items(self, double) -> None:
        for n in range(self.lines):
            double.add_doc(
                "Item",
                {
                    "item_code": self.code(n),
                    "item_group": "All Item Groups",
                    "stock_uom": UOMS[n % len(UOMS)],
                },
            )


def new_double(latency_ms: float):
    from tests.bom.double import ErpnextStockDouble
    from tests.factories import ERP_SECRET

    double = ErpnextStockDouble(api_key="bridge-key", api_secret=ERP_SECRET).start()
    if latency_ms:
        double.inject(None, times=None, delay=latency_ms / 1000)
    return double


def ours(world: World, double, version, **options) -> dict:
    from bom.models import BomSyncRun
    from bom.services import bom_sync_start

    double.clear_requests()
    started = time.perf_counter()
    run = bom_sync_start(
        project=world.project, user=world.user, model_version=version.number, options=options
    )
    wall = time.perf_counter() - started
    run = BomSyncRun.objects.get(pk=run.pk)
    if run.state != "succeeded":
        raise SystemExit(f"sync failed: {run.error} {run.line_errors[:3]}")
    return {**counts(double), "wall_s": wall, "outcome": run.outcome, "recorded": run.http_requests}


def naive(world: World, double, version, *, create: bool) -> dict:
    """One request per line, then the BOM: what a straightforward script does."""
    from bom.mapping import map_lines, round_qty
    from bom.selectors import mapping_rules_for, takeoff_mapping_lines
    from integrations.erpnext.client import ErpnextClient
    from integrations.erpnext.errors import ErpnextNotFound
    from integrations.netguard import OutboundPolicy
    from tests.factories import ERP_SECRET

    double.clear_requests()
    started = time.perf_counter()
    mapped = map_lines(
        mapping_rules_for(project=world.project), takeoff_mapping_lines(version=version)
    )
    policy = OutboundPolicy(allow_private=True, timeout=30)
    assembly = f"NAIVE-{world.project.slug}"
    with ErpnextClient(double.url, "bridge-key", ERP_SECRET, policy=policy) as client:
        rows = []
        for line in mapped.lines:
            try:
                client.get_doc("Item", line.item_code)
            except ErpnextNotFound:
                if not create:
                    raise
                client.insert_doc(
                    "Item",
                    {
                        "item_code": line.item_code,
                        "item_group": "All Item Groups",
                        "stock_uom": line.uom,
                    },
                )
            qty, _ = round_qty(line.qty, whole=line.uom == "Nos")
            rows.append({"item_code": line.item_code, "qty": qty, "uom": line.uom})
        try:
            client.get_doc("Item", assembly)
        except ErpnextNotFound:
            client.insert_doc(
                "Item", {"item_code": assembly, "item_group": "All Item Groups", "stock_uom": "Nos"}
            )
        bom = client.insert_doc(
            "BOM",
            {
                "item": assembly,
                "company": "OpenAEC Demo",
                "currency": "EUR",
                "quantity": 1,
                "items": rows,
            },
        )
        client.submit_doc("BOM", bom["name"])
    return {**counts(double), "wall_s": time.perf_counter() - started, "outcome": "created"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--lines", type=int, default=1000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as tmp:
        setup_django(Path(tmp))
        results: list[tuple[str, dict]] = []
        sync_options = {"submit": True, "create_missing_items": True}

        # Ours, Items already in ERPNext: first sync, unchanged re-sync, changed re-sync.
        world = World(args.lines)
        double = new_double(args.latency_ms)
        try:
            world.connect(double)
            world.add_items(double)
            v1, v2 = world.versions
            results.append(
                ("ours: first sync (Items exist)", ours(world, double, v1, **sync_options))
            )
            results.append(("ours: unchanged re-sync", ours(world, double, v1, **sync_options)))
            results.append(
                ("ours: changed re-sync (1 line)", ours(world, double, v2, **sync_options))
            )
        finally:
            double.stop()

        # Ours, every Item missing: the sync creates 1,000 Items (+ the assembly item).
        world = World(args.lines)
        double = new_double(args.latency_ms)
        try:
            world.connect(double)
            results.append(
                (
                    "ours: first sync (creates all Items)",
                    ours(world, double, world.versions[0], **sync_options),
                )
            )
        finally:
            double.stop()

        # Naive, same two starting points.
        world = World(args.lines)
        double = new_double(args.latency_ms)
        try:
            world.add_items(double)
            v1 = world.versions[0]
            results.append(
                ("naive: first sync (Items exist)", naive(world, double, v1, create=False))
            )
            results.append(("naive: unchanged re-sync", naive(world, double, v1, create=False)))
        finally:
            double.stop()
        world = World(args.lines)
        double = new_double(args.latency_ms)
        try:
            results.append(
                (
                    "naive: first sync (creates all Items)",
                    naive(world, double, world.versions[0], create=True),
                )
            )
        finally:
            double.stop()

    first = dict(results)["ours: first sync (Items exist)"]
    unchanged = dict(results)["ours: unchanged re-sync"]
    verdict = {
        "first_sync_at_most_6_requests": first["requests"] <= 6,
        "unchanged_resync_1_read_0_writes": (unchanged["reads"], unchanged["writes"]) == (1, 0),
    }
    if args.json:
        print(
            json.dumps(
                {
                    "lines": args.lines,
                    "latency_ms": args.latency_ms,
                    "results": dict(results),
                    "targets": verdict,
                },
                indent=2,
            )
        )
        return 0 if all(verdict.values()) else 1
    print(
        f"BOM sync of a {args.lines}-line takeoff against the ERPNext double "
        f"(added latency {args.latency_ms:g} ms per request)"
    )
    print(f"{'scenario':40} {'requests':>8} {'reads':>6} {'writes':>6} {'wall s':>8}  outcome")
    for name, r in results:
        print(
            f"{name:40} {r['requests']:>8} {r['reads']:>6} {r['writes']:>6} "
            f"{r['wall_s']:>8.3f}  {r['outcome']}"
        )
    created = dict(results)["ours: first sync (creates all Items)"]
    print()
    print(
        f"target first sync <= 6 requests: {'PASS' if verdict['first_sync_at_most_6_requests'] else 'FAIL'}"
        f" ({first['requests']}); when it must create {args.lines} Items: {created['requests']} "
        f"(frappe.client.insert_many takes at most 200 documents per call)"
    )
    print(
        f"target unchanged re-sync 1 read, 0 writes: "
        f"{'PASS' if verdict['unchanged_resync_1_read_0_writes'] else 'FAIL'} "
        f"({unchanged['reads']} read, {unchanged['writes']} writes)"
    )
    return 0 if all(verdict.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
