"""aggregate() and diff() on hand-written rows and on a generated model."""

from __future__ import annotations

import dataclasses
import math
import random

import pytest

from integrations.ifc import ElementQuantity, aggregate, diff, take_off


def row(global_id: str, **fields) -> ElementQuantity:
    values = {
        "ifc_class": "IfcWall",
        "predefined_type": None,
        "type_name": "W1",
        "storey": "L0",
        "material": "Brick",
        "layer": None,
        "count": 1.0,
        "length": 2.0,
        "area": 6.0,
        "volume": 1.5,
        "weight": 100.0,
        "source": "qto",
    }
    values.update(fields)
    return ElementQuantity(global_id=global_id, **values)


def key_of(value: object) -> str | None:
    return None if value is None else str(value)


def test_group_by_any_attribute_partitions_the_same_totals(synthetic):
    rows = take_off(synthetic(2500), geometry="never").elements
    total_volume = math.fsum(r.volume for r in rows)

    for group_by in [
        ("storey",),
        ("predefined_type",),
        ("storey", "ifc_class"),
        ("type_name", "layer"),
    ]:
        lines = aggregate(rows, group_by=group_by)

        assert all(tuple(line.key) == group_by for line in lines)
        assert math.fsum(line.volume for line in lines) == pytest.approx(total_volume, rel=1e-12)
        for line in lines:
            members = [
                r for r in rows if all(key_of(getattr(r, k)) == line.key[k] for k in group_by)
            ]
            assert line.element_count == len({r.global_id for r in members})
            assert line.volume == pytest.approx(math.fsum(r.volume for r in members), rel=1e-12)
    storeys = aggregate(rows, group_by=("storey",))
    assert [line.key["storey"] for line in storeys] == ["Level 00", "Level 01", "Level 02"]


def test_lines_are_sorted_the_same_whatever_the_row_order():
    rows = [
        row(f"g{i}", material=m, storey=s)
        for i, (m, s) in enumerate(
            [("Brick", "L1"), (None, "L0"), ("Aac", "L0"), ("Brick", None), ("Aac", "L1")]
        )
    ]
    shuffled = rows[:]
    random.Random(4).shuffle(shuffled)

    assert aggregate(rows, group_by=("material", "storey")) == aggregate(
        shuffled, group_by=("material", "storey")
    )
    keys = [tuple(line.key.values()) for line in aggregate(rows, group_by=("material", "storey"))]
    assert keys == [("Aac", "L0"), ("Aac", "L1"), ("Brick", "L1"), ("Brick", None), (None, "L0")]


def test_quantity_is_none_only_when_no_row_of_the_line_has_it():
    rows = [
        row("a", weight=None),
        row("b", weight=None, volume=None),
        row("c", ifc_class="IfcSlab", weight=2.0),
    ]

    lines = {line.key["ifc_class"]: line for line in aggregate(rows, group_by=("ifc_class",))}

    assert lines["IfcWall"].weight is None
    assert lines["IfcWall"].volume == pytest.approx(1.5)
    assert lines["IfcWall"].count == 2.0
    assert lines["IfcSlab"].weight == 2.0


def test_unknown_group_by_attribute_is_refused():
    with pytest.raises(ValueError, match="colour"):
        aggregate([row("a")], group_by=("ifc_class", "colour"))


def test_diff_reports_added_removed_changed_and_unchanged_lines():
    old_rows = [row("a"), row("b", material="Concrete"), row("c", material="Glass", volume=0.2)]
    new_rows = [row("a"), row("c", material="Glass", volume=0.25), row("d", material="Steel")]
    old, new = aggregate(old_rows), aggregate(new_rows)

    result = {d.key["material"]: d for d in diff(old, new)}

    assert {m: d.status for m, d in result.items()} == {
        "Brick": "unchanged",
        "Concrete": "removed",
        "Glass": "changed",
        "Steel": "added",
    }
    assert result["Glass"].quantities["volume"].delta == pytest.approx(0.05)
    assert result["Glass"].quantities["volume"].old == pytest.approx(0.2)
    assert result["Concrete"].quantities["volume"].new is None
    assert result["Concrete"].quantities["count"].delta == -1.0
    assert result["Steel"].quantities["area"].delta == 6.0
    assert result["Brick"].quantities["weight"].delta == 0.0


def test_diff_ignores_changes_within_rel_tol_and_reports_them_beyond():
    old = aggregate([row("a", volume=1.0)])
    new = aggregate([row("a", volume=1.0 + 1e-12)])
    bigger = aggregate([row("a", volume=1.001)])

    assert [d.status for d in diff(old, new)] == ["unchanged"]
    assert [d.status for d in diff(old, bigger)] == ["changed"]
    assert [d.status for d in diff(old, bigger, rel_tol=0.01)] == ["unchanged"]


def test_diff_of_a_real_takeoff_with_itself_is_all_unchanged(synthetic):
    lines = aggregate(take_off(synthetic(40), geometry="never").elements)
    again = [dataclasses.replace(line) for line in reversed(lines)]

    result = diff(lines, again)

    assert len(result) == len(lines)
    assert {d.status for d in result} == {"unchanged"}
