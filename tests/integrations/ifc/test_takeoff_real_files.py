"""take_off on the shared real IFC files, checked against plain IfcOpenShell computations."""

from __future__ import annotations

import math
from collections import defaultdict

import ifcopenshell
import ifcopenshell.util.element as element_util
import pytest

from integrations.ifc import aggregate, read_model_info, take_off

from . import independent

REL = 1e-6
KINDS = ("count", "length", "area", "volume", "weight")


def assert_close(actual: float | None, expected: float | None, label: str) -> None:
    if expected is None or actual is None:
        assert actual == expected, f"{label}: {actual} != {expected}"
    else:
        assert math.isclose(actual, expected, rel_tol=REL, abs_tol=1e-9), (
            f"{label}: {actual} != {expected}"
        )


def lines_by_class_and_material(elements) -> dict[tuple, object]:
    return {
        (line.key["ifc_class"], line.key["material"]): line
        for line in aggregate(elements, group_by=("ifc_class", "material"))
    }


@pytest.fixture(scope="module")
def tekla_takeoff(real_file):
    return take_off(real_file("ISSUE_021_Mini_Project.ifc"), geometry="never")


@pytest.mark.parametrize(
    "name", ["AC20-FZK-Haus.ifc", "ISSUE_021_Mini_Project.ifc", "Office_A_20110811.ifc"]
)
def test_qto_totals_per_class_and_material_match_plain_ifcopenshell(real_file, name):
    path = real_file(name)

    result = take_off(path, geometry="never")
    expected = independent.qto_totals_by_class_and_material(path)

    actual = lines_by_class_and_material(result.elements)
    assert set(actual) == set(expected)
    for key, totals in expected.items():
        for kind in KINDS:
            assert_close(getattr(actual[key], kind), totals[kind], f"{key} {kind}")
        # A count is whole pieces (distinct elements), never a sum of layer shares.
        assert type(actual[key].count) is int and actual[key].count == totals["count"], key


@pytest.mark.slow
def test_geometry_totals_per_class_match_create_shape_volumes_on_duplex(real_file):
    path = real_file("duplex.ifc")

    result = take_off(path, geometry="auto", threads=2)
    expected = independent.geometry_totals_by_class(path)

    actual = {
        line.key["ifc_class"]: line for line in aggregate(result.elements, group_by=("ifc_class",))
    }
    assert set(actual) == set(expected)
    for ifc_class, totals in expected.items():
        assert_close(actual[ifc_class].count, totals["count"], f"{ifc_class} count")
        assert_close(actual[ifc_class].volume or 0.0, totals["volume"], f"{ifc_class} volume")
        assert_close(actual[ifc_class].area or 0.0, totals["area"], f"{ifc_class} area")
    assert {row.source for row in result.elements} == {"geometry"}


def test_mixed_units_scale_each_quantity_kind_separately_on_tekla(real_file, tekla_takeoff):
    model = ifcopenshell.open(str(real_file("ISSUE_021_Mini_Project.ifc")))
    beam = next(
        b for b in model.by_type("IfcBeam") if "BaseQuantities" in element_util.get_psets(b)
    )
    raw = element_util.get_psets(beam, qtos_only=True)["BaseQuantities"]

    row = next(r for r in tekla_takeoff.elements if r.global_id == beam.GlobalId)

    # Lengths are written in mm, areas and volumes already in m² and m³.
    assert tekla_takeoff.unit_scale.length == pytest.approx(0.001)
    assert row.length == pytest.approx(raw["Length"] / 1000, rel=REL)
    assert row.area == pytest.approx(raw["OuterSurfaceArea"], rel=REL)
    assert row.volume == pytest.approx(raw["NetVolume"], rel=REL)


def test_assembly_parts_are_counted_once_and_assemblies_with_parts_not_at_all(
    real_file, tekla_takeoff
):
    model = ifcopenshell.open(str(real_file("ISSUE_021_Mini_Project.ifc")))
    assemblies = model.by_type("IfcElementAssembly")
    with_parts = {a.GlobalId for a in assemblies if element_util.get_decomposition(a)}
    parts = {p.GlobalId for a in assemblies for p in element_util.get_decomposition(a)} - with_parts
    counts: dict[str, float] = defaultdict(float)
    for row in tekla_takeoff.elements:
        counts[row.global_id] += row.count

    assert with_parts, "the Tekla file should contain assemblies with parts"
    assert not with_parts & counts.keys()
    assert parts <= counts.keys()
    assert all(math.isclose(c, 1.0) for c in counts.values())
    expected_rows = len(independent.measurable_elements(model))
    assert len(counts) == expected_rows


def test_shared_quantity_set_applies_to_every_related_element(real_file, tekla_takeoff):
    model = ifcopenshell.open(str(real_file("ISSUE_021_Mini_Project.ifc")))
    shared = next(
        rel
        for rel in model.by_type("IfcRelDefinesByProperties")
        if rel.RelatingPropertyDefinition.is_a("IfcElementQuantity")
        and len(rel.RelatedObjects) >= 3
        and any(q.Name == "NetVolume" for q in rel.RelatingPropertyDefinition.Quantities)
        and not any(o.is_a("IfcElementAssembly") for o in rel.RelatedObjects)
    )
    volume = next(
        q.VolumeValue for q in shared.RelatingPropertyDefinition.Quantities if q.Name == "NetVolume"
    )
    by_id = {row.global_id: row for row in tekla_takeoff.elements}

    for obj in shared.RelatedObjects:
        assert by_id[obj.GlobalId].volume == pytest.approx(volume, rel=REL)


@pytest.mark.parametrize(
    "name",
    [
        "AC20-FZK-Haus.ifc",
        "duplex.ifc",
        "ISSUE_021_Mini_Project.ifc",
        "revit2012_janesville_restaurant.ifc",
    ],
)
def test_storey_type_and_predefined_type_match_ifcopenshell_utilities(real_file, name):
    path = real_file(name)
    model = ifcopenshell.open(str(path))

    rows = {row.global_id: row for row in take_off(path, geometry="never").elements}

    for element in independent.measurable_elements(model):
        row = rows[element.GlobalId]
        # get_container walks parts up to their assembly, spaces up to their storey.
        storey = element_util.get_container(element, ifc_class="IfcBuildingStorey")
        element_type = element_util.get_type(element)
        assert row.storey == (storey.Name if storey else None), element
        assert row.type_name == (element_type.Name if element_type else None), element
        assert row.predefined_type == element_util.get_predefined_type(element), element


def test_vendor_quantity_sets_are_not_trusted_and_geometry_fills_the_gap(real_file):
    path = real_file("AC20-FZK-Haus.ifc")

    without_geometry = take_off(path, geometry="never")
    with_geometry = take_off(path, geometry="auto")

    # The members carry only ArchiCAD's German sets ("Volumen", "Fläche").
    members = [r for r in without_geometry.elements if r.ifc_class == "IfcMember"]
    assert members and all(r.volume is None and r.source == "none" for r in members)
    measured = [r for r in with_geometry.elements if r.ifc_class == "IfcMember"]
    assert all(r.volume and r.volume > 0 and r.source == "geometry" for r in measured)
    walls_never = [r for r in without_geometry.elements if r.ifc_class == "IfcWallStandardCase"]
    walls_auto = [r for r in with_geometry.elements if r.ifc_class == "IfcWallStandardCase"]
    assert walls_never == walls_auto, "elements with standard Qto must not be re-measured"


def test_area_typed_perimeter_and_cross_area_are_not_taken_as_slab_area(real_file):
    result = take_off(real_file("revit2012_janesville_restaurant.ifc"), geometry="never")

    assert result.unit_scale.length_unit == "FOOT"
    assert result.unit_scale.area == pytest.approx(0.3048**2)
    assert result.unit_scale.volume == pytest.approx(0.3048**3)
    slabs = [r for r in result.elements if r.ifc_class == "IfcSlab"]
    assert slabs and all(r.area is None and r.volume is None for r in slabs)


@pytest.mark.parametrize(
    ("name", "schema", "unit", "scale", "application"),
    [
        ("AC20-FZK-Haus.ifc", "IFC4", "METRE", 1.0, "ARCHICAD"),
        ("duplex.ifc", "IFC2X3", "METRE", 1.0, "Revit"),
        ("ISSUE_021_Mini_Project.ifc", "IFC2X3", "MILLIMETRE", 0.001, "Tekla"),
        ("revit2012_janesville_restaurant.ifc", "IFC2X3", "FOOT", 0.3048, "Revit"),
    ],
)
def test_model_info_reads_schema_units_application_and_element_count(
    real_file, name, schema, unit, scale, application
):
    path = real_file(name)

    info = read_model_info(path)

    model = ifcopenshell.open(str(path))
    elements = [
        e
        for e in model.by_type("IfcElement")
        if not e.is_a("IfcFeatureElement") and not e.is_a("IfcVirtualElement")
    ]
    assert info.schema == schema
    assert info.length_unit == unit
    assert info.length_scale == pytest.approx(scale)
    assert application in (info.application or "")
    assert info.element_count == len(elements)
