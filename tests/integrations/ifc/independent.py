"""Reference takeoffs written with plain IfcOpenShell utilities, not with the code under test.

They follow the documented rules (standard sets only, net before gross, layer
split by thickness, containers left out) but reach the data the slow, obvious
way: get_psets, get_material, calculate_unit_scale, create_shape.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.element as element_util
import ifcopenshell.util.shape as shape_util
import ifcopenshell.util.unit as unit_util
import numpy as np

NAMES = {
    "length": ["Length"],
    "area": [
        "NetSideArea",
        "NetArea",
        "NetSurfaceArea",
        "OuterSurfaceArea",
        "GrossSideArea",
        "GrossArea",
        "GrossSurfaceArea",
        "Area",
    ],
    "volume": ["NetVolume", "GrossVolume", "Volume"],
    "weight": ["NetWeight", "GrossWeight", "Weight"],
}
CLASS_OF_KIND = {
    "length": "IfcQuantityLength",
    "area": "IfcQuantityArea",
    "volume": "IfcQuantityVolume",
    "weight": "IfcQuantityWeight",
}
PLATE_LIKE = (
    "IfcWall",
    "IfcCurtainWall",
    "IfcSlab",
    "IfcRoof",
    "IfcCovering",
    "IfcPlate",
    "IfcDoor",
    "IfcWindow",
)


def measurable_elements(model: ifcopenshell.file) -> list[ifcopenshell.entity_instance]:
    """IfcElements that are not openings/virtual and not wholes made of other elements."""
    result = []
    for element in model.by_type("IfcElement"):
        if element.is_a("IfcFeatureElement") or element.is_a("IfcVirtualElement"):
            continue
        parts = [
            part
            for rel in element.IsDecomposedBy or ()
            if rel.is_a("IfcRelAggregates")
            for part in rel.RelatedObjects
            if part.is_a("IfcElement")
            and not part.is_a("IfcFeatureElement")
            and not part.is_a("IfcVirtualElement")
        ]
        if not parts:
            result.append(element)
    return result


def si_scales(model: ifcopenshell.file) -> dict[str, float]:
    """Per-kind scale to m, m², m³, kg via calculate_unit_scale (which gives mass in grams)."""
    units = model.by_type("IfcProject")[0].UnitsInContext.Units
    has_mass = any(getattr(u, "UnitType", None) == "MASSUNIT" for u in units)
    return {
        "length": unit_util.calculate_unit_scale(model, "LENGTHUNIT"),
        "area": unit_util.calculate_unit_scale(model, "AREAUNIT"),
        "volume": unit_util.calculate_unit_scale(model, "VOLUMEUNIT"),
        "weight": unit_util.calculate_unit_scale(model, "MASSUNIT") / 1000 if has_mass else 1.0,
    }


def qto_values(element, scales: dict[str, float]) -> dict[str, float | None]:
    """The standard-set quantity of each kind, found through get_psets(qtos_only=True)."""
    psets = element_util.get_psets(element, qtos_only=True, verbose=True)
    standard = {
        name: props
        for name, props in psets.items()
        if name == "BaseQuantities" or re.fullmatch(r"Qto_\w+BaseQuantities", name)
    }
    ordered = [standard[n] for n in sorted(standard, key=lambda n: (n == "BaseQuantities", n))]
    values: dict[str, float | None] = {}
    for kind, names in NAMES.items():
        values[kind] = None
        for name in names:
            hit = next(
                (
                    s[name]
                    for s in ordered
                    if isinstance(s.get(name), dict)
                    and s[name]["class"] == CLASS_OF_KIND[kind]
                    and s[name]["value"] is not None
                ),
                None,
            )
            if hit is not None:
                values[kind] = hit["value"] * scales[kind]
                break
    return values


def material_split(element) -> list[tuple[str | None, float]]:
    """[(label, share)] from get_material: one entry per layer of a layer set, else one."""
    material = element_util.get_material(element, should_inherit=True)
    if material is None:
        return [(None, 1.0)]
    if material.is_a("IfcMaterialLayerSetUsage"):
        material = material.ForLayerSet
    if material.is_a("IfcMaterialLayerSet"):
        layers = [
            (layer.Material.Name if layer.Material else None, layer.LayerThickness or 0.0)
            for layer in material.MaterialLayers
        ]
        total = sum(t for _, t in layers)
        if total > 0:
            return [(name, t / total) for name, t in layers]
        return [(_join(name for name, _ in layers), 1.0)]
    if material.is_a("IfcMaterial"):
        return [(material.Name, 1.0)]
    if material.is_a("IfcMaterialList"):
        return [(_join(m.Name for m in material.Materials), 1.0)]
    if material.is_a("IfcMaterialProfileSetUsage"):
        material = material.ForProfileSet
    if material.is_a("IfcMaterialProfileSet"):
        return [(_join(p.Material.Name for p in material.MaterialProfiles if p.Material), 1.0)]
    if material.is_a("IfcMaterialConstituentSet"):
        return [(_join(c.Material.Name for c in material.MaterialConstituents if c.Material), 1.0)]
    return [(None, 1.0)]


def _join(names) -> str | None:
    unique = list(dict.fromkeys(n for n in names if n))
    return " / ".join(unique) or None


def qto_totals_by_class_and_material(path) -> dict[tuple, dict[str, float | None]]:
    """Per (ifc_class, material label), layers split: the distinct elements (count, whole
    pieces) and the summed Qto quantities (volume and weight by layer share)."""
    model = ifcopenshell.open(str(path))
    scales = si_scales(model)
    totals: dict[tuple, dict[str, float | None]] = defaultdict(
        lambda: {"count": 0, "length": None, "area": None, "volume": None, "weight": None}
    )
    pieces: dict[tuple, set[str]] = defaultdict(set)
    for element in measurable_elements(model):
        values = qto_values(element, scales)
        for label, share in material_split(element):
            line = totals[(element.is_a(), label)]
            pieces[(element.is_a(), label)].add(element.GlobalId)
            line["count"] = len(pieces[(element.is_a(), label)])
            for kind, value in values.items():
                if value is None:
                    continue
                portion = value * share if kind in ("volume", "weight") else value
                line[kind] = (line[kind] or 0.0) + portion
    return dict(totals)


def geometry_settings() -> ifcopenshell.geom.settings:
    settings = ifcopenshell.geom.settings()
    settings.set("reorient-shells", True)
    return settings


def geometry_totals_by_class(path) -> dict[str, dict[str, float]]:
    """Per class: element count, and volume/area summed from create_shape meshes."""
    model = ifcopenshell.open(str(path))
    settings = geometry_settings()
    totals: dict[str, dict[str, float]] = defaultdict(
        lambda: {"count": 0.0, "area": 0.0, "volume": 0.0}
    )
    for element in measurable_elements(model):
        line = totals[element.is_a()]
        line["count"] += 1
        if element.Representation is None:
            continue
        try:
            shape = ifcopenshell.geom.create_shape(settings, element)
        except RuntimeError:
            continue
        vertices = shape_util.get_vertices(shape.geometry)
        if len(shape_util.get_faces(shape.geometry)) == 0:
            continue
        volume = shape_util.get_volume(shape.geometry)
        with np.errstate(invalid="ignore", divide="ignore"):
            if any(element.is_a(c) for c in PLATE_LIKE):
                area = shape_util.get_max_side_area(shape.geometry)
            else:
                area = shape_util.get_area(shape.geometry)
        line["area"] += area
        box = vertices.max(axis=0) - vertices.min(axis=0)
        if volume <= math.prod(box) * 1.01 and not moves_with_origin(shape.geometry, box):
            line["volume"] += volume
    return dict(totals)


def moves_with_origin(geometry, box) -> bool:
    """An open surface's "volume" changes when the mesh is moved: move it by its own size."""
    vertices = shape_util.get_vertices(geometry)
    faces = shape_util.get_faces(geometry)

    def signed(v):
        a, b, c = v[faces[:, 0]], v[faces[:, 1]], v[faces[:, 2]]
        return float(np.sum(a * np.cross(b, c))) / 6.0

    here, there = signed(vertices), signed(vertices + box)
    return abs(there - here) > 1e-3 * abs(here)
