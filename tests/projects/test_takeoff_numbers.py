"""Takeoff numbers a cost engineer prices from: whole counts in lines, totals and charts."""

import pytest

from projects import selectors
from projects.models import TakeoffElement
from projects.takeoff_query import TakeoffQuery


def _url(project, version=1):
    return f"/api/projects/{project.slug}/models/{version}/takeoff"


def test_a_line_counts_its_distinct_elements_as_whole_pieces(
    project, editor, ready_version, api_client_for
):
    version = ready_version(elements=30, with_layers=True)
    assert TakeoffElement.objects.filter(model_version=version, layer=1).exists()

    body = api_client_for(editor).get(_url(project), {"group_by": "material"}).json()

    for line in body["results"]:
        assert line["count"] == line["element_count"] and isinstance(line["count"], int), line
    totals = body["totals"]
    assert totals["count"] == totals["element_count"] == 30 and isinstance(totals["count"], int)


def test_rows_stored_with_layer_shares_still_give_whole_counts(project, editor, ready_version):
    version = ready_version(elements=12, with_layers=True)
    # Rows written before counts were whole carried a layer's thickness share as count.
    rows = list(TakeoffElement.objects.filter(model_version=version, layer__isnull=False))
    for row in rows:
        row.count = 1 / 3
    TakeoffElement.objects.bulk_update(rows, ["count"])
    query = TakeoffQuery(group_by=("ifc_class", "material"))

    lines = list(selectors.takeoff_lines(version=version, query=query))

    assert lines and all(line["count"] == line["element_count"] for line in lines)
    TakeoffElement.objects.filter(model_version=version).update(volume=None, area=None)
    measure, unit, bars = selectors.takeoff_chart_by_material(version=version, query=query)
    by_material = {
        line["material"] or "(no material)": line["element_count"]
        for line in selectors.takeoff_lines(version=version, query=TakeoffQuery(("material",)))
    }
    assert (measure, unit) == ("count", "pcs")
    assert dict(bars) == pytest.approx({label: by_material[label] for label, _ in bars})


def test_an_implausible_exported_volume_is_stored_flagged_and_shown_beside_the_measured_one(
    project, editor, ready_version, api_client_for, tmp_path
):
    import ifcopenshell
    import ifcopenshell.util.element as element_util

    from tests.integrations.ifc.conftest import SHARED_IFC

    source = SHARED_IFC / "AC20-FZK-Haus.ifc"
    if not source.is_file():
        pytest.skip("the shared FZK-Haus model is missing")
    model = ifcopenshell.open(str(source))
    slab = next(
        s
        for s in model.by_type("IfcSlab")
        if element_util.get_psets(s, qtos_only=True).get("BaseQuantities", {}).get("NetVolume")
    )
    quantity = next(
        q
        for rel in slab.IsDefinedBy
        if rel.is_a("IfcRelDefinesByProperties")
        and rel.RelatingPropertyDefinition.is_a("IfcElementQuantity")
        for q in rel.RelatingPropertyDefinition.Quantities
        if q.Name == "NetVolume"
    )
    exported = quantity.VolumeValue
    quantity.VolumeValue = exported * 1000
    model.write(str(tmp_path / "implausible.ifc"))

    version = ready_version(tmp_path / "implausible.ifc")

    flagged = TakeoffElement.objects.filter(model_version=version, implausible=True)
    assert {row.global_id for row in flagged} == {slab.GlobalId}
    assert all(row.measured_volume for row in flagged)
    assert any(slab.GlobalId in w for w in version.warnings)
    body = (
        api_client_for(editor)
        .get(_url(project), {"group_by": "global_id", "global_id": slab.GlobalId})
        .json()
    )
    [line] = body["results"]
    assert line["implausible_count"] == 1
    assert line["volume"] == pytest.approx(exported * 1000)
    assert line["measured_volume"] == pytest.approx(exported, rel=0.01)
    # The BOM's mapping lines: as exported unless the measured value is chosen.
    from bom.selectors import takeoff_mapping_lines

    def slab_volume(**options):
        lines = takeoff_mapping_lines(version=version, **options)
        return sum(line.volume or 0 for line in lines if line.ifc_class == "IfcSlab")

    assert slab_volume() - slab_volume(implausible="measured") == pytest.approx(
        exported * 1000 - line["measured_volume"]
    )
    others = api_client_for(editor).get(_url(project), {"group_by": "ifc_class"}).json()
    walls = next(r for r in others["results"] if r["ifc_class"] == "IfcWallStandardCase")
    assert walls["implausible_count"] == 0 and walls["measured_volume"] is None


def test_counts_are_whole_in_csv_xlsx_the_command_table_and_the_diff(
    project, editor, ready_version, synthetic_ifc, api_client_for
):
    import csv
    import io

    from openpyxl import load_workbook

    from projects.exports import text_table

    ready_version(synthetic_ifc(elements=12, with_layers=True))
    ready_version(synthetic_ifc(elements=20, with_layers=True))
    client = api_client_for(editor)

    raw = b"".join(client.get(f"{_url(project)}.csv", {"group_by": "material"}).streaming_content)
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    workbook = load_workbook(io.BytesIO(client.get(f"{_url(project)}.xlsx").content))
    sheet = workbook["By class and material"]
    diff = client.get(
        _url(project, 2) + "/diff", {"against": 1, "group_by": "global_id", "unchanged": "1"}
    ).json()
    lines = [
        {
            "material": "Brick",
            "count": 4,
            "length": None,
            "area": 1.0,
            "volume": 2.0,
            "weight": None,
            "element_count": 4,
            "sources": ["qto"],
        }
    ]
    table = text_table(lines, ("material",), {**lines[0], "count": 4.0})

    assert rows and all(row["count (pcs)"].isdigit() for row in rows)
    counts = [row[2].value for row in sheet.iter_rows(min_row=2)]
    assert counts and all(isinstance(count, int) for count in counts)
    added = [line for line in diff["results"] if line["status"] == "added"]
    assert added and all(isinstance(line["delta"]["count"], int) for line in added)
    assert all(isinstance(line["delta"]["count"], int) for line in diff["results"])
    assert "4.000" not in table and " 4 " in table


def test_the_takeoff_page_csv_and_xlsx_show_the_measured_value_beside_a_flagged_one(
    project, editor, ready_version, synthetic_ifc, api_client_for, browser
):
    import csv
    import io

    from openpyxl import load_workbook

    version = ready_version(synthetic_ifc(elements=12))
    flagged = TakeoffElement.objects.filter(model_version=version, material="Brick")
    assert flagged.exists()
    flagged.update(volume=7000.0, implausible=True, measured_volume=7.0)
    flagged.update(area=500.0, implausible_area=True, measured_area=40.0)
    params = {"group_by": "material"}
    client = api_client_for(editor)

    html = (
        browser(editor)
        .get(f"/projects/{project.slug}/models/{version.number}/takeoff", params)
        .content.decode()
    )
    raw = b"".join(client.get(f"{_url(project)}.csv", params).streaming_content)
    rows = {r["material"]: r for r in csv.DictReader(io.StringIO(raw.decode("utf-8-sig")))}
    workbook = load_workbook(io.BytesIO(client.get(f"{_url(project)}.xlsx", params).content))
    sheet = workbook.worksheets[0]
    header = [cell.value for cell in sheet[1]]
    brick_row = next(r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "Brick")

    pieces = flagged.values("global_id").distinct().count()  # each row 7000 m³, 7 measured
    assert "⚠ measured 42.000" in html and "⚠ measured 240.000" in html and pieces == 6
    assert rows["Brick"]["volume (m³)"] == "42000"
    assert rows["Brick"]["measured volume (m³)"] == "42"
    assert rows["Brick"]["measured area (m²)"] == "240"
    others = [r for name, r in rows.items() if name != "Brick"]
    assert others and all(r["measured volume (m³)"] == "" for r in others)
    assert brick_row[header.index("Measured volume (m³)")] == 42
    assert brick_row[header.index("Measured area (m²)")] == 240
