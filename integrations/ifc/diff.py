"""Compare two aggregated takeoffs line by line (same group_by on both sides)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from .aggregate import TakeoffLine, sort_key

DiffStatus = Literal["added", "removed", "changed", "unchanged"]
COMPARED = ("count", "element_count", "length", "area", "volume", "weight")
# Float noise on a zero quantity must not read as a change.
_ABS_TOL = 1e-12


@dataclass(frozen=True, slots=True)
class QuantityDelta:
    """Old and new value of one quantity and new - old (a missing side counts as 0)."""

    old: float | None
    new: float | None
    delta: float | None


@dataclass(frozen=True, slots=True)
class TakeoffLineDiff:
    """How one line changed between two takeoffs, per quantity."""

    key: dict[str, str | None]
    status: DiffStatus
    quantities: dict[str, QuantityDelta]


def diff(
    old: Sequence[TakeoffLine], new: Sequence[TakeoffLine], *, rel_tol: float = 1e-9
) -> list[TakeoffLineDiff]:
    """Match lines by key; report each as added, removed, changed or unchanged, sorted by key."""
    old_by_key = {_frozen(line.key): line for line in old}
    new_by_key = {_frozen(line.key): line for line in new}
    result: list[TakeoffLineDiff] = []
    for frozen in old_by_key.keys() | new_by_key.keys():
        before, after = old_by_key.get(frozen), new_by_key.get(frozen)
        deltas = {name: _delta(before, after, name) for name in COMPARED}
        if before is None:
            status: DiffStatus = "added"
        elif after is None:
            status = "removed"
        elif all(_same(d.old, d.new, rel_tol) for d in deltas.values()):
            status = "unchanged"
        else:
            status = "changed"
        key = (after or before).key  # type: ignore[union-attr]
        result.append(TakeoffLineDiff(key=dict(key), status=status, quantities=deltas))
    result.sort(key=lambda d: sort_key(d.key))
    return result


def _frozen(key: dict[str, str | None]) -> tuple:
    return tuple(sorted(key.items(), key=lambda item: item[0]))


def _delta(before: TakeoffLine | None, after: TakeoffLine | None, name: str) -> QuantityDelta:
    old = getattr(before, name) if before is not None else None
    new = getattr(after, name) if after is not None else None
    if old is None and new is None:
        return QuantityDelta(None, None, None)
    # A missing side is 0 of the same kind: a count's delta stays whole pieces.
    return QuantityDelta(old, new, (new or 0) - (old or 0))


def _same(old: float | None, new: float | None, rel_tol: float) -> bool:
    if old is None or new is None:
        return old is None and new is None
    return math.isclose(old, new, rel_tol=rel_tol, abs_tol=_ABS_TOL)
