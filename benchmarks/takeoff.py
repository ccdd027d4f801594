"""Benchmark the IFC takeoff against a bare IfcOpenShell loop (no Django needed).

Usage: python benchmarks/takeoff.py [--quick] [--elements N] [--ifc-dir DIR]

Every measurement runs in a fresh subprocess (so peak RSS is its own) and the
median of 3 runs is reported (1 with --quick). Targets from the issue:
takeoff(geometry="never") time <= 1.15x the bare loop, and its peak RSS <=
1.3x the model opened alone. The geometry rows time take_off(geometry="always")
against the bare single-thread IfcOpenShell iterator over the same elements
(target: 1.8x faster with both cores): meshing everything in one process, with
the exact paths (plain extrusions and faceted shells) in one process (the
analytic gain), and with the exact paths and N processes. Their memory is the
peak of the summed PSS of the process and its children (shared pages counted
once), against the model opened alone; their
totals per class and material are compared with the mesh-only run (today's way).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IFC_DIR = REPO_ROOT.parent / "shared" / "ifc"
LARGEST = "revit2012_janesville_restaurant.ifc"
GEOMETRY_FILES = ("Office_A_20110811.ifc", LARGEST, "duplex.ifc")
TIME_TARGET, MEMORY_TARGET, SPEED_TARGET = 1.15, 1.3, 1.8


def worker(mode: str, path: str, threads: int) -> dict:
    """Run one measurement in this (fresh) process and return its figures.

    `threads` is the iterator's threads for "bare-iterator" and the processes for "geometry"
    and "mesh-only" (the takeoff meshes with one thread per process).
    """
    import resource

    sys.path.insert(0, str(REPO_ROOT))
    import ifcopenshell
    import ifcopenshell.util.element
    import ifcopenshell.util.unit

    from integrations.ifc import aggregate, take_off

    sampler = _PssSampler()
    started = time.perf_counter()
    elements = 0
    totals = None
    if mode == "open":
        model = ifcopenshell.open(path)
        elements = len(model.by_type("IfcElement"))
    elif mode == "bare":
        elements = _bare_loop(path)
    elif mode == "bare-iterator":
        elements = _bare_iterator(path, threads)
    elif mode == "takeoff":
        elements = len({row.global_id for row in take_off(path, geometry="never").elements})
    elif mode in ("geometry", "mesh-only"):
        if mode == "mesh-only":
            from integrations.ifc import extrusion, facets

            extrusion.body_prism = lambda element, length_scale: None  # today's way: mesh all
            facets.body_measures = lambda element, length_scale, **kwargs: None
        result = take_off(path, geometry="always", threads=1, processes=threads)
        elements = len({row.global_id for row in result.elements if row.source == "geometry"})
        totals = {
            f"{line.key['ifc_class']} | {line.key['material']}": [line.area, line.volume]
            for line in aggregate(result.elements, group_by=("ifc_class", "material"))
        }
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    usage = [resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN)]
    return {
        "seconds": seconds,
        "cpu_s": sum(u.ru_utime + u.ru_stime for u in usage),
        "peak_mb": peak_mb,
        "pss_mb": sampler.stop(),
        "elements": elements,
        "totals": totals,
    }


class _PssSampler:
    """Peak of the summed PSS of this process and its children, sampled every 50 ms."""

    def __init__(self) -> None:
        import os
        import threading

        self.pid = os.getpid()
        self.peak = 0.0
        self.done = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)
        self.thread.start()

    def _run(self) -> None:
        while not self.done.wait(0.05):
            self.peak = max(self.peak, self._total())

    def _total(self) -> float:
        import os

        pids = [self.pid]
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                try:
                    with open(f"/proc/{entry}/stat") as stat:
                        if int(stat.read().rsplit(")", 1)[1].split()[1]) == self.pid:
                            pids.append(int(entry))
                except (OSError, ValueError, IndexError):
                    continue
        total = 0.0
        for pid in pids:
            try:
                with open(f"/proc/{pid}/smaps_rollup") as rollup:
                    for line in rollup:
                        if line.startswith("Pss:"):
                            total += int(line.split()[1]) / 1024
                            break
            except OSError:
                continue
        return total

    def stop(self) -> float:
        self.done.set()
        self.thread.join()
        return max(self.peak, self._total())


def _bare_iterator(path: str, threads: int) -> int:
    """The issue's geometry baseline: open, geom.iterator over the takeoff's elements, nothing
    else (the same settings as the takeoff, so both mesh the same shapes)."""
    import ifcopenshell
    import ifcopenshell.geom

    from integrations.ifc.geometry import settings

    model = ifcopenshell.open(path)
    products = [
        e
        for e in model.by_type("IfcElement")
        if not (e.is_a("IfcFeatureElement") or e.is_a("IfcVirtualElement"))
        and e.Representation is not None
    ]
    iterator = ifcopenshell.geom.iterator(settings(), model, threads, include=products)
    count = 0
    if iterator.initialize():
        while True:
            iterator.get()
            count += 1
            if not iterator.next():
                break
    return count


def _bare_loop(path: str) -> int:
    """The issue's baseline: get_psets(qtos_only) + get_material per element, SI sums per key."""
    import ifcopenshell
    import ifcopenshell.util.element as element_util
    import ifcopenshell.util.unit as unit_util

    model = ifcopenshell.open(path)
    length = unit_util.calculate_unit_scale(model, "LENGTHUNIT")
    scales = {
        "Area": unit_util.calculate_unit_scale(model, "AREAUNIT"),
        "Volume": unit_util.calculate_unit_scale(model, "VOLUMEUNIT"),
        "Weight": unit_util.calculate_unit_scale(model, "MASSUNIT") / 1000,
    }
    sums: dict[tuple, dict[str, float]] = {}
    count = 0
    for element in model.by_type("IfcElement"):
        if element.is_a("IfcFeatureElement") or element.is_a("IfcVirtualElement"):
            continue
        count += 1
        qtos = element_util.get_psets(element, qtos_only=True)
        material = element_util.get_material(element)
        key = (element.is_a(), getattr(material, "Name", None) if material else None)
        line = sums.setdefault(key, {})
        for qset in qtos.values():
            for name, value in qset.items():
                if name != "id" and isinstance(value, float):
                    scale = next(
                        (s for suffix, s in scales.items() if name.endswith(suffix)), length
                    )
                    line[name] = line.get(name, 0.0) + value * scale
    return count


def measure(mode: str, path: Path, runs: int, threads: int = 1) -> dict:
    """Median seconds and peak RSS of `runs` fresh subprocesses."""
    results = []
    for _ in range(runs):
        output = subprocess.run(
            [sys.executable, __file__, "--worker", mode, str(path), "--threads", str(threads)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        results.append(json.loads(output.strip().splitlines()[-1]))
    return {
        "seconds": statistics.median(r["seconds"] for r in results),
        "peak_mb": statistics.median(r["peak_mb"] for r in results),
        "pss_mb": statistics.median(r["pss_mb"] for r in results),
        "cpu_s": statistics.median(r["cpu_s"] for r in results),
        "elements": results[0]["elements"],
        "totals": results[0]["totals"],
    }


def qto_table(models: list[tuple[str, Path]], runs: int) -> list[str]:
    rows = [
        f"{'model':<34} {'elements':>8} {'bare s':>7} {'takeoff s':>9} {'ratio':>6}"
        f" {'open MB':>8} {'takeoff MB':>10} {'ratio':>6}",
    ]
    for label, path in models:
        opened = measure("open", path, runs)
        bare = measure("bare", path, runs)
        ours = measure("takeoff", path, runs)
        time_ratio = ours["seconds"] / bare["seconds"]
        memory_ratio = ours["peak_mb"] / opened["peak_mb"]
        rows.append(
            f"{label:<34} {bare['elements']:>8} {bare['seconds']:>7.3f} {ours['seconds']:>9.3f}"
            f" {time_ratio:>5.2f}{_mark(time_ratio, TIME_TARGET)} {opened['peak_mb']:>8.0f}"
            f" {ours['peak_mb']:>10.0f} {memory_ratio:>5.2f}{_mark(memory_ratio, MEMORY_TARGET)}"
        )
    return rows


def geometry_table(paths: list[Path], runs: int, processes: int) -> list[str]:
    rows = [
        f"{'model (geometry=always)':<36} {'shapes':>6} {'bare it. s':>10} {'mesh 1p':>8}"
        f" {'exact 1p':>8} {f'exact {processes}p':>8} {'speed-up':>8}"
        f" {'open MB':>8} {'PSS MB':>7} {'max diff':>9} {'CPU s bare/ours':>16}",
    ]
    notes = []
    for path in paths:
        opened = measure("open", path, runs)
        bare = measure("bare-iterator", path, runs, threads=1)
        mesh_only = measure("mesh-only", path, runs, threads=1)
        exact_one = measure("geometry", path, runs, threads=1)
        ours = measure("geometry", path, runs, threads=processes)
        speed_up = bare["seconds"] / ours["seconds"]
        worst, changed = _compare_totals(ours["totals"], mesh_only["totals"])
        rows.append(
            f"{path.name[:36]:<36} {bare['elements']:>6} {bare['seconds']:>10.2f}"
            f" {mesh_only['seconds']:>8.2f} {exact_one['seconds']:>8.2f} {ours['seconds']:>8.2f}"
            f" {speed_up:>7.2f}x{' ' if speed_up >= SPEED_TARGET else '!'}"
            f" {opened['pss_mb']:>8.0f} {ours['pss_mb']:>7.0f} {worst:>8.3%}"
            f" {bare['cpu_s']:>7.1f}/{ours['cpu_s']:<8.1f}"
        )
        notes += [f"  {path.name}: {line}" for line in changed]
    if notes:
        rows.append("lines whose area or volume moved more than 0.1 % from the mesh-only run:")
        rows += notes
    return rows


def _busy_loop(seconds: float, done) -> None:
    count, end = 0, time.perf_counter() + seconds
    while time.perf_counter() < end:
        count += 1
    done.put(count)


def _parallel_capacity(processes: int, seconds: float = 3.0) -> float:
    """How much more a pure-CPU loop gets done in `processes` processes than in one: what the
    cores (shared with whatever else runs on the machine) can give right now."""
    import multiprocessing

    def run(n: int) -> int:
        done = multiprocessing.Queue()
        workers = [
            multiprocessing.Process(target=_busy_loop, args=(seconds, done)) for _ in range(n)
        ]
        for worker in workers:
            worker.start()
        total = sum(done.get() for _ in workers)
        for worker in workers:
            worker.join()
        return total

    return run(processes) / run(1)


def _compare_totals(ours: dict, reference: dict) -> tuple[float, list[str]]:
    """Largest relative difference of area/volume per line, and the lines beyond 0.1 %."""
    worst, changed = 0.0, []
    for key in sorted(set(ours) | set(reference)):
        for kind, mine, theirs in zip(
            ("area", "volume"),
            ours.get(key, [None, None]),
            reference.get(key, [None, None]),
            strict=True,
        ):
            if mine is None or theirs is None:
                if mine != theirs:
                    changed.append(f"{key} {kind}: {mine} vs {theirs}")
                continue
            difference = abs(mine - theirs) / max(abs(theirs), 1e-12)
            worst = max(worst, difference)
            if difference > 0.001:
                changed.append(f"{key} {kind}: {mine:.4f} vs {theirs:.4f} ({difference:+.2%})")
    return worst, changed


def _mark(ratio: float, target: float) -> str:
    return " " if ratio <= target else "!"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="1 run per figure, duplex only for geometry"
    )
    parser.add_argument("--elements", type=int, default=20_000, help="synthetic model size")
    parser.add_argument("--ifc-dir", type=Path, default=DEFAULT_IFC_DIR)
    parser.add_argument("--worker", nargs=2, metavar=("MODE", "PATH"), help=argparse.SUPPRESS)
    parser.add_argument("--threads", type=int, default=1, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        print(json.dumps(worker(args.worker[0], args.worker[1], args.threads)))
        return

    sys.path.insert(0, str(REPO_ROOT))
    from integrations.ifc.mesh_pool import default_processes
    from integrations.ifc.synthetic import write_synthetic_model

    runs = 1 if args.quick else 3
    with tempfile.TemporaryDirectory(prefix="takeoff-bench-") as tmp:
        synthetic = Path(tmp) / f"synthetic_{args.elements}.ifc"
        started = time.perf_counter()
        write_synthetic_model(synthetic, elements=args.elements, length_unit="MILLIMETRE")
        written = time.perf_counter() - started
        size_mb = synthetic.stat().st_size / 1e6
        print(
            f"synthetic model: {args.elements:,} elements, {size_mb:.1f} MB, written in {written:.1f} s"
        )
        models = [(f"synthetic {args.elements // 1000}k ({size_mb:.0f} MB)", synthetic)]
        largest = args.ifc_dir / LARGEST
        if largest.is_file():
            models.insert(0, (f"{LARGEST[:22]}... (27 MB)", largest))
        else:
            print(f"({largest} not found: real-file rows skipped)")
        print(
            f"\nQto path, median of {runs} fresh process(es); targets: time <= {TIME_TARGET}x,"
            f" memory <= {MEMORY_TARGET}x"
        )
        print("\n".join(qto_table(models, runs)))
        geometry_names = GEOMETRY_FILES[2:] if args.quick else GEOMETRY_FILES[:2]
        geometry_paths = [args.ifc_dir / n for n in geometry_names if (args.ifc_dir / n).is_file()]
        if geometry_paths:
            processes = default_processes()
            print(
                f"\nGeometry path, median of {runs} fresh process(es), {processes} processes;"
                f" target: >= {SPEED_TARGET}x the bare iterator; load average before:"
                f" {' '.join(f'{x:.2f}' for x in os.getloadavg())}"
            )
            print(
                f"the machine itself: {processes} busy loops at once ran"
                f" {_parallel_capacity(processes):.2f}x the work of one in the same time"
            )
            print("\n".join(geometry_table(geometry_paths, runs, processes)))
            print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
