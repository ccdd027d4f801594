"""Write ERPNext's rates into a copy of an IFC model as an IfcCostSchedule. Pure: no Django, no
ERPNext; it takes the source path, the priced lines and writes a new file.

Every original entity stays as it is (only the project's unit assignment gains the currency
when it has none). The tree is schedule -> group (item group or storey) -> one cost item per
ERPNext Item, each assigned to the elements it prices (IfcRelAssignsToControl).

A cost item's quantity is parametric (IfcOpenShell's ``assign_cost_item_quantity``: the
elements' own quantities, so an edited model re-prices itself) only when that gives exactly
the quantity the rate applies to: each element holds one such quantity of its own (Tekla
shares one set between parts, which the API would count once), the file's unit for it is SI
and the rule adds no waste or unit factor. Otherwise the quantity we measured is written as
the cost item's own quantity, with its unit. IFC2X3 has neither CostValues nor CostQuantities
on IfcCostItem: there the value is associated (IfcRelAssociatesAppliedValue) and the measured
quantity is an IfcElementQuantity of the cost item.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import ifcopenshell
import ifcopenshell.api.control
import ifcopenshell.api.cost
import ifcopenshell.api.pset
import ifcopenshell.api.unit
import ifcopenshell.guid
import ifcopenshell.ifcopenshell_wrapper as wrapper

from .errors import TakeoffError
from .model_file import DEFAULT_MAX_EXPANDED_BYTES, checked_ifc_path, open_model
from .quantities import PRECEDENCE
from .units import read_unit_scale

SCHEDULE_TYPES = ("ESTIMATE", "BUDGET", "PRICEDBILLOFQUANTITIES")
SCHEDULE_PSET = "OpenAEC_CostExport"
ITEM_PSET = "OpenAEC_ERPNextRate"
NO_GROUP = "(no group)"
QUANTITY_CLASS = {
    "count": ("IfcQuantityCount", "CountValue"),
    "length": ("IfcQuantityLength", "LengthValue"),
    "area": ("IfcQuantityArea", "AreaValue"),
    "volume": ("IfcQuantityVolume", "VolumeValue"),
    "weight": ("IfcQuantityWeight", "WeightValue"),
}
# the SI unit a measured quantity is in when the rule adds no factor (IfcSIUnit name, type)
SI_UNIT = {
    "length": ("LENGTHUNIT", "METRE", None),
    "area": ("AREAUNIT", "SQUARE_METRE", None),
    "volume": ("VOLUMEUNIT", "CUBIC_METRE", None),
    "weight": ("MASSUNIT", "GRAM", "KILO"),
}
_SCALE_KIND = {"length": "length", "area": "area", "volume": "volume", "weight": "mass"}
_REL_TOL = 1e-4

Progress = Callable[[float, str], None]


class CostScheduleError(TakeoffError):
    """The schedule cannot be written into this model; `reason` says why and what to do."""


@dataclass(frozen=True)
class CostLine:
    """One priced ERPNext Item (within a group): what the schedule gets for it."""

    item_code: str
    item_name: str
    group: str
    unit: str  # the ERPNext UOM the rate is per
    quantity: float  # in `unit`, after the rule's unit and waste factors
    rate: float
    rate_source: str  # price_list, last_purchase_rate, rule, ...
    rate_from: str  # the same in words
    global_ids: tuple[str, ...]
    quantity_kind: str = "count"  # the takeoff quantity the rules read (one kind, else "")
    si_quantity: float | None = None  # the same quantity in SI units, before any factor


@dataclass(frozen=True)
class ScheduleInfo:
    """The schedule's own facts: type, name, date, currency and where the rates came from."""

    predefined_type: str
    name: str
    identification: str
    description: str
    currency: str
    created: datetime
    properties: Mapping[str, str] = field(default_factory=dict)


@dataclass
class ExportSummary:
    """What was written."""

    schema: str
    cost_items: int = 0
    groups: int = 0
    parametric: list[str] = field(default_factory=list)
    measured: list[dict] = field(default_factory=list)
    elements_assigned: int = 0
    missing_global_ids: list[str] = field(default_factory=list)
    total: float = 0.0
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict:
        """JSON-ready."""
        return {
            "schema": self.schema,
            "cost_items": self.cost_items,
            "groups": self.groups,
            "parametric": self.parametric,
            "measured": self.measured,
            "elements_assigned": self.elements_assigned,
            "missing_global_ids": self.missing_global_ids[:200],
            "total": round(self.total, 2),
            "notes": self.notes,
        }


def write_cost_schedule(
    source: str | Path,
    target: str | Path,
    lines: Sequence[CostLine],
    info: ScheduleInfo,
    *,
    progress: Progress | None = None,
    max_expanded_bytes: int = DEFAULT_MAX_EXPANDED_BYTES,
) -> ExportSummary:
    """Open ``source`` (never written to), add the cost schedule, write ``target``."""
    report = progress or (lambda fraction, phase: None)
    if info.predefined_type not in SCHEDULE_TYPES:
        raise CostScheduleError(
            f"Unknown schedule type {info.predefined_type!r}: "
            f"use one of {', '.join(SCHEDULE_TYPES)}."
        )
    report(0.0, "opening the model")
    with checked_ifc_path(source, max_expanded_bytes) as (path, _header):
        model = open_model(path, lazy=False)
    writer = _Writer(model, info)
    writer.currency()
    report(0.2, "writing the cost schedule")
    groups: dict[str, list[CostLine]] = {}
    for line in lines:
        groups.setdefault(line.group or NO_GROUP, []).append(line)
    done = 0
    for group, members in sorted(groups.items()):
        parent = writer.group(group, writer.summary.groups + 1)
        for line in sorted(members, key=lambda ln: ln.item_code.casefold()):
            writer.item(parent, line)
            done += 1
            report(0.2 + 0.6 * done / max(1, len(lines)), "writing the cost schedule")
    report(0.85, "saving the new file")
    model.write(str(target))
    report(1.0, "done")
    return writer.summary


class _Writer:
    def __init__(self, model: ifcopenshell.file, info: ScheduleInfo) -> None:
        self.model = model
        self.info = info
        self.ifc2x3 = model.schema == "IFC2X3"
        self.summary = ExportSummary(schema=model.schema)
        self.scale = read_unit_scale(model, self.summary.notes)
        self.si_units: dict[str, ifcopenshell.entity_instance] = {}
        self.schedule = self._schedule()

    # the schedule, its currency, its groups

    def _schedule(self) -> ifcopenshell.entity_instance:
        info = self.info
        schedule = ifcopenshell.api.cost.add_cost_schedule(
            self.model, name=info.name, predefined_type=info.predefined_type
        )
        schedule.Description = info.description
        if self.ifc2x3:
            schedule.ID = info.identification  # required in IFC2X3
        else:
            schedule.Identification = info.identification
            schedule.UpdateDate = info.created.isoformat(timespec="seconds")
            schedule.SubmittedOn = info.created.isoformat(timespec="seconds")
        schedule.Status = "Exported from ERPNext rates"
        self._pset(schedule, SCHEDULE_PSET, {**info.properties, "Currency": info.currency})
        return schedule

    def currency(self) -> None:
        """The rates' currency as the project's monetary unit (added when the model has none)."""
        wanted = self.info.currency.strip().upper()
        project = next(iter(self.model.by_type("IfcProject")), None)
        assignment = project.UnitsInContext if project is not None else None
        units = list(assignment.Units) if assignment is not None else []
        have = next((u for u in units if u.is_a("IfcMonetaryUnit")), None)
        if have is not None:
            if str(have.Currency).upper() != wanted:
                raise CostScheduleError(
                    f"The model's money unit is {have.Currency}, ERPNext's rates are in "
                    f"{wanted}: use a price list in {have.Currency}, or export the model "
                    "without a monetary unit."
                )
            return
        if self.ifc2x3 and wanted not in _ifc2x3_currencies():
            raise CostScheduleError(
                f"IFC2X3 cannot name the currency {wanted} (its list of currencies is fixed); "
                "export the model as IFC4, or use a price list in a currency IFC2X3 lists."
            )
        if assignment is None:
            self.summary.notes.append(
                "The model has no unit assignment; the currency is named "
                "only in the schedule's property set."
            )
            return
        assignment.Units = [*units, self.model.create_entity("IfcMonetaryUnit", wanted)]

    def group(self, name: str, number: int) -> ifcopenshell.entity_instance:
        item = ifcopenshell.api.cost.add_cost_item(self.model, cost_schedule=self.schedule)
        item.Name = name
        self.summary.groups += 1
        if not self.ifc2x3:
            item.Identification = f"G{number}"
            # Bonsai's and ifc5d's convention: a "*" value sums the sub-items
            value = ifcopenshell.api.cost.add_cost_value(self.model, parent=item)
            value.Category = "*"
        return item

    # one ERPNext Item

    def item(self, parent: ifcopenshell.entity_instance, line: CostLine) -> None:
        model = self.model
        item = ifcopenshell.api.cost.add_cost_item(model, cost_item=parent)
        item.Name = line.item_name or line.item_code
        item.Description = f"ERPNext Item {line.item_code}"
        if not self.ifc2x3:
            item.Identification = line.item_code
        self.summary.cost_items += 1
        elements = self._elements(line.global_ids)
        quantity_name = self._parametric_name(line, elements)
        if quantity_name is not None:
            if quantity_name == "count":
                ifcopenshell.api.cost.assign_cost_item_quantity(
                    model, cost_item=item, products=elements
                )
            else:
                ifcopenshell.api.cost.assign_cost_item_quantity(
                    model, cost_item=item, products=elements, prop_name=quantity_name
                )
            self.summary.parametric.append(line.item_code)
            source = f"parametric: {quantity_name} of the elements"
        else:
            if elements:
                ifcopenshell.api.control.assign_control(
                    model, relating_control=item, related_objects=elements
                )
            self._measured(item, line)
            source = "measured by the bridge"
            self.summary.measured.append({"item_code": line.item_code, "group": line.group})
        self.summary.elements_assigned += len(elements)
        self._value(item, line)
        self.summary.total += line.quantity * line.rate
        self._pset(
            item,
            ITEM_PSET,
            {
                "ItemCode": line.item_code,
                "Group": line.group,
                "UOM": line.unit,
                "Rate": line.rate,
                "Currency": self.info.currency,
                "RateSource": line.rate_source,
                "RateFrom": line.rate_from,
                "QuantitySource": source,
            },
        )

    def _elements(self, global_ids: Iterable[str]) -> list[ifcopenshell.entity_instance]:
        found = []
        for global_id in dict.fromkeys(global_ids):
            try:
                found.append(self.model.by_guid(global_id))
            except RuntimeError:
                self.summary.missing_global_ids.append(global_id)
        return found

    def _parametric_name(self, line: CostLine, elements: list) -> str | None:
        """The quantity name the API may link, or None when linking would change the number."""
        if self.ifc2x3 or not elements or len(elements) != len(line.global_ids):
            return None
        if line.si_quantity is None or not _close(line.quantity, line.si_quantity):
            return None  # the rule adds a unit or waste factor
        if line.quantity_kind == "count":
            return "count" if _close(len(elements), line.quantity) else None
        if line.quantity_kind not in PRECEDENCE:
            return None
        if not _close(getattr(self.scale, _SCALE_KIND[line.quantity_kind]), 1.0):
            return None  # mm lengths: the linked value would be in mm, the rate per m
        quantity_class = QUANTITY_CLASS[line.quantity_kind][0]
        for name in PRECEDENCE[line.quantity_kind]:
            seen: set[int] = set()
            total = 0.0
            for element in elements:
                # exactly what the API collects: every set's quantity of that name
                found = _named_quantities(element, name)
                if len(found) != 1 or found[0].id() in seen or not found[0].is_a(quantity_class):
                    break
                seen.add(found[0].id())
                total += float(found[0][3])
            else:
                if _close(total, line.si_quantity):
                    return name
        return None

    def _measured(self, item: ifcopenshell.entity_instance, line: CostLine) -> None:
        kind = line.quantity_kind if line.quantity_kind in QUANTITY_CLASS else "count"
        ifc_class, attribute = QUANTITY_CLASS[kind]
        unit = self._unit(kind, line)
        value = line.quantity
        if kind == "count" and _close(value, round(value)):
            value = round(value)
        if self.ifc2x3:
            quantity = self.model.create_entity(ifc_class, Name=kind.capitalize())
            quantity.Description = f"{line.unit}, measured by the bridge"
            quantity.Unit = unit
            setattr(quantity, attribute, value)
            qto = ifcopenshell.api.pset.add_qto(
                self.model, product=item, name="Qto_CostItemQuantity"
            )
            qto.Quantities = [quantity]
            return
        quantity = ifcopenshell.api.cost.add_cost_item_quantity(
            self.model, cost_item=item, ifc_class=ifc_class
        )
        quantity.Name = kind.capitalize()
        quantity.Description = f"{line.unit}, measured by the bridge"
        quantity.Unit = unit
        setattr(quantity, attribute, value)

    def _unit(self, kind: str, line: CostLine) -> ifcopenshell.entity_instance | None:
        """The unit a measured quantity is in: SI when the rule adds no factor (the file's own
        unit may be mm or ft), else a unit named after the ERPNext UOM."""
        if kind == "count":
            return None
        if line.si_quantity is not None and _close(line.quantity, line.si_quantity):
            if kind not in self.si_units:
                unit_type, name, prefix = SI_UNIT[kind]
                self.si_units[kind] = self.model.create_entity(
                    "IfcSIUnit", UnitType=unit_type, Prefix=prefix, Name=name
                )
            return self.si_units[kind]
        key = f"uom:{line.unit}"
        if key not in self.si_units:
            unit_type = SI_UNIT[kind][0]
            exponents = {"length": (1, 0, 0), "area": (2, 0, 0), "volume": (3, 0, 0)}
            length, mass, _ = exponents.get(kind, (0, 1, 0))
            dimensions = self.model.create_entity(
                "IfcDimensionalExponents", length, mass, 0, 0, 0, 0, 0
            )
            self.si_units[key] = self.model.create_entity(
                "IfcContextDependentUnit", Dimensions=dimensions, UnitType=unit_type, Name=line.unit
            )
        return self.si_units[key]

    def _value(self, item: ifcopenshell.entity_instance, line: CostLine) -> None:
        """The ERPNext rate as the item's unit value, named with where it came from."""
        if self.ifc2x3:
            value = self.model.create_entity(
                "IfcCostValue",
                Name="ERPNext rate",
                Description=line.rate_from,
                AppliedValue=self.model.create_entity("IfcMonetaryMeasure", float(line.rate)),
                CostType=line.rate_source,
            )
            self.model.create_entity(
                "IfcRelAssociatesAppliedValue",
                GlobalId=ifcopenshell.guid.new(),
                OwnerHistory=self.schedule.OwnerHistory,
                RelatedObjects=[item],
                RelatingAppliedValue=value,
            )
            return
        value = ifcopenshell.api.cost.add_cost_value(self.model, parent=item)
        ifcopenshell.api.cost.edit_cost_value(
            self.model,
            cost_value=value,
            attributes={
                "Name": "ERPNext rate",
                "Description": line.rate_from,
                "AppliedValue": float(line.rate),
            },
        )

    def _pset(self, product, name: str, properties: Mapping[str, object]) -> None:
        pset = ifcopenshell.api.pset.add_pset(self.model, product=product, name=name)
        clean = {k: v for k, v in properties.items() if v not in (None, "")}
        ifcopenshell.api.pset.edit_pset(self.model, pset=pset, properties=clean)


def _named_quantities(element, name: str) -> list:
    wanted = name.lower()
    found = []
    for rel in getattr(element, "IsDefinedBy", ()) or ():
        if not rel.is_a("IfcRelDefinesByProperties"):
            continue
        definition = rel.RelatingPropertyDefinition
        if not definition.is_a("IfcElementQuantity"):
            continue
        for quantity in definition.Quantities or ():
            if (
                quantity.is_a("IfcPhysicalSimpleQuantity")
                and (quantity.Name or "").lower() == wanted
            ):
                found.append(quantity)
    return found


def _close(a: float, b: float) -> bool:
    return math.isclose(float(a), float(b), rel_tol=_REL_TOL, abs_tol=1e-9)


def _ifc2x3_currencies() -> frozenset[str]:
    enum = wrapper.schema_by_name("IFC2X3").declaration_by_name("IfcCurrencyEnum")
    return frozenset(enum.enumeration_items())
