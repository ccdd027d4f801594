"""The IFC cost schedule writer on the shared real models: read back with IfcOpenShell (and
ifc5d's CSV exporter), original entities kept, parametric quantities where the model's own
quantity is exactly the priced one, measured ones otherwise (IFC2X3, Tekla's mm lengths)."""

import csv
import hashlib
from collections import Counter
from datetime import datetime
from pathlib import Path

import ifcopenshell
import ifcopenshell.util.cost as ucost
import ifcopenshell.util.element as uel
import ifcopenshell.validate
import pytest

from integrations.ifc.cost_schedule import (
    CostLine,
    CostScheduleError,
    ScheduleInfo,
    write_cost_schedule,
)

SHARED = Path(__file__).resolve().parents[4] / "shared" / "ifc"
FZK = SHARED / "AC20-FZK-Haus.ifc"
DUPLEX = SHARED / "duplex.ifc"
TEKLA = SHARED / "ISSUE_021_Mini_Project.ifc"
pytestmark = pytest.mark.skipif(not FZK.exists(), reason="shared IFC models not present")


def info(currency="EUR", kind="ESTIMATE"):
    return ScheduleInfo(
        predefined_type=kind,
        name="Harbour v1",
        identification="BIM-abc",
        description="Rates from ERPNext",
        currency=currency,
        created=datetime(2026, 11, 25, 10, 0, 0),
        properties={"ERPNextSite": "https://erp.example.com", "ERPNextProject": "PROJ-0001"},
    )


def qto(element, name):
    sets = uel.get_psets(element, qtos_only=True)
    return next(v[name] for k, v in sets.items() if "BaseQuantities" in k and name in v)


def sha(path):
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def fzk_lines(model):
    walls = [w for w in model.by_type("IfcWall") if "BaseQuantities" in uel.get_psets(w)]
    doors = model.by_type("IfcDoor")
    volume = sum(qto(w, "NetVolume") for w in walls)
    return (
        walls,
        doors,
        [
            CostLine(
                "WALL-C",
                "Concrete wall",
                "Concrete",
                "m³",
                volume,
                120.0,
                "price_list",
                "the Item's price on Standard Buying",
                tuple(w.GlobalId for w in walls),
                "volume",
                volume,
            ),
            # 5 % waste: not the model's own number any more, so measured
            CostLine(
                "DOOR-90",
                "Door",
                "Doors",
                "Nos",
                len(doors) * 1.05,
                400.0,
                "last_purchase_rate",
                "the Item's last purchase rate",
                tuple(d.GlobalId for d in doors),
                "count",
                float(len(doors)),
            ),
        ],
    )


def test_fzk_schedule_reads_back_with_parametric_quantities(tmp_path):
    source = ifcopenshell.open(FZK)
    walls, doors, lines = fzk_lines(source)
    before = sha(FZK)
    out = tmp_path / "out.ifc"

    summary = write_cost_schedule(FZK, out, lines, info(kind="BUDGET"))

    assert sha(FZK) == before
    model = ifcopenshell.open(out)
    assert model.schema == source.schema
    # every original entity kept, GlobalIds unchanged
    counts = Counter(e.is_a() for e in model)
    for ifc_class, n in Counter(e.is_a() for e in source).items():
        assert counts[ifc_class] >= n, ifc_class
    assert {e.GlobalId for e in source.by_type("IfcRoot")} <= {
        e.GlobalId for e in model.by_type("IfcRoot")
    }
    [schedule] = model.by_type("IfcCostSchedule")
    assert schedule.PredefinedType == "BUDGET" and schedule.Identification == "BIM-abc"
    assert schedule.UpdateDate.startswith("2026-11-25")
    assert uel.get_pset(schedule, "OpenAEC_CostExport")["ERPNextProject"] == "PROJ-0001"
    assert [u.Currency for u in model.by_type("IfcMonetaryUnit")] == ["EUR"]
    items = {i.Identification: i for i in model.by_type("IfcCostItem")}
    wall, door = items["WALL-C"], items["DOOR-90"]
    # parametric: the walls' own NetVolume instances
    assert walls and len(wall.CostQuantities) == len(walls)
    own = {
        q
        for w in walls
        for rel in model.by_guid(w.GlobalId).IsDefinedBy
        if rel.is_a("IfcRelDefinesByProperties")
        and rel.RelatingPropertyDefinition.is_a("IfcElementQuantity")
        for q in rel.RelatingPropertyDefinition.Quantities
    }
    assert set(wall.CostQuantities) <= own
    assert all(q.Name == "NetVolume" for q in wall.CostQuantities)
    assert ucost.get_total_quantity(wall) == pytest.approx(lines[0].quantity)
    assert ucost.get_total_quantity(door) == pytest.approx(len(doors) * 1.05)
    assert summary.parametric == ["WALL-C"] and [m["item_code"] for m in summary.measured] == [
        "DOOR-90"
    ]
    # assignments to exactly the right elements, each to one cost item
    assigned = Counter()
    for item, wanted in ((wall, walls), (door, doors)):
        got = {o.GlobalId for rel in item.Controls for o in rel.RelatedObjects}
        assert got == {e.GlobalId for e in wanted}
        assigned.update(got)
    assert set(assigned.values()) == {1}
    # value, its source, the total
    [value] = door.CostValues
    assert value.AppliedValue.wrappedValue == 400.0
    assert value.Description == "the Item's last purchase rate"
    expected = lines[0].quantity * 120.0 + len(doors) * 1.05 * 400.0
    total = sum(
        ucost.calculate_applied_value(root, v)
        for root in ucost.get_root_cost_items(schedule)
        for v in root.CostValues
    )
    assert total == pytest.approx(expected)
    assert summary.total == pytest.approx(expected)


def test_fzk_export_adds_no_validation_error_and_ifc5d_reads_the_same_total(tmp_path):
    from ifc5d.ifc5Dspreadsheet import Ifc5DCsvWriter

    _, _, lines = fzk_lines(ifcopenshell.open(FZK))
    out = tmp_path / "out.ifc"
    write_cost_schedule(FZK, out, lines, info())

    def problems(path):
        log = ifcopenshell.validate.json_logger()
        ifcopenshell.validate.validate(ifcopenshell.open(path), log)
        return Counter((s.get("message"), str(s.get("attribute"))) for s in log.statements)

    assert problems(out) == problems(FZK)  # the vendor's own issues, none of ours
    Ifc5DCsvWriter(str(out), str(tmp_path / "csv")).write()
    [sheet] = (tmp_path / "csv").glob("*.csv")
    rows = list(csv.DictReader(sheet.open(encoding="utf-8")))
    leaves = [r for r in rows if r["ItemIsASum"] in ("False", "0")]
    total = sum(float(r["Quantity"]) * float(r["RateSubtotal"]) for r in leaves)
    sums = sum(float(r["TotalPrice"]) for r in rows if r["ItemIsASum"] in ("True", "1"))
    expected = sum(line.quantity * line.rate for line in lines)
    assert total == pytest.approx(expected) and sums == pytest.approx(expected)


def test_duplex_ifc2x3_gets_measured_quantities_and_associated_values(tmp_path):
    source = ifcopenshell.open(DUPLEX)
    doors = source.by_type("IfcDoor")
    out = tmp_path / "duplex.ifc"
    line = CostLine(
        "DOOR-90",
        "Door",
        "Doors",
        "Nos",
        float(len(doors)),
        120.0,
        "rule",
        "the mapping rule's rate",
        tuple(d.GlobalId for d in doors),
        "count",
        float(len(doors)),
    )

    summary = write_cost_schedule(DUPLEX, out, [line], info(currency="USD"))

    model = ifcopenshell.open(out)
    assert model.schema == "IFC2X3"
    [schedule] = model.by_type("IfcCostSchedule")
    assert schedule.ID == "BIM-abc" and schedule.PredefinedType == "ESTIMATE"
    [item] = model.by_type("IfcCostItem", include_subtypes=False)[1:]
    assert {o.GlobalId for r in item.Controls for o in r.RelatedObjects} == {
        d.GlobalId for d in doors
    }
    [rel] = [r for r in model.by_type("IfcRelAssociatesAppliedValue") if item in r.RelatedObjects]
    assert rel.RelatingAppliedValue.AppliedValue.wrappedValue == 120.0
    assert uel.get_psets(item, qtos_only=True)["Qto_CostItemQuantity"]["Count"] == len(doors)
    assert [u.Currency for u in model.by_type("IfcMonetaryUnit")] == ["USD"]
    assert summary.parametric == [] and summary.total == pytest.approx(120.0 * len(doors))
    log = ifcopenshell.validate.json_logger()
    ifcopenshell.validate.validate(model, log)
    assert log.statements == []


def test_tekla_mm_lengths_are_written_as_measured_metres(tmp_path):
    source = ifcopenshell.open(TEKLA)
    beams = source.by_type("IfcBeam")[:20]
    metres = sum(uel.get_psets(b, qtos_only=True)["BaseQuantities"]["Length"] for b in beams)
    metres /= 1000.0  # the file's lengths are mm
    line = CostLine(
        "HEA",
        "Beam",
        "Steel",
        "m",
        metres,
        50.0,
        "price_list",
        "price list",
        tuple(b.GlobalId for b in beams),
        "length",
        metres,
    )

    summary = write_cost_schedule(TEKLA, tmp_path / "t.ifc", [line], info(currency="EUR"))

    model = ifcopenshell.open(tmp_path / "t.ifc")
    [item] = [i for i in model.by_type("IfcCostItem") if i.Description == "ERPNext Item HEA"]
    [qty] = uel.get_psets(item, qtos_only=True).values()
    assert qty["Length"] == pytest.approx(metres)
    assert summary.parametric == []
    unit = next(q for q in model.by_type("IfcQuantityLength") if q.Name == "Length" and q.Unit)
    assert unit.Unit.Name == "METRE" and unit.Unit.Prefix is None


def test_a_model_in_another_currency_is_refused(tmp_path):
    _, _, lines = fzk_lines(ifcopenshell.open(FZK))
    with pytest.raises(CostScheduleError, match=r"money unit is EUR.*USD"):
        write_cost_schedule(FZK, tmp_path / "x.ifc", lines, info(currency="USD"))
    assert not (tmp_path / "x.ifc").exists()
