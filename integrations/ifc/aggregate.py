"""Group takeoff rows into lines (sums per key), sorted deterministically."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields

from .takeoff import ElementQuantity

DEFAULT_GROUP_BY = ("ifc_class", "type_name", "material")
_FIELDS = tuple(f.name for f in fields(ElementQuantity))
_SPLIT_BY_LAYER = {"material", "layer"}


@dataclass(frozen=True, slots=True)
class TakeoffLine:
    """Quantities summed over the rows sharing one key; None where no row had a value.

    ``count`` is the number of distinct elements (whole pieces), the same as element_count.
    """

    key: dict[str, str | None]
    count: int
    length: float | None
    area: float | None
    volume: float | None
    weight: float | None
    element_count: int
    sources: tuple[str, ...]


def aggregate(
    elements: Iterable[ElementQuantity], *, group_by: Sequence[str] = DEFAULT_GROUP_BY
) -> list[TakeoffLine]:
    """Sum rows per group_by key (any ElementQuantity attribute names), sorted by key."""
    group_by = tuple(group_by)
    unknown = [name for name in group_by if name not in _FIELDS]
    if unknown or not group_by:
        raise ValueError(
            f"group_by must name ElementQuantity attributes, got {unknown or 'nothing'}"
        )
    # Layers repeat the element's length and area; count them once unless lines split layers.
    once_per_element = not _SPLIT_BY_LAYER.intersection(group_by)
    groups: dict[tuple, _Sums] = {}
    for row in elements:
        key = tuple(_key_value(getattr(row, name)) for name in group_by)
        sums = groups.get(key)
        if sums is None:
            sums = groups[key] = _Sums()
        repeated = once_per_element and row.layer is not None and row.layer > 0
        sums.add(row, repeated)
    lines = [sums.line(dict(zip(group_by, key, strict=True))) for key, sums in groups.items()]
    lines.sort(key=lambda line: sort_key(line.key))
    return lines


def sort_key(key: dict[str, str | None]) -> tuple:
    """Order keys by their values, None last, independent of input order."""
    return tuple((value is None, value or "", name) for name, value in key.items())


def _key_value(value: object) -> str | None:
    return None if value is None else str(value)


class _Sums:
    __slots__ = ("area", "ids", "length", "sources", "volume", "weight")

    def __init__(self) -> None:
        self.length: list[float] = []
        self.area: list[float] = []
        self.volume: list[float] = []
        self.weight: list[float] = []
        self.ids: set[str] = set()
        self.sources: set[str] = set()

    def add(self, row: ElementQuantity, repeated: bool) -> None:
        if row.length is not None and not repeated:
            self.length.append(row.length)
        if row.area is not None and not repeated:
            self.area.append(row.area)
        if row.volume is not None:
            self.volume.append(row.volume)
        if row.weight is not None:
            self.weight.append(row.weight)
        self.ids.add(row.global_id)
        self.sources.add(row.source)

    def line(self, key: dict[str, str | None]) -> TakeoffLine:
        return TakeoffLine(
            key=key,
            count=len(self.ids),
            length=math.fsum(self.length) if self.length else None,
            area=math.fsum(self.area) if self.area else None,
            volume=math.fsum(self.volume) if self.volume else None,
            weight=math.fsum(self.weight) if self.weight else None,
            element_count=len(self.ids),
            sources=tuple(sorted(self.sources)),
        )
