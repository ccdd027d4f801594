"""Benchmark the IFC takeoff against a bare IfcOpenShell loop (no Django needed).

Usage: python benchmarks/takeoff.py [--quick] [--elements N] [--ifc-dir DIR]

Every measurement runs in a fresh subprocess (so peak RSS is its own) and the
median of 3 runs is reported (1 with --quick). Targets from the issue:
takeoff(geometry="never") time <= 1.15x the bare loop, and its peak RSS <=
1.3x the model opened alone. The geometry rows compare elements/second of
take_off(geometry="always") with threads=2 against threads=1.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
DEFAULT_IFC_DIR = REPO_ROOT.parent / "shared" / "ifc"
LARGEST = "revit2012_janesville_restaurant.ifc"
GEOMETRY_FILES = ("Office_A_20110811.ifc", "duplex.ifc")
TIME_TARGET, MEMORY_TARGET = 1.15, 1.3


def worker(mode: str, path: str, threads: int) -> dict:
    """Run one measurement in this (fresh) process and return its figures."""
    import resource

    sys.path.insert(0, str(REPO_ROOT))
    import ifcopenshell
    import ifcopenshell.util.element
    import ifcopenshell.util.unit

    from integrations.ifc import take_off

    started = time.perf_counter()
    elements = 0
    if mode == "open":
        model = ifcopenshell.open(path)
        elements = len(model.by_type("IfcElement"))
    elif mode == "bare":
        elements = _bare_loop(path)
    elif mode == "takeoff":
        elements = len({row.global_id for row in take_off(path, geometry="never").elements})
    elif mode == "geometry":
        result = take_off(path, geometry="always", threads=threads)
        elements = len({row.global_id for row in result.elements if row.source == "geometry"})
    else:
        raise SystemExit(f"unknown mode {mode}")
    seconds = time.perf_counter() - started
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {"seconds": seconds, "peak_mb": peak_mb, "elements": elements}


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
        "elements": results[0]["elements"],
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


def geometry_table(paths: list[Path], runs: int) -> list[str]:
    rows = [
        f"{'model (geometry=always)':<34} {'shapes':>8} {'1 thr s':>7} {'el/s':>6}"
        f" {'2 thr s':>7} {'el/s':>6} {'speed-up':>8}",
    ]
    for path in paths:
        one = measure("geometry", path, runs, threads=1)
        two = measure("geometry", path, runs, threads=2)
        rate_one = one["elements"] / one["seconds"]
        rate_two = two["elements"] / two["seconds"]
        rows.append(
            f"{path.name:<34} {one['elements']:>8} {one['seconds']:>7.2f} {rate_one:>6.0f}"
            f" {two['seconds']:>7.2f} {rate_two:>6.0f} {rate_two / rate_one:>7.2f}x"
        )
    return rows


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
        geometry_names = GEOMETRY_FILES[1:] if args.quick else GEOMETRY_FILES
        geometry_paths = [args.ifc_dir / n for n in geometry_names if (args.ifc_dir / n).is_file()]
        if geometry_paths:
            print(f"\nGeometry path, median of {runs} fresh process(es)")
            print("\n".join(geometry_table(geometry_paths, runs)))


if __name__ == "__main__":
    main()
