"""Unit scaling, layer splitting and progress of take_off, on generated models."""

from __future__ import annotations

import math
from collections import defaultdict

import ifcopenshell
import ifcopenshell.util.element as element_util
import pytest

from integrations.ifc import aggregate, take_off
from projects.takeoff_query import QUANTITIES

from . import independent


def by_row(result) -> dict[tuple, object]:
    return {(row.global_id, row.layer): row for row in result.elements}


def assert_rows_equal(left, right, rel=1e-9, quantities=QUANTITIES) -> None:
    assert left.keys() == right.keys()
    for key, row in left.items():
        other = right[key]
        assert (row.ifc_class, row.material, row.storey, row.type_name) == (
            other.ifc_class,
            other.material,
            other.storey,
            other.type_name,
        )
        for name in quantities:
            a, b = getattr(row, name), getattr(other, name)
            assert (a is None) == (b is None), (key, name, a, b)
            if a is not None:
                assert math.isclose(a, b, rel_tol=rel), (key, name, a, b)


@pytest.mark.parametrize("geometry", ["never", "always"])
@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4", "IFC4X3"])
def test_same_model_in_millimetre_metre_and_foot_gives_the_same_si_quantities(
    synthetic, geometry, schema
):
    results = {
        unit: take_off(synthetic(40, length_unit=unit, schema=schema), geometry=geometry)
        for unit in ("MILLIMETRE", "METRE", "FOOT")
    }

    assert results["FOOT"].unit_scale.length == pytest.approx(0.3048)
    assert results["MILLIMETRE"].unit_scale.length == pytest.approx(0.001)
    assert_rows_equal(by_row(results["METRE"]), by_row(results["MILLIMETRE"]))
    assert_rows_equal(by_row(results["METRE"]), by_row(results["FOOT"]))
    assert all(row.volume and row.area and row.weight for row in results["FOOT"].elements)


def test_geometry_measures_what_the_quantity_sets_declare(synthetic):
    path = synthetic(40, length_unit="FOOT")

    from_qto = take_off(path, geometry="never")
    from_geometry = take_off(path, geometry="always")

    assert {r.source for r in from_qto.elements} == {"qto"}
    assert {r.source for r in from_geometry.elements} == {"geometry"}
    assert_rows_equal(by_row(from_qto), by_row(from_geometry), rel=1e-6)
    assert all(
        r.length is not None and r.weight is not None
        for r in from_geometry.elements
        if r.ifc_class == "IfcWall"
    )


def test_model_without_qto_is_measured_from_geometry_in_auto_and_left_empty_in_never(synthetic):
    path = synthetic(24, with_qto=False)

    auto = take_off(path, geometry="auto")
    never = take_off(path, geometry="never")

    assert all(r.source == "geometry" and r.volume > 0 and r.area > 0 for r in auto.elements)
    assert all(r.source == "none" and r.volume is None and r.area is None for r in never.elements)
    with_qto = take_off(synthetic(24), geometry="never")
    assert_rows_equal(
        by_row(auto), by_row(with_qto), rel=1e-6, quantities=("count", "area", "volume")
    )


def test_layer_rows_sum_back_to_the_element(synthetic):
    layered = take_off(synthetic(40, with_layers=True), geometry="never")
    single = {
        r.global_id: r
        for r in take_off(synthetic(40, with_layers=False), geometry="never").elements
    }
    layers = defaultdict(list)
    for row in layered.elements:
        layers[row.global_id].append(row)

    assert single.keys() == layers.keys()
    for global_id, rows in layers.items():
        whole = single[global_id]
        assert [r.layer for r in rows] == list(range(len(rows)))
        assert len(rows) > 1
        assert [r.count for r in rows] == [1] * len(rows)
        assert math.fsum(r.volume for r in rows) == pytest.approx(whole.volume, rel=1e-12)
        assert math.fsum(r.weight for r in rows) == pytest.approx(whole.weight, rel=1e-12)
        assert all(r.area == whole.area and r.length == whole.length for r in rows)


def test_layers_are_labelled_and_shared_by_thickness_as_get_material_says(real_file):
    path = real_file("AC20-FZK-Haus.ifc")
    model = ifcopenshell.open(str(path))

    result = take_off(path, geometry="never")

    rows = defaultdict(list)
    for row in result.elements:
        rows[row.global_id].append(row)
    walls = [w for w in model.by_type("IfcWallStandardCase")]
    assert walls
    for wall in walls:
        expected = independent.material_split(wall)
        got = rows[wall.GlobalId]
        net_volume = element_util.get_psets(wall, qtos_only=True)["BaseQuantities"]["NetVolume"]
        assert [(r.material, r.volume / net_volume, r.count) for r in got] == [
            (label, pytest.approx(share), 1) for label, share in expected
        ]
        assert math.fsum(r.volume for r in got) == pytest.approx(net_volume, rel=1e-9)


def test_aggregating_without_material_counts_layer_area_once(synthetic):
    layered = take_off(synthetic(40, with_layers=True), geometry="never")
    single = take_off(synthetic(40, with_layers=False), geometry="never")

    by_class = {
        line.key["ifc_class"]: line for line in aggregate(layered.elements, group_by=("ifc_class",))
    }
    expected = {
        line.key["ifc_class"]: line for line in aggregate(single.elements, group_by=("ifc_class",))
    }

    assert by_class.keys() == expected.keys()
    for ifc_class, line in by_class.items():
        for name in QUANTITIES:
            got, want = getattr(line, name), getattr(expected[ifc_class], name)
            assert got == want or got == pytest.approx(want, rel=1e-12), (ifc_class, name)
        assert line.element_count == expected[ifc_class].element_count


def test_material_on_the_type_applies_to_occurrences_without_one(synthetic):
    result = take_off(synthetic(8), geometry="never")

    slabs = [r for r in result.elements if r.ifc_class == "IfcSlab"]

    # The generator associates the slab layer set with IfcSlabType only.
    assert slabs and all(r.material is not None and r.layer is not None for r in slabs)
    assert all(r.type_name == "Floor slab 250" and r.predefined_type == "FLOOR" for r in slabs)


@pytest.mark.parametrize("geometry", ["never", "always"])
def test_progress_is_monotone_bounded_and_ends_at_one(synthetic, geometry):
    calls: list[tuple[float, str]] = []

    take_off(synthetic(400), geometry=geometry, progress=lambda f, phase: calls.append((f, phase)))

    fractions = [f for f, _ in calls]
    phases = [p for _, p in calls]
    assert fractions == sorted(fractions)
    assert all(0.0 <= f <= 1.0 for f in fractions)
    assert calls[-1] == (1.0, "done")
    assert phases[0] == "opening"
    assert "reading quantities" in phases
    assert ("measuring geometry" in phases) == (geometry == "always")
    assert len(calls) <= 110


@pytest.mark.parametrize("schema", ["IFC2X3", "IFC4", "IFC4X3_ADD2"])
def test_attribute_positions_read_by_index_match_every_schema(schema):
    from ifcopenshell import ifcopenshell_wrapper

    from integrations.ifc.reading import POSITIONS

    declarations = ifcopenshell_wrapper.schema_by_name(schema)

    for (entity, attribute), position in POSITIONS.items():
        assert declarations.declaration_by_name(entity).attribute_index(attribute) == position
