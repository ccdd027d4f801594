"""The model estimate: mapped quantities x rates (the purchase orders' rate sources), per Item,
storey and material, what is not priced, and the change between versions; expected values
are computed here from the fixtures' numbers, not read back from the code."""

import pytest

from costs.estimate import NO_MATERIAL, NO_STOREY, model_estimate
from projects.models import TakeoffElement
from tests.bom.conftest import make_version
from tests.orders.conftest import BEAMS, MODEL

pytestmark = pytest.mark.django_db

# REBAR: 10,266 kg of beams in Tonne (x 0.001) at 0.5 per Kg on Standard Buying = 500 per Tonne
STEEL = 10266.0 * 0.001 * 0.5 * 1000
# PIPE: 100 m in boxes (x 0.083333) at 30 per Box on Standard Buying
PVC = 100.0 * 0.083333 * 30
# DOOR-90: 5 pieces at the Item's last purchase rate 120 (no price on the list)
DOORS = 5 * 120.0


def test_estimate_prices_every_mapped_line_from_the_rate_sources(buyer, project, ready):
    estimate = model_estimate(project=project, version=ready, user=buyer)

    assert estimate["total"] == pytest.approx(round(STEEL + PVC + DOORS, 2))
    assert {row["item_code"]: row["amount"] for row in estimate["by_item"]} == {
        "REBAR": pytest.approx(round(STEEL, 2)),
        "PIPE": pytest.approx(round(PVC, 2)),
        "DOOR-90": pytest.approx(DOORS),
    }
    assert {row["material"]: row["amount"] for row in estimate["by_material"]} == {
        "Steel S235": pytest.approx(round(STEEL, 2)),
        "PVC": pytest.approx(round(PVC, 2)),
        NO_MATERIAL: pytest.approx(DOORS),
    }
    assert estimate["by_storey"] == [
        {"storey": NO_STOREY, "amount": pytest.approx(round(STEEL + PVC + DOORS, 2))}
    ]
    sources = {line["item_code"]: line["rate_source"] for line in estimate["lines"]}
    assert sources == {
        "REBAR": "price_list",
        "PIPE": "price_list",
        "DOOR-90": "last_purchase_rate",
    }
    assert estimate["coverage"] == {"takeoff_lines": 3, "priced_lines": 3, "share": 1.0}
    assert estimate["unpriced"] == [] and estimate["unmapped"] == []


def test_estimate_lists_unmapped_lines_and_items_without_rate(buyer, project, ready, site):
    site.patch_doc("Item", "DOOR-90", last_purchase_rate=0)
    version = make_version(
        project, [*MODEL, ("IfcWindow", "W1", "Glass", 2, None, None, None, None)]
    )

    estimate = model_estimate(project=project, version=version, user=buyer)

    assert estimate["total"] == pytest.approx(round(STEEL + PVC, 2))
    assert [(row["item_code"], row["qty"]) for row in estimate["unpriced"]] == [("DOOR-90", 5.0)]
    assert [(row["ifc_class"], row["material"]) for row in estimate["unmapped"]] == [
        ("IfcWindow", "Glass")
    ]
    # 4 takeoff lines, 2 priced
    assert estimate["coverage"] == {"takeoff_lines": 4, "priced_lines": 2, "share": 0.5}


def test_estimate_per_storey_adds_up(buyer, project, ready):
    TakeoffElement.objects.filter(model_version=ready, ifc_class="IfcBeam").update(storey="Level 1")
    TakeoffElement.objects.filter(model_version=ready, ifc_class="IfcDoor").update(storey="Level 2")

    estimate = model_estimate(project=project, version=ready, user=buyer)

    assert {row["storey"]: row["amount"] for row in estimate["by_storey"]} == {
        "Level 1": pytest.approx(round(STEEL, 2)),
        "Level 2": pytest.approx(DOORS),
        NO_STOREY: pytest.approx(round(PVC, 2)),
    }


def test_delta_between_versions_says_what_the_new_version_adds(buyer, project, ready):
    more_beams = (*BEAMS[:3], 12, 72.0, None, 0.38, 20532.0)
    newer = make_version(project, [more_beams, *MODEL[1:]])

    estimate = model_estimate(project=project, version=newer, user=buyer, previous=ready)

    delta = estimate["delta"]
    added = round(20532.0 * 0.001 * 0.5 * 1000 - STEEL, 2)
    assert (delta["from_version"], delta["to_version"]) == (1, 2)
    assert delta["change"] == pytest.approx(added)
    [steel] = delta["by_material"]
    assert steel["material"] == "Steel S235"
    assert steel["change"] == pytest.approx(added)
    assert steel["sentence"] == f"v2 adds {added:,.2f} USD of Steel S235"


def test_requests_do_not_grow_with_the_takeoff(buyer, project, ready):
    small = model_estimate(project=project, version=ready, user=buyer)["http_requests"]
    lines = [("IfcBeam", f"HEA {n}", "Steel S235", 2, 1.0, None, None, 100.0) for n in range(60)]
    big = make_version(project, lines)

    large = model_estimate(project=project, version=big, user=buyer)["http_requests"]

    assert large == small


def test_estimate_of_a_real_model_matches_an_independent_takeoff(
    buyer, project, linked, site, api_client_for, django_capture_on_commit_callbacks
):
    """FZK-Haus through the real upload and takeoff; the expected total is computed from the
    file with IfcOpenShell alone (Qto volumes of the walls, layers split) x the rules' rates."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from projects.models import ModelVersion
    from tests.bom.conftest import add_rule
    from tests.integrations.ifc.conftest import SHARED_IFC
    from tests.integrations.ifc.independent import qto_totals_by_class_and_material

    path = SHARED_IFC / "AC20-FZK-Haus.ifc"
    if not path.is_file():
        pytest.skip(f"{path.name} is missing from {SHARED_IFC}")
    site.add_doc(
        "Item",
        {"item_code": "WALLS", "item_group": "Raw Material", "stock_uom": "Cubic Meter"},
    )
    site.add_doc("Item", {"item_code": "SLABS", "item_group": "Raw Material", "stock_uom": "Nos"})
    add_rule(
        project, ifc_class="IfcWall*", item_code="WALLS", quantity="volume", uom="Cubic Meter",
        rate="100",
    )  # fmt: skip
    add_rule(project, ifc_class="IfcSlab", item_code="SLABS", quantity="count", rate="250")
    with django_capture_on_commit_callbacks(execute=True):
        answer = api_client_for(buyer).post(
            f"/api/projects/{project.slug}/models",
            {"file": SimpleUploadedFile(path.name, path.read_bytes())},
            format="multipart",
        )
    assert answer.status_code == 201, answer.content
    version = ModelVersion.objects.get(project=project, number=answer.json()["version"])
    assert version.state == "ready", version.failure_reason

    estimate = model_estimate(project=project, version=version, user=buyer)

    totals = qto_totals_by_class_and_material(path)
    wall_volume = sum(
        line["volume"] or 0.0 for (cls, _), line in totals.items() if cls.startswith("IfcWall")
    )
    slabs = len({gid for gid in _slab_ids(path)})
    by_item = {row["item_code"]: row["amount"] for row in estimate["by_item"]}
    assert wall_volume > 0 and slabs > 0
    assert by_item["WALLS"] == pytest.approx(wall_volume * 100, abs=0.5)
    assert by_item["SLABS"] == pytest.approx(slabs * 250)
    assert {line["rate_source"] for line in estimate["lines"]} == {"rule"}


def _slab_ids(path):
    import ifcopenshell

    return [slab.GlobalId for slab in ifcopenshell.open(str(path)).by_type("IfcSlab")]
