"""Numbers the quantity sets leave out or get wrong: lengths from geometry, density weights,
open meshes and implausible exported volumes, checked on the shared real models."""

from __future__ import annotations

import itertools
import math

import ifcopenshell
import ifcopenshell.api
import ifcopenshell.geom
import ifcopenshell.util.element as element_util
import ifcopenshell.util.shape as shape_util
import numpy as np
import pytest

from integrations.ifc import aggregate, take_off

from . import independent


def _qto(element, name: str):
    return element_util.get_psets(element, qtos_only=True).get("BaseQuantities", {}).get(name)


def _without_lengths(model: ifcopenshell.file) -> None:
    for qset in model.by_type("IfcElementQuantity"):
        kept = tuple(q for q in qset.Quantities if q.Name != "Length")
        if kept and len(kept) != len(qset.Quantities):
            qset.Quantities = kept


def _rows_by_id(result) -> dict:
    rows: dict = {}
    for row in result.elements:
        rows.setdefault(row.global_id, row)
    return rows


def test_wall_and_beam_lengths_from_geometry_match_fzk_haus_qto_lengths(real_file, tmp_path):
    path = real_file("AC20-FZK-Haus.ifc")
    original = ifcopenshell.open(str(path))
    expected = {
        e.GlobalId: _qto(e, "Length")
        for e in original.by_type("IfcElement")
        if (e.is_a("IfcWall") or e.is_a("IfcBeam")) and _qto(e, "Length")
    }
    model = ifcopenshell.open(str(path))
    _without_lengths(model)
    model.write(str(tmp_path / "no-lengths.ifc"))

    rows = _rows_by_id(take_off(tmp_path / "no-lengths.ifc", geometry="auto"))

    assert len(expected) == 14  # 13 walls, 1 beam
    for global_id, length in expected.items():
        assert rows[global_id].length == pytest.approx(length, rel=0.01), global_id
        assert rows[global_id].source == "geometry"


def test_beam_and_column_lengths_from_geometry_match_tekla_qto_lengths(real_file, tmp_path):
    path = real_file("ISSUE_021_Mini_Project.ifc")
    original = ifcopenshell.open(str(path))
    scale = 0.001  # lengths in mm
    expected = {
        e.GlobalId: _qto(e, "Length") * scale
        for cls in ("IfcBeam", "IfcColumn", "IfcMember")
        for e in original.by_type(cls)
        if _qto(e, "Length")
    }
    model = ifcopenshell.open(str(path))
    _without_lengths(model)
    # Brep bodies have neither axis nor extrusion: drop their quantities so that they are
    # meshed and measured by their longest side.
    breps = {
        e.id()
        for cls in ("IfcBeam", "IfcColumn")
        for e in model.by_type(cls)
        if any(r.RepresentationType == "Brep" for r in e.Representation.Representations)
    }
    for rel in model.by_type("IfcRelDefinesByProperties"):
        if rel.RelatingPropertyDefinition.is_a("IfcElementQuantity"):
            kept = tuple(o for o in rel.RelatedObjects if o.id() not in breps)
            if not kept:
                model.remove(rel)
            elif len(kept) != len(rel.RelatedObjects):
                rel.RelatedObjects = kept
    model.write(str(tmp_path / "no-lengths.ifc"))

    rows = _rows_by_id(take_off(tmp_path / "no-lengths.ifc", geometry="auto"))

    assert len(expected) > 2000 and len(breps) > 100
    brep_ids = {model.by_id(i).GlobalId for i in breps}
    off = {
        gid: (rows[gid].length, length)
        for gid, length in expected.items()
        if rows[gid].length is None or not math.isclose(rows[gid].length, length, rel_tol=0.01)
    }
    # Axis and extrusion lengths agree everywhere; a Brep's longest local side is the length
    # of last resort (a part cut at a skew is a little shorter along its box than its length).
    assert not off.keys() - brep_ids, off
    assert len(off) <= 0.1 * len(brep_ids), off
    assert all(got and abs(got - want) <= 0.1 * want for got, want in off.values()), off
    assert {rows[gid].source for gid in expected} == {"geometry"}


def test_revit_walls_get_lengths_close_to_their_axis(real_file):
    path = real_file("duplex.ifc")
    model = ifcopenshell.open(str(path))

    rows = _rows_by_id(take_off(path, geometry="auto"))

    walls = [w for w in model.by_type("IfcWallStandardCase")]
    for wall in walls:
        axis = next(
            r for r in wall.Representation.Representations if r.RepresentationIdentifier == "Axis"
        )
        points = [p.Coordinates for item in axis.Items for p in item.Points]
        axis_length = sum(math.dist(a, b) for a, b in itertools.pairwise(points))
        thickness = min(
            float(np.ptp(v))
            for v in shape_util.get_vertices(
                ifcopenshell.geom.create_shape(independent.geometry_settings(), wall).geometry
            ).T
        )
        # The footprint's centre line differs from the location line by at most a thickness.
        assert abs(rows[wall.GlobalId].length - axis_length) <= thickness + 1e-6, wall


def test_weight_is_derived_from_a_material_density(real_file, tmp_path):
    path = real_file("AC20-FZK-Haus.ifc")
    model = ifcopenshell.open(str(path))
    density = 2400.0
    concrete = "Stahlbeton 65690"
    for properties in model.by_type("IfcMaterialProperties"):
        if properties.Name == "Pset_MaterialCommon" and properties.Material.Name == concrete:
            for prop in properties.Properties:
                if prop.Name == "MassDensity":
                    prop.NominalValue = model.create_entity("IfcMassDensityMeasure", density)
    model.write(str(tmp_path / "dense.ifc"))

    result = take_off(tmp_path / "dense.ifc", geometry="never")

    expected = {}
    for element in independent.measurable_elements(model):
        volume = _qto(element, "NetVolume")
        for label, share in independent.material_split(element):
            if label == concrete and volume:
                expected[element.GlobalId] = volume * share * density
    rows = [r for r in result.elements if r.material == concrete and r.volume is not None]
    assert expected and {r.global_id for r in rows} == expected.keys()
    for row in rows:
        assert row.weight == pytest.approx(expected[row.global_id], rel=1e-9)
        assert row.source == "derived"
    # The file's own densities are 0: no weight is made up from them.
    plain = take_off(path, geometry="never")
    assert all(r.weight is None for r in plain.elements)


def _model_with_an_open_mesh(path) -> tuple[str, str]:
    """An IFC4 model with a closed box and a box missing its top, both flagged Closed."""
    model = ifcopenshell.file(schema="IFC4")
    project = ifcopenshell.api.run("root.create_entity", model, ifc_class="IfcProject")
    ifcopenshell.api.run("unit.assign_unit", model)  # millimetres
    context = ifcopenshell.api.run("context.add_context", model, context_type="Model")
    body = ifcopenshell.api.run(
        "context.add_context",
        model,
        context_type="Model",
        context_identifier="Body",
        target_view="MODEL_VIEW",
        parent=context,
    )
    site = ifcopenshell.api.run("root.create_entity", model, ifc_class="IfcSite")
    ifcopenshell.api.run("aggregate.assign_object", model, relating_object=project, products=[site])
    corners = [
        (0, 0, 0),
        (4, 0, 0),
        (4, 3, 0),
        (0, 3, 0),
        (0, 0, 2),
        (4, 0, 2),
        (4, 3, 2),
        (0, 3, 2),
    ]
    box = [(1, 4, 3, 2), (5, 6, 7, 8), (1, 2, 6, 5), (2, 3, 7, 6), (3, 4, 8, 7), (4, 1, 5, 8)]
    ids = []
    for name, faces in (("closed", box), ("open", box[:1] + box[2:])):
        element = ifcopenshell.api.run(
            "root.create_entity", model, ifc_class="IfcBuildingElementProxy", name=name
        )
        ifcopenshell.api.run(
            "spatial.assign_container", model, relating_structure=site, products=[element]
        )
        points = model.createIfcCartesianPointList3D([[c * 1000.0 for c in p] for p in corners])
        face_set = model.createIfcPolygonalFaceSet(
            points, True, [model.createIfcIndexedPolygonalFace(list(f)) for f in faces]
        )
        shape = model.createIfcShapeRepresentation(body, "Body", "Tessellation", [face_set])
        ifcopenshell.api.run(
            "geometry.assign_representation", model, product=element, representation=shape
        )
        ifcopenshell.api.run("geometry.edit_object_placement", model, product=element)
        ids.append(element.GlobalId)
    model.write(str(path))
    return ids[0], ids[1]


def test_an_open_mesh_gets_no_volume_and_a_warning_with_its_global_id(tmp_path):
    path = tmp_path / "open.ifc"
    closed_id, open_id = _model_with_an_open_mesh(path)
    model = ifcopenshell.open(str(path))
    shape = ifcopenshell.geom.create_shape(
        independent.geometry_settings(), model.by_guid(open_id)
    ).geometry
    box = np.ptp(shape_util.get_vertices(shape), axis=0)
    assert independent.moves_with_origin(shape, box), "the test mesh should be open"

    result = take_off(path, geometry="auto")

    rows = _rows_by_id(result)
    assert rows[closed_id].volume == pytest.approx(24.0)
    assert rows[open_id].volume is None and rows[open_id].area > 0
    assert any("open" in w and open_id in w for w in result.warnings), result.warnings
    assert not any(closed_id in w for w in result.warnings)


def test_an_implausible_exported_volume_is_flagged_with_the_measured_one_beside_it(
    real_file, tmp_path
):
    path = real_file("AC20-FZK-Haus.ifc")
    model = ifcopenshell.open(str(path))
    slab = next(s for s in model.by_type("IfcSlab") if _qto(s, "NetVolume"))
    exported = _qto(slab, "NetVolume")
    # Revit writes slab volumes in m²·mm: a thousand times too big.
    for qset in model.by_type("IfcElementQuantity"):
        for quantity in qset.Quantities:
            if quantity.Name == "NetVolume" and quantity.VolumeValue == exported:
                quantity.VolumeValue = exported * 1000
    model.write(str(tmp_path / "implausible.ifc"))
    measured = shape_util.get_volume(
        ifcopenshell.geom.create_shape(independent.geometry_settings(), slab).geometry
    )

    result = take_off(tmp_path / "implausible.ifc", geometry="auto")

    flagged = [r for r in result.elements if r.implausible]
    assert {r.global_id for r in flagged} == {slab.GlobalId}
    assert math.fsum(r.volume for r in flagged) == pytest.approx(exported * 1000)
    assert math.fsum(r.measured_volume for r in flagged) == pytest.approx(measured, rel=1e-3)
    assert any(slab.GlobalId in w and "larger than" in w for w in result.warnings)


@pytest.mark.parametrize("name", ["AC20-FZK-Haus.ifc", "ISSUE_021_Mini_Project.ifc"])
def test_plausible_exported_volumes_of_the_real_models_are_not_flagged(real_file, name):
    result = take_off(real_file(name), geometry="never")

    assert not [r.global_id for r in result.elements if r.implausible]
    assert sum(line.element_count for line in aggregate(result.elements)) >= 82
