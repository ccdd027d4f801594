"""An exported volume or area the takeoff flagged as implausible: the BOM preview shows both
values on the affected lines, warns, and the option implausible_quantities picks the one used."""

import pytest

from projects.models import TakeoffElement

from .conftest import make_version, writes
from .test_pages import signed_in

# Two slabs whose exported volume is a thousand times what their bodies hold (Revit's m²·mm),
# and brick walls whose exported area is in ft² (10.76 times too much).
EXPORTED_SLAB_M3 = 25_000.0
MEASURED_SLAB_M3 = 25.0
EXPORTED_BRICK_M2 = 430.56
MEASURED_BRICK_M2 = 40.0


@pytest.fixture
def flagged_version(project):
    version = make_version(project)
    slabs = TakeoffElement.objects.filter(model_version=version, ifc_class="IfcSlab")
    slabs.update(
        volume=EXPORTED_SLAB_M3 / 2, implausible=True, measured_volume=MEASURED_SLAB_M3 / 2
    )
    bricks = TakeoffElement.objects.filter(model_version=version, material="Brick")
    bricks.update(
        area=EXPORTED_BRICK_M2 / 3, implausible_area=True, measured_area=MEASURED_BRICK_M2 / 3
    )
    return version


def _preview(client, project, version, **options):
    response = client.post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": version.number, **options},
        format="json",
    )
    assert response.status_code == 200, response.content
    return response.json()


def _row(body, item_code):
    return next(row for row in body["lines"] if row["item_code"] == item_code)


def test_preview_uses_the_measured_values_by_default_and_shows_both(
    erp_editor, erp, project, flagged_version, rules, stock, api_client_for
):
    body = _preview(api_client_for(erp_editor), project, flagged_version)

    assert body["implausible_quantities"] == "measured"
    # Walls 12.2 m³ + slabs 25 m³ measured, with 5 % waste.
    assert _row(body, "CONCRETE-C30")["raw_qty"] == pytest.approx((12.2 + MEASURED_SLAB_M3) * 1.05)
    assert _row(body, "BRICK-WF")["raw_qty"] == pytest.approx(MEASURED_BRICK_M2)
    notes = {(n["ifc_class"], n["quantity"]): n for n in body["implausible"]}
    assert set(notes) == {("IfcSlab", "volume"), ("IfcWall", "area")}
    slab = notes[("IfcSlab", "volume")]
    assert slab["exported"] == pytest.approx(EXPORTED_SLAB_M3)
    assert slab["measured"] == pytest.approx(MEASURED_SLAB_M3)
    assert slab["used"] == "measured" and slab["elements"] == 2
    assert slab["item_code"] == "CONCRETE-C30"
    concrete = _row(body, "CONCRETE-C30")
    assert concrete["implausible"] is True
    by_class = {s["ifc_class"]: s["implausible"] for s in concrete["sources"]}
    assert by_class["IfcWall"] is None
    assert by_class["IfcSlab"]["exported"] == pytest.approx(EXPORTED_SLAB_M3)
    assert _row(body, "DOOR-90")["implausible"] is False
    warning = body["warnings"][0]
    assert "measured" in warning and "25,000.000 m³ exported" in warning
    assert "implausible_quantities=exported" in warning
    assert writes(erp) == []


def test_the_option_switches_the_bom_to_the_exported_values(
    erp_editor, project, flagged_version, rules, stock, api_client_for
):
    body = _preview(
        api_client_for(erp_editor), project, flagged_version, implausible_quantities="exported"
    )

    assert body["implausible_quantities"] == "exported"
    assert _row(body, "CONCRETE-C30")["raw_qty"] == pytest.approx((12.2 + EXPORTED_SLAB_M3) * 1.05)
    assert _row(body, "BRICK-WF")["raw_qty"] == pytest.approx(EXPORTED_BRICK_M2)
    assert {n["used"] for n in body["implausible"]} == {"exported"}
    assert "uses the exported values" in body["warnings"][0]


def test_a_takeoff_without_flags_previews_no_note_and_no_warning(
    erp_editor, project, version, rules, stock, api_client_for
):
    body = _preview(api_client_for(erp_editor), project, version)

    assert body["implausible"] == []
    assert not any("larger than" in w for w in body["warnings"])


def test_an_unknown_choice_is_a_clear_400(erp_editor, project, flagged_version, api_client_for):
    response = api_client_for(erp_editor).post(
        f"/api/projects/{project.slug}/bom/preview",
        {"model_version": flagged_version.number, "implausible_quantities": "biggest"},
        format="json",
    )

    assert response.status_code == 400
    assert "implausible_quantities" in response.content.decode()


def test_the_sync_writes_what_the_chosen_value_gives(
    erp_editor, erp, project, flagged_version, rules, stock, sync
):
    _, run = sync(project, erp_editor, flagged_version, implausible_quantities="exported")

    assert run.params["options"]["implausible_quantities"] == "exported"
    concrete = next(
        line for line in run.params["plan"]["lines"] if line["item_code"] == "CONCRETE-C30"
    )
    assert concrete["qty"] == pytest.approx((12.2 + EXPORTED_SLAB_M3) * 1.05)


def test_the_preview_page_shows_both_values_and_carries_the_choice_to_the_sync(
    erp_editor, project, flagged_version, rules, stock
):
    client = signed_in(erp_editor)
    overview = client.get(f"/projects/{project.slug}/bom").content.decode()
    options = {"model_version": str(flagged_version.number), "implausible_quantities": "exported"}

    html = client.post(f"/projects/{project.slug}/bom/preview", options).content.decode()

    assert 'name="implausible_quantities"' in overview
    section = html[
        html.index('id="implausible"') : html.index("</section>", html.index('id="implausible"'))
    ]
    assert "25000 m³" in section and "25 m³" in section and "430.560 m²" in section
    assert "<strong>exported</strong>" in section
    assert 'type="hidden" name="implausible_quantities" value="exported"' in html
