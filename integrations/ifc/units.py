"""Project unit scales to SI (m, m², m³, kg) per quantity kind."""

from __future__ import annotations

from dataclasses import dataclass

import ifcopenshell
import ifcopenshell.util.unit


@dataclass(frozen=True, slots=True)
class UnitScale:
    """Factors that turn the file's length, area, volume and mass values into m, m², m³ and kg."""

    length_unit: str
    length: float
    area: float
    volume: float
    mass: float


_KINDS = {"LENGTHUNIT": "length", "AREAUNIT": "area", "VOLUMEUNIT": "volume", "MASSUNIT": "mass"}


def read_unit_scale(model: ifcopenshell.file, warnings: list[str]) -> UnitScale:
    """Read the project's unit assignment; kinds it leaves out are taken as SI with a warning."""
    found: dict[str, float] = {}
    length_unit = "METRE"
    project = next(iter(model.by_type("IfcProject")), None)
    assignment = project.UnitsInContext if project is not None else None
    for unit in assignment.Units if assignment is not None else ():
        kind = _KINDS.get(getattr(unit, "UnitType", None) or "")
        if kind is None or kind in found:
            continue
        found[kind] = unit_to_si(unit)
        if kind == "length":
            length_unit = ifcopenshell.util.unit.get_full_unit_name(unit) or "METRE"
    missing = [kind for kind in ("length", "area", "volume") if kind not in found]
    if missing:
        warnings.append(
            f"The model declares no {', '.join(missing)} unit; SI units (metre) were assumed."
        )
    length = found.get("length", 1.0)
    return UnitScale(
        length_unit=length_unit.upper(),
        length=length,
        area=found.get("area", 1.0),
        volume=found.get("volume", 1.0),
        mass=found.get("mass", 1.0),
    )


def unit_to_si(unit: ifcopenshell.entity_instance) -> float:
    """Scale of one named unit to SI; mass is to kg (IfcOpenShell scales mass to grams)."""
    scale = ifcopenshell.util.unit.get_unit_scale(unit)
    if getattr(unit, "UnitType", None) == "MASSUNIT":
        scale /= 1000.0
    return scale
