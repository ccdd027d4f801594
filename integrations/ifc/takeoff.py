"""Quantity takeoff of an IFC model: one row per element (or per layer), quantities in SI.

Rules, in short (details in quantities.py, materials.py, geometry.py):

* Rows are IfcElement subtypes, without IfcFeatureElement (openings) and
  IfcVirtualElement. An element that aggregates other elements (an
  IfcElementAssembly, or a stair, roof or curtain wall made of parts) is left
  out: its parts are the rows, so nothing is counted twice.
* Quantities come from standard quantity sets in the file's units, scaled to
  m / m² / m³ / kg per kind. With geometry="auto", an element lacking a
  standard volume or area gets the missing ones from its geometry;
  "never" leaves them None; "always" measures volume and area from geometry
  for every element that has a body (falling back to Qto if it has none).
* ``source`` is "geometry" if any quantity of the row was measured, else
  "qto" if any came from a quantity set, else "none".
* Layer sets are split: one row per layer with ``layer`` = its index and
  ``count``, ``volume`` and ``weight`` multiplied by the layer's thickness
  share (so the layers of one element sum back to count 1 and its volume);
  ``length`` and ``area`` are the element's, on every layer, because each
  layer covers the whole face (aggregate() counts them once per element
  unless lines are split by material or layer).
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from . import geometry as geometry_module
from .errors import EmptyModelError, TruncatedIfcError
from .model_file import DEFAULT_MAX_EXPANDED_BYTES, checked_ifc_path, open_model
from .quantities import NO_QUANTITIES
from .reading import ElementRecord, read_elements
from .units import UnitScale, read_unit_scale

GeometryMode = Literal["auto", "never", "always"]
Source = Literal["qto", "geometry", "none"]
ProgressCallback = Callable[[float, str], None]
_PREPARED = 0.15  # share of the bar at which meshing starts


@dataclass(frozen=True, slots=True)
class ElementQuantity:
    """One element, or one layer of a layered element, with quantities in m, m², m³ and kg."""

    global_id: str
    ifc_class: str
    predefined_type: str | None
    type_name: str | None
    storey: str | None
    material: str | None
    layer: int | None  # index in the layer set; None when the material was not split
    count: float  # 1.0 for an element; the thickness share on a layer row
    length: float | None
    area: float | None
    volume: float | None
    weight: float | None
    source: Source


@dataclass(slots=True)
class Takeoff:
    """The rows of one model's takeoff, its schema, unit scales and what went wrong on the way."""

    schema: str
    elements: list[ElementQuantity]
    warnings: list[str]
    unit_scale: UnitScale


class _Progress:
    """Makes the caller's callback monotone and calls it at most about 100 times."""

    def __init__(self, callback: ProgressCallback | None) -> None:
        self._callback = callback
        self._fraction = 0.0
        self._phase = ""
        self._reported = -1.0

    def __call__(self, fraction: float, phase: str) -> None:
        if self._callback is None:
            return
        fraction = min(1.0, max(self._fraction, fraction))
        if phase == self._phase and fraction < 1.0 and fraction - self._reported < 0.0125:
            return
        self._fraction, self._phase, self._reported = fraction, phase, fraction
        self._callback(fraction, phase)

    def span(self, start: float, end: float, phase: str) -> Callable[[float], None]:
        return lambda part: self(start + (end - start) * part, phase)


def take_off(
    path: str | Path,
    *,
    geometry: GeometryMode = "auto",
    threads: int = 2,
    progress: ProgressCallback | None = None,
    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES,
    processes: int = 1,
    memory_mb: int | None = None,
) -> Takeoff:
    """Take quantities off an .ifc or .ifczip file; raises a TakeoffError subclass on bad input.

    Geometry is meshed in up to `processes` forked processes (`threads` iterator threads
    when in-process), as many as fit in `memory_mb` (or the free memory) for the whole takeoff.
    """
    if geometry not in ("auto", "never", "always"):
        raise ValueError(f"geometry must be 'auto', 'never' or 'always', not {geometry!r}")
    report = _Progress(progress)
    # Reading Qto is fast next to parsing, so opening gets most of the bar unless geometry runs.
    open_end, read_end = (0.4, 0.95) if geometry == "never" else (0.05, 0.1)
    report(0.0, "opening")
    warnings: list[str] = []
    with checked_ifc_path(path, max_expanded_bytes) as (ifc_path, header):
        # Lazy loading parses an instance only when it is read; the Qto pass touches a small
        # part of the file, so it is faster and leaner than a full parse. The threaded
        # geometry iterator needs a fully parsed model (it crashes on a lazy one).
        model = open_model(ifc_path, lazy=geometry != "always")
        report(open_end, "opening")
        try:
            scales = read_unit_scale(model, warnings)
            records = read_elements(
                model, scales, report.span(open_end, read_end, "reading quantities")
            )
        except (RuntimeError, AttributeError, TypeError, ValueError, IndexError) as exc:
            # A record that parses but has nonsense arguments surfaces from IfcOpenShell only
            # when read; the user needs to hear that the file is damaged, not a traceback.
            raise TruncatedIfcError(
                "The model contains a damaged record IfcOpenShell cannot read "
                f"({type(exc).__name__}); export it again from the authoring tool."
            ) from exc
        if not records:
            raise EmptyModelError(
                "The model contains no building elements (walls, slabs, beams, ...) to take off."
            )
        measured: dict[int, tuple[float | None, float | None]] = {}
        wanted = _needs_geometry(records, geometry)
        if wanted:
            # Parsing fully and planning take seconds on a large model: say so, and move.
            prepare = report.span(read_end, _PREPARED, "preparing geometry")
            prepare(0.0)
        if wanted and geometry == "auto":
            del model
            gc.collect()
            model = open_model(ifc_path, lazy=False)
        if wanted:
            prepare(0.5)
            measured = geometry_module.measure(
                model,
                wanted,
                threads=threads,
                processes=processes,
                memory_mb=memory_mb,
                length_scale=scales.length,
                on_prepare=lambda part: prepare(0.5 + part / 2),
                on_progress=report.span(_PREPARED, 0.99, "measuring geometry"),
                warnings=warnings,
            )
        del model
    rows = _rows(records, measured, overwrite=geometry == "always")
    report(1.0, "done")
    return Takeoff(
        schema=header.schema.split("_")[0], elements=rows, warnings=warnings, unit_scale=scales
    )


def _needs_geometry(records: list[ElementRecord], mode: GeometryMode) -> list[int]:
    if mode == "never":
        return []
    if mode == "always":
        return [r.step_id for r in records]
    return [r.step_id for r in records if r.quantities[1] is None or r.quantities[2] is None]


def _rows(
    records: list[ElementRecord],
    measured: dict[int, tuple[float | None, float | None]],
    *,
    overwrite: bool,
) -> list[ElementQuantity]:
    rows: list[ElementQuantity] = []
    for record in records:
        length, area, volume, weight = record.quantities
        source: Source = "none" if record.quantities == NO_QUANTITIES else "qto"
        if record.step_id in measured:
            geo_area, geo_volume = measured[record.step_id]
            if geo_area is not None and (overwrite or area is None):
                area, source = geo_area, "geometry"
            if geo_volume is not None and (overwrite or volume is None):
                volume, source = geo_volume, "geometry"
        common = (record.global_id, record.ifc_class, record.predefined_type, record.type_name)
        if isinstance(record.material, tuple):
            for index, (label, share) in enumerate(record.material):
                rows.append(
                    ElementQuantity(
                        *common,
                        storey=record.storey,
                        material=label,
                        layer=index,
                        count=share,
                        length=length,
                        area=area,
                        volume=volume * share if volume is not None else None,
                        weight=weight * share if weight is not None else None,
                        source=source,
                    )
                )
        else:
            rows.append(
                ElementQuantity(
                    *common,
                    storey=record.storey,
                    material=record.material,
                    layer=None,
                    count=1.0,
                    length=length,
                    area=area,
                    volume=volume,
                    weight=weight,
                    source=source,
                )
            )
    return rows
