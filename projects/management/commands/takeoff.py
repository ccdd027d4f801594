"""`manage.py takeoff FILE.ifc`: a quantity takeoff on the command line, for batch use."""

import csv
import math
import sys
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from openaec.exceptions import ApplicationError
from projects.exports import csv_header, csv_row, line_as_dict, text_table
from projects.takeoff_query import GROUP_FIELDS, QUANTITIES, parse_group_by


class Command(BaseCommand):
    help = (
        "Take quantities off an IFC (.ifc or .ifczip) file and print them as a table "
        "or write them as CSV. Quantities are in SI units (m, m², m³, kg)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="the .ifc or .ifczip file")
        parser.add_argument(
            "--group-by",
            default="ifc_class,type_name,material",
            help=f"comma-separated fields of {', '.join(GROUP_FIELDS)} (default: %(default)s)",
        )
        parser.add_argument(
            "--csv", dest="csv_out", metavar="OUT", help="write CSV to OUT ('-' for stdout)"
        )
        parser.add_argument(
            "--geometry",
            choices=["auto", "never", "always"],
            default="auto",
            help="measure from geometry: where the model has no quantity sets (auto), never, "
            "or always (default: %(default)s)",
        )
        parser.add_argument("--threads", type=int, default=2, help="geometry threads (default: 2)")
        parser.add_argument(
            "--processes",
            type=int,
            default=settings.IFC_TAKEOFF_PROCESSES,
            help="processes meshing the geometry (default: IFC_TAKEOFF_PROCESSES, %(default)s)",
        )

    def handle(self, *args, file: str, group_by: str, csv_out: str | None, **options) -> None:
        geometry, threads, verbosity = options["geometry"], options["threads"], options["verbosity"]
        from integrations.ifc import TakeoffError, aggregate, take_off

        try:
            fields = parse_group_by(group_by)
        except ApplicationError as exc:
            raise CommandError(exc.message) from None
        path = Path(file)
        if not path.is_file():
            raise CommandError(f"No such file: {file}")
        if threads < 1:
            raise CommandError("--threads must be at least 1.")
        if options["processes"] < 1:
            raise CommandError("--processes must be at least 1.")

        bar = tqdm(
            total=100,
            unit="%",
            desc="opening",
            file=getattr(self.stderr, "_out", sys.stderr),
            disable=verbosity == 0,
            bar_format="{desc:<20} {percentage:3.0f}%|{bar}| {elapsed}",
        )

        def progress(fraction: float, phase: str) -> None:
            bar.set_description_str(phase, refresh=False)
            bar.update(max(0.0, fraction * 100 - bar.n))

        try:
            takeoff = take_off(
                path,
                geometry=geometry,
                threads=threads,
                processes=options["processes"],
                memory_mb=settings.IFC_TAKEOFF_MEMORY_MB,
                progress=progress,
            )
        except TakeoffError as exc:
            raise CommandError(f"{path.name}: {exc.reason}") from None
        except Exception as exc:
            raise CommandError(
                f"{path.name}: the takeoff failed ({type(exc).__name__}: {exc})"
            ) from None
        finally:
            bar.close()

        lines = [line_as_dict(line) for line in aggregate(takeoff.elements, group_by=fields)]
        for warning in takeoff.warnings if verbosity > 0 else ():
            self.stderr.write(f"warning: {warning}")
        if csv_out:
            self._write_csv(csv_out, lines, fields)
            return
        totals = _totals(
            [line_as_dict(x) for x in aggregate(takeoff.elements, group_by=("ifc_class",))]
        )
        self.stdout.write(text_table(lines, fields, totals))
        self.stdout.write(
            f"{takeoff.schema}: {len({e.global_id for e in takeoff.elements})} elements, "
            f"{len(lines)} lines"
        )

    def _write_csv(self, target: str, lines: list[dict], fields: tuple[str, ...]) -> None:
        if target == "-":
            writer = csv.writer(self.stdout)
            writer.writerow(csv_header(fields))
            for line in lines:
                writer.writerow(csv_row(line, fields))
            return
        try:
            with open(target, "w", newline="", encoding="utf-8") as out:
                writer = csv.writer(out)
                writer.writerow(csv_header(fields))
                for line in lines:
                    writer.writerow(csv_row(line, fields))
        except OSError as exc:
            raise CommandError(f"Cannot write {target}: {exc.strerror}") from None
        self.stderr.write(f"Wrote {len(lines)} lines to {target}")


def _totals(lines_per_class: list[dict]) -> dict:
    """Sum lines grouped by class only: there an element's length and area count once."""

    def total(name: str) -> float | None:
        values = [line[name] for line in lines_per_class if line[name] is not None]
        return math.fsum(values) if values else None

    return {
        **{name: total(name) for name in QUANTITIES},
        "count": sum(line["count"] for line in lines_per_class),  # whole pieces
        "element_count": sum(line["element_count"] for line in lines_per_class),
        "sources": sorted({s for line in lines_per_class for s in line["sources"]}),
    }
