"""Volume and area measured from tessellated body geometry, for elements without Qto.

Volume is the mesh's enclosed volume (openings subtracted, as IfcOpenShell's
default settings do). Area depends on the element's shape:

* plate-like classes (walls, curtain walls, slabs, roofs, coverings, plates,
  doors, windows) get the area of one face: the largest side area seen along
  the element's local X, Y or Z axis (``util.shape.get_max_side_area`` on the
  mesh in local coordinates), which matches NetSideArea / NetArea;
* everything else (beams, columns, members, furniture...) gets its total
  surface area, which matches NetSurfaceArea / OuterSurfaceArea.

An element whose mesh is empty or fails is skipped with a warning; it never
fails the takeoff (ifc5d 0.9.0 crashes on the Janesville file for that). A
mesh that is open (measure.is_closed) or whose volume exceeds its bounding box
is not a solid: its area is kept and its volume dropped, with a warning that
lists the GlobalIds. The longest side of each mesh's local bounding box is
kept too, as the length of last resort for linear elements.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.shape as shape_util
import numpy as np

from . import measure as measure_module

Measured = tuple[float | None, float | None, float]
"""(area m², volume m³ or None, longest local extent m) of one element's mesh."""

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
_MAX_LISTED = 5
_MAX_OPEN_LISTED = 20  # open meshes are few and the user must find each one


def mesh_volume(vertices: np.ndarray, faces: np.ndarray) -> float:
    """Enclosed volume of a closed triangle mesh (divergence theorem, as util.shape.get_volume)."""
    if len(faces) == 0:
        return 0.0
    a, b, c = vertices[faces[:, 0]], vertices[faces[:, 1]], vertices[faces[:, 2]]
    return abs(float(np.einsum("ij,ij->", a, np.cross(b, c)))) / 6.0


def measure(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    *,
    threads: int,
    on_progress: Callable[[float], None],
    warnings: list[str],
) -> dict[int, Measured]:
    """Map step id -> (area, volume, longest extent) of the elements whose body could be meshed."""
    if not step_ids:
        return {}
    products = [model.by_id(i) for i in step_ids]
    threads = max(1, min(threads, os.cpu_count() or 1))
    results: dict[int, Measured] = {}
    failed: list[str] = []
    unreliable: list[str] = []
    plate_like: dict[str, bool] = {}
    per_mesh: dict[tuple[str, bool], Measured] = {}
    try:
        iterator = ifcopenshell.geom.iterator(settings(), model, threads, include=products)
        started = iterator.initialize()
    except Exception as exc:  # the C++ iterator raises bare RuntimeErrors
        warnings.append(f"Geometry could not be processed for this model ({exc}).")
        return {}
    done = 0
    step = max(1, len(products) // 50)
    while started:
        shape = iterator.get()
        done += 1
        if done % step == 0:
            on_progress(min(1.0, done / len(products)))
        try:
            ifc_class = model.by_id(shape.id).is_a()
            if ifc_class not in plate_like:
                plate_like[ifc_class] = any(model.by_id(shape.id).is_a(c) for c in PLATE_LIKE)
            key = (shape.geometry.id, plate_like[ifc_class])
            if key not in per_mesh:
                per_mesh[key] = measure_mesh(shape.geometry, one_face=key[1])
            area, volume, longest = per_mesh[key]
            if area > 0:
                if volume is None:
                    unreliable.append(shape.guid)
                results[shape.id] = (area, volume, longest)
        except Exception as exc:  # one bad mesh must not fail the takeoff
            failed.append(f"{shape.guid} ({exc})")
        if not iterator.next():
            break
    _warn(model, step_ids, results, failed, unreliable, warnings)
    return results


def settings() -> ifcopenshell.geom.settings:
    """Iterator settings: body, openings cut, metres, local coordinates, shells oriented."""
    result = ifcopenshell.geom.settings()
    # Revit exports surface models whose faces point either way; unoriented, their
    # signed volumes cancel or add up to more than their bounding box.
    result.set("reorient-shells", True)
    return result


def measure_mesh(geometry, *, one_face: bool) -> Measured:
    """(area, volume, longest extent) of one mesh; volume None when the mesh is open or
    exceeds its bounding box (not a solid)."""
    vertices = shape_util.get_vertices(geometry)
    faces = shape_util.get_faces(geometry)
    if len(faces) == 0:
        return 0.0, 0.0, 0.0
    # Degenerate triangles give 0/0 normals in get_side_area; they are simply not counted.
    with np.errstate(invalid="ignore", divide="ignore"):
        area = shape_util.get_max_side_area(geometry) if one_face else shape_util.get_area(geometry)
    volume: float | None = mesh_volume(vertices, faces)
    box = float(np.prod(vertices.max(axis=0) - vertices.min(axis=0)))
    if volume > box * 1.01 or not measure_module.is_closed(vertices, faces):
        volume = None
    return float(area), volume, measure_module.longest_extent(vertices)


def _warn(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    results: dict[int, Measured],
    failed: list[str],
    unreliable: list[str],
    warnings: list[str],
) -> None:
    missing = [i for i in step_ids if i not in results]
    broken = [model.by_id(i).GlobalId for i in missing if model.by_id(i).Representation is not None]
    failed = failed + [guid for guid in broken if not any(f.startswith(guid) for f in failed)]
    if failed:
        listed = "; ".join(failed[:_MAX_LISTED]) + ("; ..." if len(failed) > _MAX_LISTED else "")
        warnings.append(
            f"{len(failed)} element(s) have a shape that could not be measured "
            f"(empty or invalid geometry): {listed}"
        )
    without = len(missing) - len(broken)
    if without:
        warnings.append(
            f"{without} element(s) have neither standard quantities nor a body shape; "
            "they are counted without volume or area."
        )
    if unreliable:
        listed = "; ".join(unreliable[:_MAX_OPEN_LISTED]) + (
            "; ..." if len(unreliable) > _MAX_OPEN_LISTED else ""
        )
        warnings.append(
            f"{len(unreliable)} element(s) have an open or inconsistent mesh, so no volume was "
            f"taken from their geometry (area only): {listed}"
        )
