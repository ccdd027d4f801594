"""The generated models are valid IFC and hold what was asked for."""

from __future__ import annotations

import ifcopenshell
import ifcopenshell.util.element as element_util
import ifcopenshell.util.unit as unit_util
import ifcopenshell.validate
import pytest


@pytest.mark.parametrize(
    "schema", ["IFC2X3", "IFC4", pytest.param("IFC4X3", marks=pytest.mark.slow)]
)
def test_synthetic_model_passes_schema_and_where_rule_validation(synthetic, schema):
    model = ifcopenshell.open(str(synthetic(12, length_unit="FOOT", schema=schema)))
    logger = ifcopenshell.validate.json_logger()

    ifcopenshell.validate.validate(model, logger, express_rules=True)

    assert logger.statements == []


@pytest.mark.parametrize(
    ("unit", "scale"), [("MILLIMETRE", 0.001), ("METRE", 1.0), ("FOOT", 0.3048)]
)
def test_synthetic_model_has_the_requested_elements_units_and_relations(synthetic, unit, scale):
    model = ifcopenshell.open(str(synthetic(2100, length_unit=unit, schema="IFC4")))

    elements = model.by_type("IfcElement")
    assert len(elements) == 2100
    assert unit_util.calculate_unit_scale(model) == pytest.approx(scale)
    assert len(model.by_type("IfcBuildingStorey")) == 3
    for element in elements[::97]:
        assert element_util.get_type(element) is not None
        assert element_util.get_container(element).is_a("IfcBuildingStorey")
        assert element_util.get_material(element, should_inherit=True) is not None
        qto = element_util.get_psets(element, qtos_only=True)
        assert {"Qto_WallBaseQuantities", "Qto_SlabBaseQuantities"} & qto.keys()


def test_options_drop_quantity_sets_and_layers_but_keep_global_ids(synthetic):
    full = ifcopenshell.open(str(synthetic(20)))
    bare = ifcopenshell.open(str(synthetic(20, with_qto=False, with_layers=False)))

    assert [e.GlobalId for e in full.by_type("IfcElement")] == [
        e.GlobalId for e in bare.by_type("IfcElement")
    ]
    assert not bare.by_type("IfcElementQuantity")
    assert not bare.by_type("IfcMaterialLayerSet")
    assert full.by_type("IfcMaterialLayerSet")
