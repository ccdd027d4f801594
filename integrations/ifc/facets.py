"""Exact quantities of bodies made of closed faceted shells, without meshing them.

Revit exports most families as surface models (IfcFaceBasedSurfaceModel, IfcFacetedBrep,
IfcShellBasedSurfaceModel; in IFC4 also IfcTriangulatedFaceSet and IfcPolygonalFaceSet) whose
faces are planar polygons, often wound either way. Meshing
them means OpenCascade builds a face per polygon, then re-orients, checks and fixes each shell
(the `reorient-shells` setting): on the Janesville sample that is most of the meshing time.

A shell is measured here when it is closed: after welding points closer than 1 µm, every
edge is shared by exactly two of its faces, and the faces can be turned so that each edge is
run once each way. Then its winding is known without OpenCascade (turned so that its volume
is positive, as IfcOpenShell's re-orientation does), its area is the sum of its polygons'
areas (holes taken out) and its volume follows from the divergence theorem; the faces seen
along the element's local X, Y or Z are those whose outward normal points that way, as
`util.shape.get_side_area` counts them on a mesh. These are the numbers the mesher gives for
such shells (a test holds both to 0.1 % on every shared model where both apply).

A shell that is open, non-manifold or bent is meshed on its own by IfcOpenShell (with the
same settings), and the body is then judged on the closed shells' polygons and those meshes
together by the mesher's own tests (measure.is_closed): whether OpenCascade's sewing closes
such a shell cannot be told from its polygons, so it keeps the last word there. Only the
closed shells are spared, which in Revit families are most of them. A body with any other
item, a curved face or a scaled mapped item returns None and is meshed whole.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import ifcopenshell
import ifcopenshell.util.placement as placement_util
import numpy as np

from . import extrusion, measure

_SHELLS = {
    "IfcFacetedBrep": lambda item: (item.Outer,),
    "IfcFaceBasedSurfaceModel": lambda item: tuple(item.FbsmFaces),
    "IfcShellBasedSurfaceModel": lambda item: tuple(item.SbsmBoundary),
    # IFC4's indexed face sets are one shell each.
    "IfcTriangulatedFaceSet": lambda item: (item,),
    "IfcPolygonalFaceSet": lambda item: (item,),
}
_PLANAR = 1e-6  # m: farthest a polygon's corner may lie off its plane
_MIN_AREA = 1e-12  # m²: a face smaller than this is degenerate
_MAX_DEPTH = 16  # mapped items inside mapped items

Measured = tuple[float, float | None, float]


@dataclass(frozen=True, slots=True)
class _Shell:
    """A closed shell in its own coordinates (file units), faces turned outward."""

    normals: np.ndarray  # unit, outward, one per face
    areas: np.ndarray  # net (holes taken out), one per face
    points: np.ndarray  # every corner
    volume: float
    # Each loop as a fan of triangles into `points`, wound outward (holes against their
    # face): signed, they add up to the faces' vector areas and the shell's volume, so they
    # can join an open shell's mesh in the mesher's own closedness test.
    fans: np.ndarray


@dataclass(frozen=True, slots=True)
class _Meshed:
    """An open or non-manifold shell as IfcOpenShell meshes it (m, shell coordinates)."""

    vertices: np.ndarray
    triangles: np.ndarray


MeshShell = Callable[[ifcopenshell.entity_instance], "tuple[np.ndarray, np.ndarray] | None"]


ShellCache = dict[object, "_Shell | _Meshed | None"]


def body_measures(
    element: ifcopenshell.entity_instance,
    length_scale: float,
    *,
    one_face: bool,
    cache: ShellCache,
    mesh_shell: MeshShell | None = None,
) -> Measured | None:
    """(area m², volume m³ or None, longest local extent m) of a body made only of faceted
    shells, or None when it is anything else. `one_face` asks for the largest side area seen
    along local X, Y or Z (plate-like elements) instead of the whole surface. `cache` keeps
    each shell's analysis for the elements that share it (mapped types).

    A shell that is not closed is meshed alone by `mesh_shell` (IfcOpenShell on that one
    item, vertices in metres) when given, so a Revit family with a few open shells among
    hundreds of closed ones is not meshed whole; without it such a body returns None."""
    placed = _placed_shells(element)
    if not placed:
        return None
    closed: list[tuple[_Shell, np.ndarray]] = []
    opened: list[tuple[_Meshed, np.ndarray]] = []
    for shell_item, transform in placed:
        key = shell_item.id()
        if key not in cache:
            cache[key] = _analyse(shell_item, length_scale)
        shell = cache[key]
        if shell is None:
            if mesh_shell is None:
                return None
            if ("mesh", key) not in cache:
                cache["mesh", key] = _meshed(mesh_shell(shell_item))
            shell = cache["mesh", key]
            if shell is None:
                return None
        if isinstance(shell, _Shell):
            closed.append((shell, transform))
        else:
            opened.append((shell, transform))
    return _combine(closed, opened, length_scale, one_face)


def _meshed(mesh: tuple[np.ndarray, np.ndarray] | None) -> _Meshed | None:
    if mesh is None or len(mesh[1]) == 0:
        return None
    return _Meshed(np.asarray(mesh[0], dtype=float), np.asarray(mesh[1], dtype=np.int64))


def _combine(
    closed: list[tuple[_Shell, np.ndarray]],
    opened: list[tuple[_Meshed, np.ndarray]],
    length_scale: float,
    one_face: bool,
) -> Measured:
    """The element's measures from its shells placed in its coordinates, with the mesher's
    rules (geometry.measure_mesh): faces seen per axis, open meshes have no volume, nor does
    one larger than its box."""
    normals, areas, points = [], [], []
    volume = 0.0
    for shell, transform in closed:
        rotation = transform[:3, :3]
        normals.append(shell.normals @ rotation.T)
        areas.append(shell.areas * length_scale**2)
        points.append((shell.points @ rotation.T + transform[:3, 3]) * length_scale)
        volume += shell.volume * length_scale**3
    placed_meshes = []
    for mesh, transform in opened:
        vertices = mesh.vertices @ transform[:3, :3].T + transform[:3, 3] * length_scale
        triangles = _wound(mesh.triangles, transform)
        corners = vertices[triangles]
        cross = np.cross(corners[:, 1] - corners[:, 0], corners[:, 2] - corners[:, 0])
        size = np.linalg.norm(cross, axis=1)
        # Degenerate triangles give 0/0 normals, as in get_side_area: they are not counted.
        with np.errstate(invalid="ignore", divide="ignore"):
            normals.append(cross / size[:, None])
        areas.append(size / 2.0)
        points.append(vertices)
        placed_meshes.append((vertices, triangles))
    normal = np.concatenate(normals)
    area = np.concatenate(areas)
    corners = np.concatenate(points)
    extent = corners.max(axis=0) - corners.min(axis=0)
    if one_face:
        surface = max(float(area[normal[:, k] > extrusion._VISIBLE_DOT].sum()) for k in range(3))
    else:
        surface = float(area.sum())
    solid: float | None = volume
    if placed_meshes:
        # The mesher's own test on the whole body: the closed shells' fans (their corners
        # placed above) with the open shells' triangles.
        placed_fans = [
            (placed, _wound(shell.fans, transform))
            for placed, (shell, transform) in zip(points[: len(closed)], closed, strict=True)
        ]
        vertices, triangles = _joined(placed_fans + placed_meshes)
        solid = measure.mesh_volume(vertices, triangles)
        if not measure.is_closed(vertices, triangles):
            solid = None
    if solid is not None and solid > float(np.prod(extent)) * 1.01:
        solid = None  # shells that overlap add up to more than their box: not a solid
    return surface, solid, float(extent.max())


def _joined(parts: list[tuple[np.ndarray, np.ndarray]]) -> tuple[np.ndarray, np.ndarray]:
    """One mesh from (vertices, triangles) parts."""
    offsets = np.cumsum([0] + [len(vertices) for vertices, _ in parts[:-1]])
    shifted = [triangles + offset for (_, triangles), offset in zip(parts, offsets, strict=True)]
    return np.concatenate([vertices for vertices, _ in parts]), np.concatenate(shifted)


def _wound(triangles: np.ndarray, transform: np.ndarray) -> np.ndarray:
    """Triangles wound as before once placed: a mirroring type turns them inside out."""
    return triangles[:, ::-1] if np.linalg.det(transform[:3, :3]) < 0 else triangles


def _placed_shells(element: ifcopenshell.entity_instance) -> list | None:
    """[(shell, 4x4 transform into the element's coordinates)] of its Body, or None when the
    Body holds anything but faceted shells or a mapped item is scaled."""
    representation = element.Representation
    if representation is None:
        return None
    bodies = [r for r in representation.Representations if r.RepresentationIdentifier == "Body"]
    if len(bodies) != 1:
        return None
    placed = []
    pending = [(item, np.eye(4), 0) for item in bodies[0].Items]
    while pending:
        item, transform, depth = pending.pop()
        if item.is_a("IfcMappedItem"):
            if depth >= _MAX_DEPTH or not item.MappingTarget.is_a(
                "IfcCartesianTransformationOperator3D"
            ):
                return None
            inner = transform @ placement_util.get_mappeditem_transformation(item)
            rotation = inner[:3, :3]
            if not np.allclose(rotation.T @ rotation, np.eye(3), atol=1e-9):
                return None  # scaled or mirrored-and-scaled: areas would need their own care
            mapped = item.MappingSource.MappedRepresentation.Items
            pending.extend((child, inner, depth + 1) for child in mapped)
            continue
        shells = _SHELLS.get(item.is_a())
        if shells is None:
            return None
        placed.extend((shell, transform) for shell in shells(item))
    return placed


def _analyse(shell: ifcopenshell.entity_instance, length_scale: float) -> _Shell | None:
    """The shell's faces turned outward (file units), or None when it is not a closed planar
    2-manifold."""
    loops = _loops(shell)
    if loops is None:
        return None
    coords, faces = loops
    # Every loop, corners in order: (face, loop start) and the point index of each corner.
    corner_face, corner_point, loop_start, loop_outer = [], [], [], []
    for face_index, face_loops in enumerate(faces):
        for outer, ids in face_loops:
            loop_start.append(len(corner_point))
            loop_outer.append(outer)
            corner_point.extend(ids)
            corner_face.extend([face_index] * len(ids))
    if not corner_point:
        return None
    points = np.asarray(coords, dtype=float)
    corner = np.asarray(corner_point)
    face_of = np.asarray(corner_face)
    starts = np.asarray(loop_start)
    outer_loop = np.asarray(loop_outer)
    lengths = np.diff(np.append(starts, len(corner)))
    if lengths.min() < 3:
        return None
    # The next corner of each corner, within its loop.
    following = np.arange(len(corner)) + 1
    following[starts + lengths - 1] = starts
    vectors = _newell(points[corner], points[corner[following]], starts)
    magnitude = np.linalg.norm(vectors, axis=1)
    if magnitude[outer_loop].min() <= _MIN_AREA / length_scale**2:
        return None
    face_count = len(faces)
    outer_index = np.flatnonzero(outer_loop)
    normals = vectors[outer_index] / magnitude[outer_index, None]
    areas = magnitude[outer_index].copy()
    loop_face = face_of[starts]
    holes = ~outer_loop
    np.subtract.at(areas, loop_face[holes], magnitude[holes])
    if areas.min() <= 0:
        return None
    # Planar: every corner of a face lies on the plane through its outline's centroid.
    on_outline = np.repeat(outer_loop, lengths)
    centres = np.zeros((face_count, 3))
    np.add.at(centres, face_of[on_outline], points[corner[on_outline]])
    centres /= np.bincount(face_of[on_outline], minlength=face_count)[:, None]
    offsets = np.einsum("ij,ij->i", points[corner] - centres[face_of], normals[face_of])
    if np.abs(offsets).max() > _PLANAR / length_scale:
        return None
    # A hole runs against its outline (the file may wind it either way, as the mesher allows).
    outline_of = np.empty(face_count, dtype=np.int64)
    outline_of[loop_face[outer_loop]] = outer_index
    hole_along = holes & (np.einsum("ij,ij->i", vectors, vectors[outline_of[loop_face]]) > 0)
    backwards = np.repeat(hole_along, lengths)
    weld = measure._WELD / length_scale
    turning = _orientation(points, corner, following, backwards, face_of, weld, face_count)
    if turning is None:
        return None
    sign, piece = turning
    # Each connected piece turned so that its volume is positive.
    signed = np.einsum("ij,ij->i", centres, normals * sign[:, None]) * areas / 3.0
    piece_volume = np.bincount(piece, weights=signed)
    sign *= np.where(piece_volume[piece] < 0, -1.0, 1.0)
    fans = _fans(corner, following, starts, lengths, (sign[loop_face] < 0) ^ hole_along)
    return _Shell(normals * sign[:, None], areas, points, float(np.abs(piece_volume).sum()), fans)


def _fans(
    corner: np.ndarray,
    following: np.ndarray,
    starts: np.ndarray,
    lengths: np.ndarray,
    reverse: np.ndarray,
) -> np.ndarray:
    """Each loop as the triangles (first corner, corner, next corner), per loop reversed
    where asked."""
    first = np.repeat(starts, lengths)
    position = np.arange(len(corner)) - first
    inner = (position > 0) & (position < np.repeat(lengths, lengths) - 1)
    middle = np.flatnonzero(inner)
    fans = np.stack([corner[first[middle]], corner[middle], corner[following[middle]]], axis=1)
    turned = np.repeat(reverse, lengths)[middle]
    fans[turned] = fans[turned][:, ::-1]
    return fans


def _orientation(
    points: np.ndarray,
    corner: np.ndarray,
    following: np.ndarray,
    backwards: np.ndarray,
    face_of: np.ndarray,
    weld: float,
    face_count: int,
) -> tuple[np.ndarray, np.ndarray] | None:
    """(+1/-1 per face so that every edge is run once each way, connected piece per face), or
    None when an edge is not shared by exactly two faces or no such turning exists."""
    keys = np.round(points / weld).astype(np.int64)
    _, welded = np.unique(keys, axis=0, return_inverse=True)
    welded = welded.reshape(-1)
    start, end = welded[corner], welded[corner[following]]
    start, end = np.where(backwards, end, start), np.where(backwards, start, end)
    keep = start != end
    start, end, face = start[keep], end[keep], face_of[keep]
    low, high = np.minimum(start, end), np.maximum(start, end)
    edge_key = low * (int(welded.max()) + 1) + high
    order = np.argsort(edge_key, kind="stable")
    edge_key, face, forward = edge_key[order], face[order], (start < end)[order]
    if len(edge_key) % 2 or not (
        np.all(edge_key[0::2] == edge_key[1::2]) and np.all(edge_key[1:-1:2] != edge_key[2::2])
    ):
        return None  # an edge with one face (open) or more than two (non-manifold)
    first, second = face[0::2], face[1::2]
    if np.any(first == second):
        return None
    # 1 where both faces run the edge the same way: exactly one of them must turn.
    differ = (forward[0::2] == forward[1::2]).astype(np.int64)
    label = _propagate(first, second, differ, face_count)
    root, turned = label >> 1, label & 1
    if np.any((turned[first] ^ turned[second]) != differ):
        return None  # not orientable (a Moebius-like shell)
    piece = np.unique(root, return_inverse=True)[1].reshape(-1)
    return np.where(turned == 1, -1.0, 1.0), piece


def _propagate(first: np.ndarray, second: np.ndarray, differ: np.ndarray, count: int) -> np.ndarray:
    """Label each face with (its piece's lowest face << 1 | whether it turns relative to it),
    by min-label propagation over the shared edges with pointer jumping."""
    source = np.concatenate([first, second])
    target = np.concatenate([second, first])
    parity = np.concatenate([differ, differ])
    label = np.arange(count, dtype=np.int64) << 1
    while True:
        candidate = (label[source] >> 1 << 1) | ((label[source] & 1) ^ parity)
        lowest = label.copy()
        np.minimum.at(lowest, target, candidate)
        root = lowest >> 1
        jumped = (lowest[root] >> 1 << 1) | ((lowest & 1) ^ (lowest[root] & 1))
        if np.array_equal(jumped, label):
            return label
        label = jumped


def _newell(points: np.ndarray, following: np.ndarray, starts: np.ndarray) -> np.ndarray:
    """Vector area of each loop (Newell's method), loops given by their first corner."""
    cross = np.cross(points, following)
    return np.add.reduceat(cross, starts, axis=0) / 2.0


def _loops(shell: ifcopenshell.entity_instance) -> tuple[list, list] | None:
    """(coordinates, per face [(is outer, point indices in winding order)]) of a shell of
    polygonal faces, or None when a face is curved or not bounded by polyloops."""
    if shell.is_a("IfcTessellatedFaceSet"):
        return _indexed_loops(shell)
    index: dict[int, int] = {}
    coords: list = []
    faces = []
    for face in shell.CfsFaces:
        if face.is_a() != "IfcFace":
            return None
        face_loops = []
        outer_count = 0
        for bound in face.Bounds:
            loop = bound.Bound
            if not loop.is_a("IfcPolyLoop"):
                return None
            ids = []
            for point in loop.Polygon:
                point_id = point.id()
                found = index.get(point_id)
                if found is None:
                    found = index[point_id] = len(coords)
                    xyz = point.Coordinates
                    coords.append((xyz[0], xyz[1], xyz[2] if len(xyz) > 2 else 0.0))
                ids.append(found)
            if not bound.Orientation:
                ids.reverse()
            outer = bound.is_a("IfcFaceOuterBound")
            outer_count += outer
            face_loops.append((outer, ids))
        if outer_count == 0 and len(face_loops) == 1:
            face_loops = [(True, face_loops[0][1])]  # a lone IfcFaceBound is the outline
        elif outer_count != 1:
            return None
        face_loops.sort(key=lambda loop: not loop[0])
        faces.append(face_loops)
    if not faces:
        return None
    return coords, faces


def _indexed_loops(face_set: ifcopenshell.entity_instance) -> tuple[list, list] | None:
    """The same for IFC4's IfcTriangulatedFaceSet and IfcPolygonalFaceSet (1-based indices,
    through PnIndex when the file gives one)."""
    coords = [(*xyz, 0.0)[:3] for xyz in face_set.Coordinates.CoordList]
    through = getattr(face_set, "PnIndex", None)
    lookup = [i - 1 for i in through] if through else list(range(len(coords)))
    if not lookup or min(lookup) < 0 or max(lookup) >= len(coords):
        return None

    def loop(indices) -> list[int] | None:
        if not indices or min(indices) < 1 or max(indices) > len(lookup):
            return None
        return [lookup[i - 1] for i in indices]

    faces = []
    if face_set.is_a("IfcTriangulatedFaceSet"):
        polygons = [(triangle, ()) for triangle in face_set.CoordIndex]
    elif face_set.is_a("IfcPolygonalFaceSet"):
        polygons = [
            (face.CoordIndex, getattr(face, "InnerCoordIndices", None) or ())
            for face in face_set.Faces
        ]
    else:
        return None
    for outline, holes in polygons:
        face_loops = [(True, loop(outline))] + [(False, loop(hole)) for hole in holes]
        if any(ids is None for _, ids in face_loops):
            return None
        faces.append(face_loops)
    return (coords, faces) if faces else None
