"""One pass over an opened model's relationships, producing plain per-element records.

Relationship entities are walked once into id-keyed dicts instead of asking
IfcOpenShell per element (get_psets/get_material walk inverses per call and
dominate a naive takeoff). Records hold only ids, strings and floats so the
model can be freed before geometry runs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

import ifcopenshell
import ifcopenshell.ifcopenshell_wrapper as wrapper

from . import materials, quantities
from .quantities import Quantities
from .units import UnitScale, unit_to_si

_EXCLUDED_ROOTS = ("IfcFeatureElement", "IfcVirtualElement")
_MAX_WALK = 32
# Attributes are read by position: ~4x faster than by name, and these positions are the
# same in IFC2X3, IFC4 and IFC4X3 (test_attribute_positions checks them against the schemas).
POSITIONS = {
    ("IfcRoot", "GlobalId"): 0,
    ("IfcObject", "ObjectType"): 4,
    ("IfcElementQuantity", "Name"): 2,
    ("IfcElementQuantity", "Quantities"): 5,
    ("IfcPhysicalSimpleQuantity", "Name"): 0,
    ("IfcPhysicalSimpleQuantity", "Unit"): 2,
    ("IfcQuantityLength", "LengthValue"): 3,
    ("IfcQuantityArea", "AreaValue"): 3,
    ("IfcQuantityVolume", "VolumeValue"): 3,
    ("IfcQuantityWeight", "WeightValue"): 3,
    ("IfcRelDefinesByProperties", "RelatedObjects"): 4,
    ("IfcRelDefinesByProperties", "RelatingPropertyDefinition"): 5,
    ("IfcRelDefinesByType", "RelatedObjects"): 4,
    ("IfcRelDefinesByType", "RelatingType"): 5,
    ("IfcRelAssociatesMaterial", "RelatedObjects"): 4,
    ("IfcRelAssociatesMaterial", "RelatingMaterial"): 5,
    ("IfcRelContainedInSpatialStructure", "RelatedElements"): 4,
    ("IfcRelContainedInSpatialStructure", "RelatingStructure"): 5,
    ("IfcRelAggregates", "RelatingObject"): 4,
    ("IfcRelAggregates", "RelatedObjects"): 5,
    ("IfcRelNests", "RelatingObject"): 4,
    ("IfcRelNests", "RelatedObjects"): 5,
    ("IfcRelVoidsElement", "RelatingBuildingElement"): 4,
    ("IfcRelVoidsElement", "RelatedOpeningElement"): 5,
    ("IfcRelFillsElement", "RelatingOpeningElement"): 4,
    ("IfcRelFillsElement", "RelatedBuildingElement"): 5,
}
_GLOBAL_ID = POSITIONS["IfcRoot", "GlobalId"]
_OBJECT_TYPE = POSITIONS["IfcObject", "ObjectType"]
_QUANTITIES = POSITIONS["IfcElementQuantity", "Quantities"]
_QUANTITY_NAME = POSITIONS["IfcPhysicalSimpleQuantity", "Name"]
_QUANTITY_UNIT = POSITIONS["IfcPhysicalSimpleQuantity", "Unit"]
_QUANTITY_VALUE = POSITIONS["IfcQuantityLength", "LengthValue"]  # same for area/volume/weight


@dataclass(slots=True)
class ElementRecord:
    """What the reading pass learned about one element (ids and plain values only)."""

    step_id: int
    global_id: str
    ifc_class: str
    predefined_type: str | None
    type_name: str | None
    storey: str | None
    material: str | materials.Layers | None
    quantities: Quantities


@cache
def _class_info(schema: str, ifc_class: str) -> tuple[bool, int]:
    """(excluded, PredefinedType index or -1) for a class name."""
    decl = wrapper.schema_by_name(schema).declaration_by_name(ifc_class)
    supertype, excluded = decl, False
    while supertype is not None:
        if supertype.name() in _EXCLUDED_ROOTS:
            excluded = True
        supertype = supertype.supertype()
    return excluded, decl.attribute_index("PredefinedType")


def read_elements(
    model: ifcopenshell.file,
    scales: UnitScale,
    on_progress: Callable[[float], None],
) -> list[ElementRecord]:
    """Read every measurable IfcElement with its type, storey, material and standard quantities."""
    schema = model.schema_identifier
    elements = []
    for element in model.by_type("IfcElement"):
        ifc_class = element.is_a()
        excluded, _ = _class_info(schema, ifc_class)
        if not excluded:
            elements.append(element)
    element_ids = {e.id() for e in elements}
    on_progress(0.1)

    # Elements that aggregate other elements (IfcElementAssembly, stairs, roofs, curtain
    # walls) get no row of their own: their parts carry the quantities.
    parent, containers = _decomposition(model, element_ids)
    type_of = _pairs(model, "IfcRelDefinesByType", "RelatedObjects", "RelatingType")
    material_of = _pairs(
        model, "IfcRelAssociatesMaterial", "RelatedObjects", "RelatingMaterial", first_wins=True
    )
    on_progress(0.25)
    storeys = _Storeys(model, parent)
    qto_of, standard_sets = _standard_sets(model, scales)
    on_progress(0.5)

    type_cache: dict[int, tuple[str | None, str | None, list[int]]] = {}
    material_cache: dict[int, str | materials.Layers | None] = {}
    records: list[ElementRecord] = []
    step = max(1, len(elements) // 20)
    for n, element in enumerate(elements):
        if n % step == 0:
            on_progress(0.5 + 0.5 * n / len(elements))
        eid = element.id()
        if eid in containers:
            continue
        ifc_class = element.is_a()
        type_id = type_of.get(eid)
        type_name, predefined, type_sets = None, None, []
        if type_id is not None:
            if type_id not in type_cache:
                type_cache[type_id] = _type_info(model.by_id(type_id), standard_sets)
            type_name, predefined, type_sets = type_cache[type_id]
        if predefined is None:
            # As ifcopenshell.util.element.get_predefined_type: the type's value wins, then
            # the occurrence's, with ObjectType standing in for USERDEFINED or a missing one.
            _, predef_index = _class_info(schema, ifc_class)
            predefined = element.get_argument(predef_index) if predef_index >= 0 else None
            if predefined == "USERDEFINED" or not predefined:
                predefined = element.get_argument(_OBJECT_TYPE)

        material_id = material_of.get(eid)
        if material_id is None and type_id is not None:
            material_id = material_of.get(type_id)
        material = None
        if material_id is not None:
            if material_id not in material_cache:
                material_cache[material_id] = materials.describe(model.by_id(material_id))
            material = material_cache[material_id]

        set_ids = type_sets + qto_of.get(eid, [])
        if len(set_ids) == 1:
            values = standard_sets[set_ids[0]][3]
        elif set_ids:
            values = quantities.resolve([standard_sets[i][:3] for i in set_ids])
        else:
            values = quantities.NO_QUANTITIES
        records.append(
            ElementRecord(
                step_id=eid,
                global_id=element.get_argument(_GLOBAL_ID),
                ifc_class=ifc_class,
                predefined_type=predefined,
                type_name=type_name,
                storey=storeys.of(eid),
                material=material,
                quantities=values,
            )
        )
    return records


def _pairs(
    model: ifcopenshell.file,
    rel_class: str,
    related_attribute: str,
    relating_attribute: str,
    *,
    first_wins: bool = False,
) -> dict[int, int]:
    """related object id -> relating object id for one relationship class."""
    related = POSITIONS[rel_class, related_attribute]
    relating = POSITIONS[rel_class, relating_attribute]
    out: dict[int, int] = {}
    for rel in model.by_type(rel_class):
        target = rel.get_argument(relating)
        if target is None:
            continue
        tid = target.id()
        objects = rel.get_argument(related)
        for obj in objects if isinstance(objects, tuple) else (objects,):
            if obj is None:
                continue
            if first_wins:
                out.setdefault(obj.id(), tid)
            else:
                out[obj.id()] = tid
    return out


def _decomposition(
    model: ifcopenshell.file, element_ids: set[int]
) -> tuple[dict[int, int], set[int]]:
    """part id -> whole id (aggregates and nests), and the elements that aggregate elements."""
    parent: dict[int, int] = {}
    containers: set[int] = set()
    for rel_class in ("IfcRelAggregates", "IfcRelNests"):
        relating = POSITIONS[rel_class, "RelatingObject"]
        related = POSITIONS[rel_class, "RelatedObjects"]
        for rel in model.by_type(rel_class):
            whole = rel.get_argument(relating)
            if whole is None:
                continue
            wid = whole.id()
            for part in rel.get_argument(related) or ():
                pid = part.id()
                parent.setdefault(pid, wid)
                if rel_class == "IfcRelAggregates" and wid in element_ids and pid in element_ids:
                    containers.add(wid)
    return parent, containers


def _type_info(
    type_object: ifcopenshell.entity_instance,
    standard_sets: dict[int, tuple[int, str, dict[str, float], Quantities]],
) -> tuple[str | None, str | None, list[int]]:
    """(name, predefined type or None, standard quantity set ids) of a type object."""
    predefined = getattr(type_object, "PredefinedType", None)
    if predefined == "USERDEFINED" or not predefined:
        predefined = getattr(type_object, "ElementType", None)
    if predefined == "NOTDEFINED":
        predefined = None
    set_ids = [p.id() for p in type_object.HasPropertySets or () if p.id() in standard_sets]
    return type_object.Name or None, predefined or None, set_ids


def _standard_sets(
    model: ifcopenshell.file, scales: UnitScale
) -> tuple[dict[int, list[int]], dict[int, tuple[int, str, dict[str, float], Quantities]]]:
    """Occurrence id -> standard set ids, and set id -> (rank, name, SI values, resolved)."""
    scale_of_kind = {
        "length": scales.length,
        "area": scales.area,
        "volume": scales.volume,
        "weight": scales.mass,
    }
    unit_scales: dict[int, float] = {}

    def unit_scale(unit: ifcopenshell.entity_instance) -> float:
        if unit.id() not in unit_scales:
            unit_scales[unit.id()] = unit_to_si(unit)
        return unit_scales[unit.id()]

    sets: dict[int, tuple[int, str, dict[str, float], Quantities]] = {}
    name_position = POSITIONS["IfcElementQuantity", "Name"]
    for qset in model.by_type("IfcElementQuantity"):
        name = qset.get_argument(name_position)
        rank = quantities.set_rank(name)
        if rank is None:
            continue
        values = _read_standard_set(qset, scale_of_kind, unit_scale)
        sets[qset.id()] = (rank, name, values, quantities.resolve([(rank, name, values)]))

    occurrence_sets: dict[int, list[int]] = {}
    if not sets:
        return occurrence_sets, sets
    related = POSITIONS["IfcRelDefinesByProperties", "RelatedObjects"]
    relating = POSITIONS["IfcRelDefinesByProperties", "RelatingPropertyDefinition"]
    for rel in model.by_type("IfcRelDefinesByProperties"):
        definition = rel.get_argument(relating)
        # IFC4 allows a IfcPropertySetDefinitionSet (a list) here.
        definitions = definition if isinstance(definition, tuple) else (definition,)
        for item in definitions:
            if item is None or item.id() not in sets:
                continue
            for obj in rel.get_argument(related) or ():
                occurrence_sets.setdefault(obj.id(), []).append(item.id())
    return occurrence_sets, sets


def _read_standard_set(
    qset: ifcopenshell.entity_instance,
    scale_of_kind: dict[str, float],
    unit_scale: Callable[[ifcopenshell.entity_instance], float],
) -> dict[str, float]:
    """SI values of the recognised quantities of one standard set, by quantity name."""
    values: dict[str, float] = {}
    for quantity in qset.get_argument(_QUANTITIES) or ():
        name = quantity.get_argument(_QUANTITY_NAME)
        kind = quantities.NAME_KIND.get(name)
        if kind is None or quantities.QUANTITY_CLASS_KIND.get(quantity.is_a()) != kind:
            continue
        value = quantity.get_argument(_QUANTITY_VALUE)
        if value is None:
            continue
        unit = quantity.get_argument(_QUANTITY_UNIT)
        # A quantity may name its own unit; otherwise the project unit of its kind applies.
        scale = unit_scale(unit) if unit is not None else scale_of_kind[kind]
        values[name] = float(value) * scale
    return values


class _Storeys:
    """Finds the storey of an element: containment, else its whole's, else its host's."""

    def __init__(self, model: ifcopenshell.file, parent: dict[int, int]) -> None:
        self._model = model
        self._parent = parent
        self._contained = _pairs(
            model, "IfcRelContainedInSpatialStructure", "RelatedElements", "RelatingStructure"
        )
        self._labels = {
            s.id(): s.Name or s.LongName or s.GlobalId for s in model.by_type("IfcBuildingStorey")
        }
        self._spatial: dict[int, str | None] = {}
        self._host: dict[int, int] | None = None

    def of(self, eid: int) -> str | None:
        for _ in range(_MAX_WALK):
            if eid in self._contained:
                return self._spatial_storey(self._contained[eid])
            if eid in self._parent:
                eid = self._parent[eid]
                continue
            host = self._hosts().get(eid)
            if host is None:
                return None
            eid = host
        return None

    def _spatial_storey(self, sid: int) -> str | None:
        if sid not in self._spatial:
            label, current = None, sid
            for _ in range(_MAX_WALK):
                if current in self._labels:
                    label = self._labels[current]
                    break
                if current not in self._parent:
                    break
                current = self._parent[current]
            self._spatial[sid] = label
        return self._spatial[sid]

    def _hosts(self) -> dict[int, int]:
        # Doors and windows are often only linked to the wall whose opening they fill.
        if self._host is None:
            opening_host = _pairs(
                self._model,
                "IfcRelVoidsElement",
                "RelatedOpeningElement",
                "RelatingBuildingElement",
            )
            filler_opening = _pairs(
                self._model,
                "IfcRelFillsElement",
                "RelatedBuildingElement",
                "RelatingOpeningElement",
            )
            self._host = {
                filler: opening_host[opening]
                for filler, opening in filler_opening.items()
                if opening in opening_host
            }
        return self._host
