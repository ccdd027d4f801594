"""Which exported quantity a takeoff trusts, and in what order.

Only standard quantity sets count as IFC truth: ``Qto_<Class>BaseQuantities``
(IFC4 names) and the IFC2X3 implementer agreement's ``BaseQuantities``. Vendor
sets (ArchiCAD's "Volumen", "Netto-Volumen", "Fläche", Tekla/Revit extras) are
ignored, because their names and meanings are not defined by the standard.

For each kind the first name found wins, net before gross; within one name a
``Qto_*`` set beats ``BaseQuantities``. Type sets apply to the occurrences and
an occurrence set of the same name overrides them quantity by quantity, as
``ifcopenshell.util.element.get_psets`` does. A value only counts when its
IfcQuantity class matches the kind (Revit 2012 writes "Perimeter" as an area).
Cross-section areas are deliberately absent: they are profile sizes, not
surfaces to price.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

KINDS = ("length", "area", "volume", "weight")
PRECEDENCE: dict[str, tuple[str, ...]] = {
    "length": ("Length",),
    "area": (
        "NetSideArea",
        "NetArea",
        "NetSurfaceArea",
        "OuterSurfaceArea",
        "GrossSideArea",
        "GrossArea",
        "GrossSurfaceArea",
        "Area",
    ),
    "volume": ("NetVolume", "GrossVolume", "Volume"),
    "weight": ("NetWeight", "GrossWeight", "Weight"),
}
QUANTITY_CLASS_KIND = {
    "IfcQuantityLength": "length",
    "IfcQuantityArea": "area",
    "IfcQuantityVolume": "volume",
    "IfcQuantityWeight": "weight",
}
NAME_KIND = {name: kind for kind, names in PRECEDENCE.items() for name in names}
_STANDARD_SET = re.compile(r"^(Qto_\w+BaseQuantities|BaseQuantities)$")

Quantities = tuple[float | None, float | None, float | None, float | None]
"""(length m, area m², volume m³, weight kg)."""
NO_QUANTITIES: Quantities = (None, None, None, None)


def set_rank(name: str) -> int | None:
    """0 for Qto_*BaseQuantities, 1 for BaseQuantities, None for any other (vendor) set."""
    if not _STANDARD_SET.match(name or ""):
        return None
    return 1 if name == "BaseQuantities" else 0


def resolve(sets: Sequence[tuple[int, str, dict[str, float]]]) -> Quantities:
    """Pick one value per kind from (rank, set name, values) in type-then-occurrence order."""
    if len(sets) == 1:
        ordered = [sets[0][2]]
    else:
        merged: dict[str, tuple[int, dict[str, float]]] = {}
        for rank, name, values in sets:
            previous = merged.get(name)
            merged[name] = (rank, {**previous[1], **values} if previous else values)
        ordered = [v for _, (_, v) in sorted(merged.items(), key=lambda kv: (kv[1][0], kv[0]))]
    length, area, volume, weight = (
        next((v[n] for n in PRECEDENCE[kind] for v in ordered if n in v), None) for kind in KINDS
    )
    return (length, area, volume, weight)
