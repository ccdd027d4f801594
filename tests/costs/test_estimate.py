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
