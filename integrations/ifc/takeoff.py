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
* Linear and wall-like elements without a standard Length get one from
  their geometry (measure.py: axis, extrusion, else the mesh's longest side),
  unless geometry="never".
* A row without a weight gets its volume times the material's MassDensity where the
  model gives one (Pset_MaterialCommon / IfcGeneralMaterialProperties).
* A standard volume larger than the element's body can hold (measure.
  volume_bound) is implausible: the row keeps the exported value, is flagged
  (``implausible``), carries the mesh's volume in ``measured_volume`` (unless
  geometry="never") and the takeoff warns with the GlobalIds. A standard area
  larger than the body allows (measure.area_bound: one face of a plate-like
  element, the surface of any other) is flagged the same way
  (``implausible_area``, ``measured_area``). Which of the two values a BOM
  uses is the user's choice, made outside the takeoff.
* ``source`` is "derived" if the weight was computed from a density, else
  "geometry" if any quantity of the row was measured, else "qto" if any came
  from a quantity set, else "none".
* Layer sets are split: one row per layer with ``layer`` = its index and
  ``volume`` and ``weight`` multiplied by the layer's thickness share (so the
  layers of one element sum back to its volume); ``length`` and ``area`` are
  the element's, on every layer, because each layer covers the whole face
  (aggregate() counts them once per element unless lines are split by
  material or layer). ``count`` is 1 on every row: a count is a number of
  pieces, so a line counts the distinct elements in it, never layer shares.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import ifcopenshell

from . import geometry as geometry_module
from . import measure
from .errors import EmptyModelError, TruncatedIfcError
from .model_file import DEFAULT_MAX_EXPANDED_BYTES, checked_ifc_path, open_model
from .quantities import NO_QUANTITIES
from .reading import ElementRecord, read_elements
from .units import UnitScale, read_unit_scale

GeometryMode = Literal["auto", "never", "always"]
Source = Literal["qto", "geometry", "derived", "none"]
ProgressCallback = Callable[[float, str], None]
# A notch, slot or bolt hole adds faces the profile does not have: an exported area is
# implausible only well above the bound (unit slips are 10.76x, 1000x; parts repeat a whole).
_AREA_MARGIN = 1.25
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
    count: int  # 1: the row is (a layer of) one piece; lines count distinct elements
    length: float | None
    area: float | None
    volume: float | None
    weight: float | None
    source: Source
    implausible: bool = False  # the exported volume exceeds what the body can hold
    measured_volume: float | None = None  # the mesh's volume, offered beside an implausible one
    implausible_area: bool = False  # the exported area exceeds what the body allows
    measured_area: float | None = None  # the mesh's area, offered beside an implausible one


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
        extras = _Extras.read(model, records, scales, geometry)
        measured: dict[int, geometry_module.Measured] = {}
        wanted = _needs_geometry(records, geometry)
        if geometry != "never":
            wanted += sorted(extras.flagged - set(wanted))
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
    rows = _rows(records, measured, extras, overwrite=geometry == "always")
    extras.warn(records, measured, warnings)
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


class _Extras:
    """What the takeoff measures beside the quantity sets: lengths of linear elements from their
    axis or extrusions, material densities, and the elements whose exported volume or area is
    implausible."""

    def __init__(self) -> None:
        self.lengths: dict[int, float] = {}
        self.linear: set[int] = set()
        self.densities: dict[str, float] = {}
        self.implausible: set[int] = set()
        self.bounds: dict[int, float] = {}
        self.implausible_area: set[int] = set()
        self.area_bounds: dict[int, float] = {}

    @property
    def flagged(self) -> set[int]:
        """Elements with an implausible volume or area: their mesh is measured to offer one."""
        return self.implausible | self.implausible_area

    @classmethod
    def read(
        cls,
        model: ifcopenshell.file,
        records: list[ElementRecord],
        scales: UnitScale,
        geometry: GeometryMode,
    ) -> _Extras:
        extras = cls()
        extras.densities = measure.material_densities(model)
        for record in records:
            length, area, volume, _ = record.quantities
            wants_length = geometry == "always" or (geometry == "auto" and length is None)
            if not wants_length and volume is None and area is None:
                continue
            element = model.by_id(record.step_id)
            try:
                extras._measure(element, record, scales, wants_length=wants_length)
            except (AttributeError, TypeError, ValueError, RuntimeError, ZeroDivisionError):
                # A representation we cannot read is measured by the mesh or not at all.
                continue
        return extras

    def _measure(
        self,
        element: ifcopenshell.entity_instance,
        record: ElementRecord,
        scales: UnitScale,
        *,
        wants_length: bool,
    ) -> None:
        if wants_length and measure.is_linear(element):
            self.linear.add(record.step_id)
            found = measure.element_length(element, scales.length)
            if found:
                self.lengths[record.step_id] = found
        volume = record.quantities[2]
        if volume is not None:
            bound = measure.volume_bound(element, scales.length**3)
            if bound is not None and volume > bound * 1.01:
                self.implausible.add(record.step_id)
                self.bounds[record.step_id] = bound
        area = record.quantities[1]
        if area is not None:
            one_face = any(element.is_a(c) for c in geometry_module.PLATE_LIKE)
            bound = measure.area_bound(element, scales.length**2, one_face=one_face)
            if bound is not None and area > bound * _AREA_MARGIN:
                self.implausible_area.add(record.step_id)
                self.area_bounds[record.step_id] = bound

    def length(self, record: ElementRecord, mesh: geometry_module.Measured | None) -> float | None:
        """The measured length of a linear element: axis or extrusion, else the mesh's longest
        side; None for other elements."""
        if record.step_id not in self.linear:
            return None
        found = self.lengths.get(record.step_id)
        if found is None and mesh is not None and mesh[2] > 0:
            found = mesh[2]
        return found

    def warn(
        self,
        records: list[ElementRecord],
        measured: dict[int, geometry_module.Measured],
        warnings: list[str],
    ) -> None:
        # (flagged ids, bounds, index in record.quantities and in the mesh, unit, what fits)
        for flagged, bounds, index, mesh_index, unit, what, fits in (
            (self.implausible, self.bounds, 2, 1, "m³", "volume", "fits its body"),
            (self.implausible_area, self.area_bounds, 1, 0, "m²", "area", "its body allows"),
        ):
            if not flagged:
                continue
            listed = []
            for record in records:
                if record.step_id in flagged:
                    mesh = measured.get(record.step_id)
                    value = mesh[mesh_index] if mesh is not None else None
                    offered = f", {value:.3f} {unit} measured" if value else ""
                    listed.append(
                        f"{record.global_id} ({record.quantities[index]:.3f} {unit} exported, "
                        f"at most {bounds[record.step_id]:.3f} {unit} {fits}{offered})"
                    )
            shown = "; ".join(listed[:20]) + ("; ..." if len(listed) > 20 else "")
            warnings.append(
                f"{len(listed)} element(s) have an exported {what} larger than their body "
                f"{'can hold' if what == 'volume' else 'allows'}; the takeoff keeps it, flagged, "
                f"with the measured {what} beside it: {shown}"
            )


def _rows(
    records: list[ElementRecord],
    measured: dict[int, geometry_module.Measured],
    extras: _Extras,
    *,
    overwrite: bool,
) -> list[ElementQuantity]:
    rows: list[ElementQuantity] = []
    for record in records:
        length, area, volume, weight = record.quantities
        source: Source = "none" if record.quantities == NO_QUANTITIES else "qto"
        mesh = measured.get(record.step_id)
        implausible = record.step_id in extras.implausible
        implausible_area = record.step_id in extras.implausible_area
        measured_volume = measured_area = None
        if mesh is not None:
            geo_area, geo_volume, _ = mesh
            if geo_area is not None and (overwrite or area is None):
                area, source = geo_area, "geometry"
            if geo_volume is not None and (overwrite or volume is None):
                volume, source = geo_volume, "geometry"
            if implausible:
                measured_volume = geo_volume
            if implausible_area:
                measured_area = geo_area
        geo_length = extras.length(record, mesh)
        if geo_length is not None and (overwrite or length is None):
            length, source = geo_length, "geometry"
        common = (record.global_id, record.ifc_class, record.predefined_type, record.type_name)
        if isinstance(record.material, tuple):
            layers = [(index, label, share) for index, (label, share) in enumerate(record.material)]
        else:
            layers = [(None, record.material, 1.0)]
        for index, label, share in layers:
            row_volume = volume * share if volume is not None else None
            row_weight = weight * share if weight is not None else None
            row_source = source
            if row_weight is None and label in extras.densities:
                row_weight = measure.density_weight(row_volume, extras.densities[label])
                row_source = "derived" if row_weight is not None else source
            rows.append(
                ElementQuantity(
                    *common,
                    storey=record.storey,
                    material=label,
                    layer=index,
                    count=1,
                    length=length,
                    area=area,
                    volume=row_volume,
                    weight=row_weight,
                    source=row_source,
                    implausible=implausible,
                    measured_volume=(
                        measured_volume * share if measured_volume is not None else None
                    ),
                    implausible_area=implausible_area,
                    measured_area=measured_area,
                )
            )
    return rows
