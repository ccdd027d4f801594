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

import multiprocessing
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.shape as shape_util
import ifcopenshell.util.unit
import numpy as np

from . import extrusion, facets, mesh_pool
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
_MIN_ELEMENTS_PER_PROCESS = 8  # fewer, and forking costs more than it saves
_MIN_CHILD_MB = 64


def measure(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    *,
    threads: int,
    on_progress: Callable[[float], None],
    warnings: list[str],
    processes: int = 1,
    memory_mb: int | None = None,
    length_scale: float | None = None,
    on_prepare: Callable[[float], None] | None = None,
) -> dict[int, Measured]:
    """Map step id -> (area m², volume m³ or None, longest local extent m) of the elements
    whose body could be measured.

    Straight extrusions and closed faceted shells without openings are computed exactly
    (extrusion.py, facets.py); the rest is meshed. With `processes` > 1 (when that many fit
    in memory) forked children share both the arithmetic and the meshing (mesh_pool.py).
    `length_scale` is the file's length unit in metres (read from the model when None).
    """
    if not step_ids:
        return {}
    prepare = on_prepare or (lambda part: None)
    if length_scale is None:
        length_scale = ifcopenshell.util.unit.calculate_unit_scale(model)
    voided = _voided(model)
    processes = _process_count(step_ids, processes, memory_mb)
    if processes <= 1:
        prepare(1.0)
        outcome = _exact_outcome(model, step_ids, length_scale, voided, on_progress)
        meshed_ids = [i for i in step_ids if i not in outcome.results]
        share = len(outcome.results) / len(step_ids)
        outcome.add(
            _mesh(model, meshed_ids, threads, lambda part: on_progress(share + (1 - share) * part))
        )
    else:
        prepare(0.5)
        batches = mesh_pool.plan_batches(model, step_ids, processes)
        prepare(1.0)
        outcome = _Outcome({})
        total = sum(b.cost for b in batches) or 1.0
        done = 0.0

        def on_result(batch: mesh_pool.Batch, result: _Outcome) -> None:
            nonlocal done
            outcome.add(result)
            done += batch.cost
            on_progress(done / total)

        def share(ids: list[int]) -> _Outcome:
            # The arithmetic runs in the children too: on Revit models it is a second of
            # Python that would otherwise keep both cores waiting.
            result = _exact_outcome(model, ids, length_scale, voided)
            result.add(_mesh(model, [i for i in ids if i not in result.results], 1, lambda _: None))
            return result

        errors = mesh_pool.Pool(batches, share).run(
            processes, on_result, on_wait=lambda: on_progress(done / total)
        )
        outcome.failed.extend(errors)
    on_progress(1.0)  # also when every body was exact and nothing was meshed
    warnings.extend(outcome.notes)
    # Sorted: batches come back in any order, the warning must not change between runs.
    outcome.failed.sort()
    outcome.unreliable.sort()
    _warn(model, step_ids, outcome.results, outcome.failed, outcome.unreliable, warnings)
    return outcome.results


@dataclass(slots=True)
class _Outcome:
    """What meshing a share of the elements gave (picklable: it crosses from the children)."""

    results: dict[int, Measured]
    failed: list[str] = field(default_factory=list)
    unreliable: list[str] = field(default_factory=list)  # GlobalIds of open meshes
    notes: list[str] = field(default_factory=list)  # about the whole model, said once

    def add(self, other: _Outcome) -> None:
        self.results.update(other.results)
        self.failed.extend(other.failed)
        self.unreliable.extend(other.unreliable)
        self.notes.extend(n for n in other.notes if n not in self.notes)


def _voided(model: ifcopenshell.file) -> set[int]:
    """Step ids of the elements that openings cut (their bodies need the mesher's booleans)."""
    return {
        rel.RelatingBuildingElement.id()
        for rel in model.by_type("IfcRelVoidsElement")
        if rel.RelatingBuildingElement is not None
    }


def _exact(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    length_scale: float,
    voided: set[int] | None = None,
    on_progress: Callable[[float], None] | None = None,
) -> dict[int, Measured]:
    """Measures of the elements whose body is a prism or faceted shells (the open ones
    meshed alone), with no opening cutting it."""
    if voided is None:
        voided = _voided(model)
    results: dict[int, Measured] = {}
    plate_like: dict[str, bool] = {}
    shells: facets.ShellCache = {}
    step = max(1, len(step_ids) // 50)
    for checked, step_id in enumerate(step_ids, 1):
        if on_progress is not None and checked % step == 0:
            # The share of the elements finished: open shells are meshed here too.
            on_progress(len(results) / len(step_ids))
        if step_id in voided:
            continue
        element = model.by_id(step_id)
        one_face = _plate_like(element, plate_like)
        try:
            prism = extrusion.body_prism(element, length_scale)
            if prism is not None:
                area = prism.max_side_area() if one_face else prism.surface
                results[step_id] = (area, prism.volume, max(prism.extent))
                continue
            measured = facets.body_measures(
                element, length_scale, one_face=one_face, cache=shells, mesh_shell=_mesh_shell
            )
        except (AttributeError, TypeError, ValueError, IndexError, RuntimeError):
            measured = None  # a record the arithmetic cannot read: the mesher will say why
        if measured is not None:
            results[step_id] = measured
    return results


def _mesh_shell(shell: ifcopenshell.entity_instance) -> tuple[np.ndarray, np.ndarray] | None:
    """One faceted shell as the takeoff's mesher makes it (m, the shell's own coordinates)."""
    try:
        mesh = ifcopenshell.geom.create_shape(settings(), shell)
    except Exception:  # the C++ kernel raises bare RuntimeErrors; the element is meshed whole
        return None
    return shape_util.get_vertices(mesh), shape_util.get_faces(mesh)


def _exact_outcome(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    length_scale: float,
    voided: set[int],
    on_progress: Callable[[float], None] | None = None,
) -> _Outcome:
    """_exact's measures, with the bodies found open listed as the mesher lists them."""
    results = _exact(model, step_ids, length_scale, voided, on_progress)
    open_bodies = [i for i, (_, volume, _) in results.items() if volume is None]
    return _Outcome(results, unreliable=[model.by_id(i).GlobalId for i in open_bodies])


def _process_count(step_ids: Sequence[int], requested: int, memory_mb: int | None) -> int:
    if requested <= 1 or len(step_ids) < _MIN_ELEMENTS_PER_PROCESS * 2:
        return 1
    if multiprocessing.current_process().daemon:
        return 1  # a daemonic worker process may not have children
    requested = min(requested, len(step_ids) // _MIN_ELEMENTS_PER_PROCESS)
    per_process = max(_MIN_CHILD_MB, mesh_pool.child_mb_estimate())
    return mesh_pool.affordable_processes(requested, memory_mb, per_process)


def _plate_like(element: ifcopenshell.entity_instance, cache: dict[str, bool]) -> bool:
    ifc_class = element.is_a()
    if ifc_class not in cache:
        cache[ifc_class] = any(element.is_a(c) for c in PLATE_LIKE)
    return cache[ifc_class]


def _mesh(
    model: ifcopenshell.file,
    step_ids: Sequence[int],
    threads: int,
    on_progress: Callable[[float], None],
) -> _Outcome:
    """Mesh the elements with one IfcOpenShell iterator and measure each mesh."""
    outcome = _Outcome({})
    if not step_ids:
        return outcome
    products = [model.by_id(i) for i in step_ids]
    threads = max(1, min(threads, os.cpu_count() or 1))
    plate_like: dict[str, bool] = {}
    per_mesh: dict[tuple[str, bool], Measured] = {}
    try:
        iterator = ifcopenshell.geom.iterator(settings(), model, threads, include=products)
        started = iterator.initialize()
    except Exception as exc:  # the C++ iterator raises bare RuntimeErrors
        outcome.notes.append(f"Geometry could not be processed for this model ({exc}).")
        return outcome
    done = 0
    step = max(1, len(products) // 50)
    while started:
        shape = iterator.get()
        done += 1
        if done % step == 0:
            on_progress(min(1.0, done / len(products)))
        try:
            key = (shape.geometry.id, _plate_like(model.by_id(shape.id), plate_like))
            if key not in per_mesh:
                per_mesh[key] = measure_mesh(shape.geometry, one_face=key[1])
            area, volume, longest = per_mesh[key]
            if area > 0:
                if volume is None:
                    outcome.unreliable.append(shape.guid)
                outcome.results[shape.id] = (area, volume, longest)
        except Exception as exc:  # one bad mesh must not fail the takeoff
            outcome.failed.append(f"{shape.guid} ({exc})")
        if not iterator.next():
            break
    return outcome


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
    volume: float | None = measure_module.mesh_volume(vertices, faces)
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
