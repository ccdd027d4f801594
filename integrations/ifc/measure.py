"""Measurements the exported quantity sets leave out: length, closedness, density weight, bounds.

Pure functions on one element's representation or one mesh; the takeoff decides when to call
them. All results are in SI units (the caller passes the file's length scale).

* Length of linear and wall-like elements (``LINEAR_CLASSES``): the Axis representation's
  curve length where there is one; else from the body's extrusions: a wall's length runs along
  its local X axis (a wall is extruded upwards, so its depth is its height, not its length),
  any other element's length is its longest extrusion depth; else the caller measures the
  longest dimension of the mesh in local coordinates (``longest_extent``).
* A mesh is closed when each edge (after welding coincident vertices) is shared by exactly two
  triangles, or, where T-junctions or shells touching along an edge leave unpaired edges, when
  its enclosed volume does not change when the mesh is translated (its face normals sum to
  zero). An open surface has no volume: a number that moves with the origin is not one.
* ``volume_bound`` is an upper limit of the body's volume from its extrusions' profile bounding
  boxes (clipping only removes material), used to catch implausible exported volumes without
  tessellating; ``area_bound`` likewise limits an exported area: one face of a plate-like
  element (its largest projection) or the whole surface of any other.
"""

from __future__ import annotations

import math
from collections.abc import Iterable

import ifcopenshell
import numpy as np

LINEAR_CLASSES = (
    "IfcWall",
    "IfcBeam",
    "IfcColumn",
    "IfcMember",
    "IfcRailing",
    "IfcPile",
    "IfcPipeSegment",
    "IfcDuctSegment",
    "IfcCableCarrierSegment",
    "IfcCableSegment",
    "IfcFlowSegment",  # IFC2X3's pipes, ducts and cable trays
)
WALL_CLASSES = ("IfcWall",)
_LINEAR_FOOTINGS = ("STRIP_FOOTING",)
_WELD = 1e-6  # m: vertices closer than this are one vertex
_TRANSLATION_TOLERANCE = 1e-3  # relative volume change when moved by the mesh's own size
_MAX_DEPTH = 64  # Tekla nests ten or more cuts


def is_linear(element: ifcopenshell.entity_instance) -> bool:
    """Priced per metre: walls, beams, columns, members, railings, piles, segments, strip
    footings."""
    if any(element.is_a(c) for c in LINEAR_CLASSES):
        return True
    return element.is_a("IfcFooting") and getattr(element, "PredefinedType", None) in (
        _LINEAR_FOOTINGS
    )


def element_length(element: ifcopenshell.entity_instance, length_scale: float) -> float | None:
    """Length in m from the Axis curve, else from the body's extrusions; None if neither."""
    representations = _representations(element)
    wall = any(element.is_a(c) for c in WALL_CLASSES)
    # A wall's axis is its reference line, which tools put on a face (ArchiCAD) and run into
    # the corner joints; the length priced is the centre line of its footprint.
    if wall and (length := _body_length(representations, wall=True)):
        return length * length_scale
    for representation in representations:
        if representation.RepresentationIdentifier == "Axis":
            length = _curves_length(representation.Items)
            if length:
                return length * length_scale
    if not wall and (length := _body_length(representations, wall=False)):
        return length * length_scale
    return None


def _body_length(representations: tuple, *, wall: bool) -> float | None:
    for representation in representations:
        if representation.RepresentationIdentifier != "Body":
            continue
        solids = _extrusions(representation.Items)
        lengths = [_wall_length(s, f) if wall else float(s.Depth) * f for s, f in solids]
        if lengths and None not in lengths and max(lengths) > 0:
            return max(lengths)
    return None


def _wall_length(solid, scale: float) -> float | None:
    """Along the wall's local X: footprint area / thickness for a wall extruded upwards (the
    centre line, mitred ends included), the depth for one extruded along X."""
    points = _profile_points(solid.SweptArea)
    if points is None:
        return None
    rotation = _place_3d(np.eye(3), solid.Position) - _place_3d(np.zeros((1, 3)), solid.Position)
    direction = _unit(solid.ExtrudedDirection, (0.0, 0.0, 1.0)) @ rotation
    if abs(direction[2]) > 0.99:
        flat = np.column_stack([points, np.zeros(len(points))]) @ rotation
        thickness = float(np.ptp(flat[:, 1]))
        return _polygon_area(points) / thickness * scale if thickness > 0 else None
    if abs(direction[0]) > 0.99:
        return float(solid.Depth) * scale
    return None


def _polygon_area(points: np.ndarray) -> float:
    x, y = points[:, 0], points[:, 1]
    return abs(float(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))) / 2.0


def volume_bound(element: ifcopenshell.entity_instance, volume_scale: float) -> float | None:
    """An upper limit in m³ of the body's volume, or None when the body is not made of
    extrusions of a profile we can size (then nothing is checked)."""
    total = 0.0
    found = False
    for representation in _representations(element):
        if representation.RepresentationIdentifier != "Body":
            continue
        for item in _flatten(representation.Items):
            solid, scale = item
            if solid is None:
                return None  # a Brep or other body: no cheap bound
            box = _profile_box(solid.SweptArea)
            if box is None:
                return None
            total += box[0] * box[1] * float(solid.Depth) * scale**3
            found = True
    return total * volume_scale if found else None


def area_bound(
    element: ifcopenshell.entity_instance, area_scale: float, *, one_face: bool
) -> float | None:
    """An upper limit in m² of an exported area, or None when the body is not made of
    extrusions of a profile we can size.

    A box of sides a, b, d projects onto no plane more than ab + ad + bd (half its surface):
    that limits one face (``one_face``: NetSideArea, NetArea). A whole surface (OuterSurfaceArea)
    is limited by the box's surface, doubled because an I-, U- or hollow section's outline is
    up to twice its box's; a polyline profile's own outline is used as it is.
    """
    total = 0.0
    found = False
    for representation in _representations(element):
        if representation.RepresentationIdentifier != "Body":
            continue
        for solid, scale in _flatten(representation.Items):
            if solid is None:
                return None
            profile = solid.SweptArea
            if profile.is_a("IfcArbitraryProfileDefWithVoids"):
                return None  # its inner outlines have no cheap bound
            box = _profile_box(profile)
            if box is None:
                return None
            (a, b), depth = box, float(solid.Depth)
            if one_face:
                total += (a * b + (a + b) * depth) * scale**2
            else:
                total += (_outline(profile, a, b) * depth + 2 * a * b) * scale**2
            found = True
    return total * area_scale if found else None


def _outline(profile, width: float, height: float) -> float:
    """A profile's outline length: a polyline's own, else twice its box's perimeter."""
    points = _profile_points(profile) if profile.is_a("IfcArbitraryClosedProfileDef") else None
    if points is not None and len(points) > 1:
        return _polyline_length([*points, points[0]])
    return 4 * (width + height)


def mesh_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume of a closed triangle mesh (divergence theorem, as util.shape.get_volume)."""
    if len(faces) == 0:
        return 0.0
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    return abs(float(np.einsum("ij,ij->", a, np.cross(b, c)))) / 6.0


def is_closed(vertices: np.ndarray, faces: np.ndarray) -> bool:
    """Whether a triangle mesh encloses a volume (see the module's rule)."""
    if len(faces) == 0:
        return False
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    normals = np.cross(b - a, c - a)
    size = float(np.linalg.norm(vertices.max(axis=0) - vertices.min(axis=0)))
    volume = abs(float(np.einsum("ij,ij->", a, normals))) / 6.0
    drift = float(np.linalg.norm(normals.sum(axis=0))) / 2.0 * size / 3.0
    # The cheap test first: most solids pass it, so the edge count runs on few meshes.
    return drift <= _TRANSLATION_TOLERANCE * volume or _edges_paired(vertices, faces)


def longest_extent(vertices: np.ndarray) -> float:
    """The longest side of the mesh's bounding box in its own (local) coordinates."""
    if len(vertices) == 0:
        return 0.0
    return float((vertices.max(axis=0) - vertices.min(axis=0)).max())


def density_weight(volume: float | None, density: float | None) -> float | None:
    """kg from m³ and kg/m³; None unless both are known and positive."""
    if volume is None or not density or density <= 0 or not math.isfinite(density):
        return None
    return volume * density


def material_densities(model: ifcopenshell.file) -> dict[str, float]:
    """Material name -> MassDensity in kg/m³ from Pset_MaterialCommon (IFC4) or
    IfcGeneralMaterialProperties (IFC2X3); zero and missing densities are left out."""
    scale = _density_scale(model)
    found: dict[str, float] = {}
    if model.schema == "IFC2X3":
        for properties in model.by_type("IfcGeneralMaterialProperties"):
            _keep(found, properties.Material, properties.MassDensity, scale)
        return found
    for properties in model.by_type("IfcMaterialProperties"):
        if properties.Name != "Pset_MaterialCommon":
            continue
        for prop in properties.Properties or ():
            if prop.Name == "MassDensity" and prop.is_a("IfcPropertySingleValue"):
                value = prop.NominalValue.wrappedValue if prop.NominalValue else None
                _keep(found, properties.Material, value, scale)
    return found


def _keep(found: dict[str, float], material, value, scale: float) -> None:
    name = getattr(material, "Name", None)
    if name and isinstance(value, (int, float)) and value > 0 and math.isfinite(value):
        found.setdefault(name, float(value) * scale)


def _density_scale(model: ifcopenshell.file) -> float:
    """Scale of the project's MASSDENSITYUNIT to kg/m³ (1 when none is declared)."""
    from .units import unit_to_si

    project = next(iter(model.by_type("IfcProject")), None)
    assignment = project.UnitsInContext if project is not None else None
    for unit in assignment.Units if assignment is not None else ():
        if unit.is_a("IfcDerivedUnit") and unit.UnitType == "MASSDENSITYUNIT":
            scale = 1.0
            for element in unit.Elements:
                scale *= unit_to_si(element.Unit) ** element.Exponent
            return scale
    return 1.0


def _edges_paired(vertices: np.ndarray, faces: np.ndarray) -> bool:
    welded = np.unique(np.round(vertices / _WELD).astype(np.int64), axis=0, return_inverse=True)
    index = welded[1].reshape(-1)[faces]
    index = index[(index[:, 0] != index[:, 1]) & (index[:, 1] != index[:, 2])]
    index = index[index[:, 0] != index[:, 2]]
    edges = np.sort(np.concatenate([index[:, [0, 1]], index[:, [1, 2]], index[:, [2, 0]]]), axis=1)
    _, counts = np.unique(edges, axis=0, return_counts=True)
    return bool(np.all(counts == 2))


def _representations(element: ifcopenshell.entity_instance) -> tuple:
    shape = element.Representation
    return tuple(shape.Representations or ()) if shape is not None else ()


def _curves_length(items: Iterable) -> float:
    total = 0.0
    for item in items:
        length = _curve_length(item, 0)
        if length is None:
            return 0.0
        total += length
    return total


def _curve_length(curve, depth: int) -> float | None:
    if depth > _MAX_DEPTH:
        return None
    if curve.is_a("IfcPolyline"):
        return _polyline_length([p.Coordinates for p in curve.Points])
    if curve.is_a("IfcIndexedPolyCurve") and curve.Segments is None:
        return _polyline_length(curve.Points.CoordList)
    if curve.is_a("IfcTrimmedCurve") and curve.BasisCurve.is_a("IfcLine"):
        points = [
            t.Coordinates
            for trims in (curve.Trim1, curve.Trim2)
            for t in trims
            if t.is_a("IfcCartesianPoint")
        ]
        return _polyline_length(points) if len(points) == 2 else None
    if curve.is_a("IfcCompositeCurve"):
        parts = [_curve_length(s.ParentCurve, depth + 1) for s in curve.Segments]
        return None if None in parts else math.fsum(parts)
    return None


def _polyline_length(points) -> float:
    array = np.array([tuple(p) + (0.0,) * (3 - len(p)) for p in points], dtype=float)
    return float(np.linalg.norm(np.diff(array, axis=0), axis=1).sum()) if len(array) > 1 else 0.0


def _flatten(items: Iterable, depth: int = 0, scale: float = 1.0):
    """(extruded solid, scale) per body item; (None, scale) for an item we cannot size."""
    for item in items:
        if depth > _MAX_DEPTH:
            yield None, scale
        elif item.is_a("IfcExtrudedAreaSolid"):
            yield item, scale
        elif item.is_a("IfcBooleanResult"):
            # A difference or intersection is within its first operand; a union within both.
            operands = [item.FirstOperand]
            if item.Operator == "UNION":
                operands.append(item.SecondOperand)
            yield from _flatten(operands, depth + 1, scale)
        elif item.is_a("IfcMappedItem"):
            target = item.MappingTarget
            factor = float(getattr(target, "Scale", None) or 1.0)
            uniform = not target.is_a("IfcCartesianTransformationOperator3DnonUniform")
            if not uniform:
                yield None, scale
                continue
            yield from _flatten(
                item.MappingSource.MappedRepresentation.Items, depth + 1, scale * factor
            )
        else:
            yield None, scale


def _extrusions(items: Iterable):
    pairs = list(_flatten(items))
    if any(solid is None for solid, _ in pairs):
        return []
    return pairs


def _profile_box(profile) -> tuple[float, float] | None:
    """Width and height of a profile's bounding box in its own plane (file units)."""
    if profile.is_a("IfcRectangleProfileDef"):
        return float(profile.XDim), float(profile.YDim)
    if profile.is_a("IfcCircleProfileDef"):
        return 2 * float(profile.Radius), 2 * float(profile.Radius)
    if profile.is_a("IfcIShapeProfileDef"):
        return float(profile.OverallWidth), float(profile.OverallDepth)
    if profile.is_a("IfcUShapeProfileDef") or profile.is_a("IfcTShapeProfileDef"):
        return float(profile.FlangeWidth), float(profile.Depth)
    if profile.is_a("IfcLShapeProfileDef"):
        return float(profile.Width or profile.Depth), float(profile.Depth)
    if profile.is_a("IfcCShapeProfileDef"):
        return float(profile.Width), float(profile.Depth)
    if profile.is_a("IfcZShapeProfileDef"):
        return 2 * float(profile.FlangeWidth), float(profile.Depth)
    points = _profile_points(profile)
    if points is None:
        return None
    size = points.max(axis=0) - points.min(axis=0)
    return float(size[0]), float(size[1])


def _profile_points(profile) -> np.ndarray | None:
    """Corner points of a rectangle or polyline profile in the profile's plane."""
    if profile.is_a("IfcRectangleProfileDef"):
        x, y = float(profile.XDim) / 2, float(profile.YDim) / 2
        points = np.array([(-x, -y), (x, -y), (x, y), (-x, y)])
        return _place_2d(points, getattr(profile, "Position", None))
    if profile.is_a("IfcArbitraryClosedProfileDef"):
        curve = profile.OuterCurve
        if curve.is_a("IfcPolyline"):
            return np.array([tuple(p.Coordinates)[:2] for p in curve.Points], dtype=float)
        if curve.is_a("IfcIndexedPolyCurve"):
            return np.array([tuple(p)[:2] for p in curve.Points.CoordList], dtype=float)
    return None


def _place_2d(points: np.ndarray, placement) -> np.ndarray:
    if placement is None:
        return points
    origin = np.array(tuple(placement.Location.Coordinates)[:2], dtype=float)
    ref = placement.RefDirection
    x = np.array(tuple(ref.DirectionRatios)[:2], dtype=float) if ref else np.array([1.0, 0.0])
    x = x / np.linalg.norm(x)
    y = np.array([-x[1], x[0]])
    return origin + points[:, :1] * x + points[:, 1:2] * y


def _place_3d(points: np.ndarray, placement) -> np.ndarray:
    if placement is None:
        return points
    origin = np.array(tuple(placement.Location.Coordinates), dtype=float)
    z = _unit(getattr(placement, "Axis", None), (0.0, 0.0, 1.0))
    x = _unit(getattr(placement, "RefDirection", None), (1.0, 0.0, 0.0))
    x = x - z * float(x @ z)
    x = x / np.linalg.norm(x)
    y = np.cross(z, x)
    return origin + points[:, :1] * x + points[:, 1:2] * y + points[:, 2:3] * z


def _unit(direction, default: tuple[float, float, float]) -> np.ndarray:
    vector = np.array(tuple(direction.DirectionRatios) if direction else default, dtype=float)
    return vector / np.linalg.norm(vector)
