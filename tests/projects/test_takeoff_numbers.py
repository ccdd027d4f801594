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
    others = api_client_for(editor).get(_url(project), {"group_by": "ifc_class"}).json()
    walls = next(r for r in others["results"] if r["ifc_class"] == "IfcWallStandardCase")
    assert walls["implausible_count"] == 0 and walls["measured_volume"] is None
