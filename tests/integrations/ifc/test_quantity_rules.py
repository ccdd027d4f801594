"""Which exported quantity wins, on small hand-built models."""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.guid
import pytest

from integrations.ifc import take_off


class Model:
    """A tiny IFC4 model in metres with walls and quantity sets built by hand."""

    def __init__(self) -> None:
        self.f = ifcopenshell.file(schema="IFC4")
        units = self.f.createIfcUnitAssignment(
            [
                self.f.createIfcSIUnit(None, "LENGTHUNIT", None, "METRE"),
                self.f.createIfcSIUnit(None, "AREAUNIT", None, "SQUARE_METRE"),
                self.f.createIfcSIUnit(None, "VOLUMEUNIT", None, "CUBIC_METRE"),
                self.f.createIfcSIUnit(None, "MASSUNIT", "KILO", "GRAM"),
            ]
        )
        self.f.createIfcProject(ifcopenshell.guid.new(), None, "P", UnitsInContext=units)

    def wall(self, name: str, wall_type=None):
        wall = self.f.createIfcWall(ifcopenshell.guid.new(), None, name)
        if wall_type is not None:
            self.f.createIfcRelDefinesByType(
                ifcopenshell.guid.new(), None, None, None, [wall], wall_type
            )
        return wall

    def quantity_set(self, name: str, quantities: list[tuple[str, str, float]], unit=None):
        return self.f.createIfcElementQuantity(
            ifcopenshell.guid.new(),
            None,
            name,
            None,
            None,
            [
                self.f.create_entity(cls, qname, None, unit, value)
                for cls, qname, value in quantities
            ],
        )

    def attach(self, qset, *objects) -> None:
        self.f.createIfcRelDefinesByProperties(
            ifcopenshell.guid.new(), None, None, None, list(objects), qset
        )

    def take_off(self, tmp_path):
        path = tmp_path / "model.ifc"
        self.f.write(str(path))
        return {
            row.ifc_class + ":" + row.global_id: row
            for row in take_off(path, geometry="never").elements
        }


def row_of(rows: dict, wall) -> object:
    return rows["IfcWall:" + wall.GlobalId]


def test_net_beats_gross_and_qto_set_beats_base_quantities_for_the_same_name(tmp_path):
    model = Model()
    wall = model.wall("W")
    model.attach(
        model.quantity_set(
            "BaseQuantities",
            [("IfcQuantityVolume", "NetVolume", 1.0), ("IfcQuantityArea", "NetSideArea", 5.0)],
        ),
        wall,
    )
    model.attach(
        model.quantity_set(
            "Qto_WallBaseQuantities",
            [
                ("IfcQuantityVolume", "GrossVolume", 2.0),
                ("IfcQuantityVolume", "NetVolume", 3.0),
                ("IfcQuantityArea", "GrossSideArea", 6.0),
            ],
        ),
        wall,
    )

    row = row_of(model.take_off(tmp_path), wall)

    assert row.volume == 3.0
    assert row.area == 5.0
    assert row.source == "qto"


def test_vendor_sets_and_quantities_of_the_wrong_class_are_ignored(tmp_path):
    model = Model()
    wall = model.wall("W")
    model.attach(
        model.quantity_set("ArchiCADQuantities", [("IfcQuantityVolume", "NetVolume", 99.0)]), wall
    )
    model.attach(
        model.quantity_set(
            "Qto_WallBaseQuantities",
            [("IfcQuantityLength", "NetSideArea", 4.0), ("IfcQuantityArea", "Length", 2.0)],
        ),
        wall,
    )

    row = row_of(model.take_off(tmp_path), wall)

    assert (row.length, row.area, row.volume, row.weight) == (None, None, None, None)
    assert row.source == "none"


def test_type_quantities_apply_to_occurrences_and_occurrence_values_override_them(tmp_path):
    model = Model()
    type_set = model.quantity_set(
        "Qto_WallBaseQuantities",
        [("IfcQuantityLength", "Length", 7.0), ("IfcQuantityWeight", "GrossWeight", 10.0)],
    )
    wall_type = model.f.createIfcWallType(
        ifcopenshell.guid.new(), None, "T", HasPropertySets=[type_set], PredefinedType="STANDARD"
    )
    plain, overridden = model.wall("A", wall_type), model.wall("B", wall_type)
    model.attach(
        model.quantity_set("Qto_WallBaseQuantities", [("IfcQuantityLength", "Length", 8.0)]),
        overridden,
    )

    rows = model.take_off(tmp_path)

    assert (row_of(rows, plain).length, row_of(rows, plain).weight) == (7.0, 10.0)
    assert (row_of(rows, overridden).length, row_of(rows, overridden).weight) == (8.0, 10.0)
    assert row_of(rows, plain).type_name == "T"


def test_a_quantity_with_its_own_unit_uses_that_unit(tmp_path):
    model = Model()
    wall = model.wall("W")
    millimetre = model.f.createIfcSIUnit(None, "LENGTHUNIT", "MILLI", "METRE")
    model.attach(
        model.quantity_set(
            "Qto_WallBaseQuantities", [("IfcQuantityLength", "Length", 2500.0)], unit=millimetre
        ),
        wall,
    )

    row = row_of(model.take_off(tmp_path), wall)

    assert row.length == pytest.approx(2.5)


def test_one_quantity_set_related_to_several_walls_applies_to_each(tmp_path):
    model = Model()
    walls = [model.wall(f"W{i}") for i in range(4)]
    model.attach(
        model.quantity_set("BaseQuantities", [("IfcQuantityVolume", "NetVolume", 1.25)]), *walls
    )

    rows = model.take_off(tmp_path)

    assert [row_of(rows, w).volume for w in walls] == [1.25] * 4
