"""bom.mapping: rules x lines -> BOM rows and unmapped lines (pure, no database)."""

import fnmatch
import time

import pytest

from bom.mapping import (
    BomLine,
    Line,
    Rule,
    bom_rows,
    diff_rows,
    map_lines,
    order_rules,
    round_qty,
    suggest_items,
    wildcard_match,
)


def line(ifc_class="IfcWall", type_name="Basic Wall", material="Concrete", **q):
    q.setdefault("count", 1.0)
    return Line(ifc_class, type_name, material, element_count=int(q["count"]), **q)


def rule(item_code, rule_id=1, **fields):
    fields.setdefault("uom", "Nos")
    return Rule(id=rule_id, item_code=item_code, **fields)


@pytest.mark.parametrize(
    ("pattern", "value", "matches"),
    [
        ("*", "anything", True),
        ("*", None, True),
        ("IfcWall*", "IfcWallStandardCase", True),
        ("ifcwall", "IFCWALL", True),
        ("Concrete C??/37", "Concrete C30/37", True),
        ("Concrete C??/37", "Concrete C8/10", False),
        ("Brick", None, False),
        ("[ab]", "a", False),  # only * and ? are wildcards
        ("[ab]", "[ab]", True),
    ],
)
def test_patterns_use_star_and_question_mark_case_insensitively(pattern, value, matches):
    assert rule("X", material=pattern).matches(line(material=value)) is matches


def test_project_rule_wins_over_a_shared_default_of_higher_priority():
    shared = rule("SHARED", rule_id=1, shared=True, priority=100)
    own = rule("OWN", rule_id=2, ifc_class="*", priority=0)

    result = map_lines([shared, own], [line()])

    assert [row.item_code for row in result.lines] == ["OWN"]


def test_higher_priority_then_the_more_specific_rule_wins():
    broad = rule("BROAD", rule_id=1, ifc_class="IfcWall")
    specific = rule("SPECIFIC", rule_id=2, ifc_class="IfcWall", material="Concrete")
    urgent = rule("URGENT", rule_id=3, ifc_class="*", priority=5)

    assert order_rules([broad, specific, urgent])[0].item_code == "URGENT"
    assert map_lines([broad, specific], [line()]).lines[0].item_code == "SPECIFIC"


def test_an_exact_rule_does_not_beat_a_wildcard_rule_of_higher_priority():
    exact = rule(
        "EXACT", rule_id=1, ifc_class="IfcWall", type_name="Basic Wall", material="Concrete"
    )
    wildcard = rule("WILD", rule_id=2, ifc_class="Ifc*", priority=1)

    assert map_lines([exact, wildcard], [line()]).lines[0].item_code == "WILD"


def test_quantity_waste_and_unit_factor_apply_and_rows_sum_per_item_and_uom():
    concrete = rule("C30", quantity="volume", uom="m³", waste_factor=0.05, unit_factor=1.0)
    lines = [line(volume=10.0), line(type_name="Floor", volume=20.0)]

    result = map_lines([concrete], lines)

    assert len(result.lines) == 1
    assert result.lines[0].qty == pytest.approx(31.5)
    assert len(result.lines[0].sources) == 2


def test_lines_without_a_rule_or_without_the_quantity_are_listed_with_the_reason():
    by_area = rule("PLASTER", ifc_class="IfcWall", quantity="area", uom="m²")
    lines = [line(area=None), line(ifc_class="IfcDoor"), line(area=0.0)]

    result = map_lines([by_area], lines)

    assert result.lines == []
    reasons = [u.reason for u in result.unmapped]
    assert reasons[0] == "The rule asks for area; the line has none."
    assert reasons[1] == "No mapping rule matches this line."
    assert reasons[2] == "The line's area is 0."
    assert result.unmapped[0].rule_id == 1


@pytest.mark.parametrize(
    ("qty", "whole", "expected", "rounded"),
    [
        (12.3, True, 13.0, True),
        (12.0000000001, True, 12.0, False),
        (12.0, True, 12.0, False),
        (0.2, True, 1.0, True),
        (1.23456, False, 1.235, False),
    ],
)
def test_whole_number_uoms_round_up(qty, whole, expected, rounded):
    assert round_qty(qty, whole=whole) == (expected, rounded)


def test_bom_rows_round_per_uom_and_set_aside_quantities_that_round_to_zero():
    lines = [BomLine("DOOR", "Nos", 4.2), BomLine("PAINT", "l", 0.0001), BomLine("C30", "m³", 2.5)]

    rows, zero = bom_rows(lines, ["nos"])

    assert [(r.item_code, r.qty, r.rounded_up) for r in rows] == [
        ("DOOR", 5.0, True),
        ("C30", 2.5, False),
    ]
    assert [z.item_code for z in zero] == ["PAINT"]


def test_diff_lists_added_removed_changed_and_sums_split_rows():
    desired = [
        {"item_code": "A", "uom": "Nos", "qty": 2},
        {"item_code": "B", "uom": "m", "qty": 1.5},
        {"item_code": "C", "uom": "kg", "qty": 3},
    ]
    existing = [
        {"item_code": "A", "uom": "Nos", "qty": 1},
        {"item_code": "A", "uom": "Nos", "qty": 1},
        {"item_code": "B", "uom": "m", "qty": 1.0},
        {"item_code": "D", "uom": "Nos", "qty": 7},
    ]

    diff = diff_rows(desired, existing)

    assert diff.unchanged == 1
    assert diff.added == [{"item_code": "C", "uom": "kg", "qty": 3}]
    assert diff.removed == [{"item_code": "D", "uom": "Nos", "qty": 7}]
    assert diff.changed == [{"item_code": "B", "uom": "m", "old_qty": 1.0, "new_qty": 1.5}]


def test_suggestions_rank_shared_words_and_a_fitting_uom_first():
    items = [
        {"item_code": "CONC-C30", "item_name": "Concrete C30/37 ready mix", "stock_uom": "m³"},
        {"item_code": "CONC-BAG", "item_name": "Concrete mix bag", "stock_uom": "Nos"},
        {"item_code": "PAINT", "item_name": "Wall paint white", "stock_uom": "l"},
    ]
    wall = line(material="Concrete C30/37", type_name="Basic Wall 200", volume=3.0)

    found = suggest_items(wall, items, limit=2)

    assert [s["item_code"] for s in found] == ["CONC-C30", "CONC-BAG"]
    assert found[0]["quantity"] == "volume"
    assert found[1]["quantity"] == "count"


def test_a_backtracking_pattern_matches_in_milliseconds():
    # As a regex (.* under fullmatch) this took a worker minutes (issue 16, item 3).
    material = "a" * 500
    hostile = rule("X", material="*a*a*a*a*a*a*a*a*a*a*a*a*b")

    started = time.perf_counter()
    matched = hostile.matches(line(material=material))
    elapsed = time.perf_counter() - started

    assert matched is False
    assert elapsed < 0.5
    assert wildcard_match("*a*a*a*a*a*a*a*a*a*a*a*a*a", material) is True


def test_a_pattern_longer_than_the_limit_matches_nothing():
    assert wildcard_match("*" * 300, "anything") is False


@pytest.mark.parametrize(
    "pattern",
    [
        "*",
        "?",
        "a*",
        "*a",
        "a?c",
        "*b*",
        "a*b*c",
        "**",
        "*?*",
        "ab",
        "",
        "[a]",
        "a\\b",
        "?*?",
        "*ab*ab",
        "a*a*a",
        ".*",
        "^a$",
        "(a)",
        "A*C",
        "é*",
        "*.ifc",
    ],
)
def test_wildcards_agree_with_fnmatch(pattern):
    texts = [
        "",
        "a",
        "b",
        "ab",
        "abc",
        "aXbYc",
        "ababab",
        "aaa",
        "[a]",
        "a\\b",
        "ABC",
        "abcab",
        ".*",
        "^a$",
        "(a)",
        "éclat",
        "model.ifc",
        "a\nb",
        "acb",
        "aab",
    ]
    literal = "".join(f"[{ch}]" if ch in "[]" else ch for ch in pattern.casefold())
    for text in texts:
        expected = fnmatch.fnmatchcase(text.casefold(), literal)
        assert wildcard_match(pattern, text) is expected, (pattern, text)


def test_a_count_rule_maps_to_whole_pieces_even_in_a_uom_erpnext_lets_be_fractional():
    doors = line("IfcDoor", "Door 90", None, count=10)
    beams = line("IfcBeam", "HEA", "Steel", count=3, length=7.5)
    rules = [
        rule("DOOR", 1, ifc_class="IfcDoor", waste_factor=0.05, uom="Unit"),
        rule("HEA", 2, ifc_class="IfcBeam", quantity="length", uom="m", waste_factor=0.05),
    ]

    rows, _ = bom_rows(map_lines(rules, [doors, beams]).lines, whole_number_uoms=[])

    assert [(r.item_code, r.qty, r.rounded_up) for r in rows] == [
        ("DOOR", 11.0, True),  # 10.5 doors are bought as 11
        ("HEA", 7.875, False),
    ]
