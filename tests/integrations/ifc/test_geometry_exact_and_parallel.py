"""The exact path for plain extrusions, and meshing one model in several processes."""

from __future__ import annotations

import math
import os

import ifcopenshell
import ifcopenshell.geom
import ifcopenshell.util.shape as shape_util
import ifcopenshell.util.unit as unit_util
import pytest

from integrations.ifc import geometry, mesh_pool, take_off
from integrations.ifc.extrusion import body_prism

MODELS = [
    "AC20-FZK-Haus.ifc",
    "duplex.ifc",
    "Office_A_20110811.ifc",
    "ISSUE_021_Mini_Project.ifc",
    "revit2012_janesville_restaurant.ifc",
]
AGREE = 1e-3  # the 0.1 %


def fine_settings() -> ifcopenshell.geom.settings:
    """The takeoff's settings with curves cut into ~600 segments, so the comparison tests the
    arithmetic, not the mesher's approximations."""
    settings = geometry.settings()
    settings.set("mesher-angular-deflection", 0.01)
    return settings


@pytest.mark.slow
@pytest.mark.parametrize("name", MODELS)
def test_exact_prisms_agree_with_their_meshes_on_every_element_of_the_shared_models(
    real_file, name
):
    model = ifcopenshell.open(str(real_file(name)))
    scale = unit_util.calculate_unit_scale(model)
    voided = {r.RelatingBuildingElement.id() for r in model.by_type("IfcRelVoidsElement")}
    prisms = {}
    for element in model.by_type("IfcElement"):
        if element.id() not in voided and (prism := body_prism(element, scale)) is not None:
            prisms[element.id()] = prism
    assert len(prisms) >= 5, "the model should hold plain extrusions"

    iterator = ifcopenshell.geom.iterator(
        fine_settings(), model, 1, include=[model.by_id(i) for i in prisms]
    )
    compared = 0
    started = iterator.initialize()
    while started:
        shape = iterator.get()
        prism = prisms.pop(shape.id)
        mesh = shape.geometry
        expected = {
            "volume": shape_util.get_volume(mesh),
            "surface": shape_util.get_area(mesh),
            "side area": shape_util.get_max_side_area(mesh),
            "longest side": geometry.measure_mesh(mesh, one_face=False)[2],
        }
        actual = {
            "volume": prism.volume,
            "surface": prism.surface,
            "side area": prism.max_side_area(),
            "longest side": max(prism.extent),
        }
        for kind, value in expected.items():
            assert math.isclose(actual[kind], value, rel_tol=AGREE), (
                f"{shape.guid} {kind}: exact {actual[kind]} mesh {value}"
            )
        compared += 1
        if not iterator.next():
            break
    assert compared >= 5 and not prisms


def test_round_sections_stay_with_the_mesher_so_totals_do_not_move(real_file):
    # A true cylinder is up to 1 % more than the mesher's polygon (Janesville's pipe columns:
    # +0.62 % volume), and the issue asked for totals within 0.1 % of the meshed ones.
    model = ifcopenshell.open(str(real_file("revit2012_janesville_restaurant.ifc")))
    round_columns = [
        column
        for column in model.by_type("IfcColumn")
        if any(item.is_a("IfcCircleProfileDef") for item in model.traverse(column.Representation))
    ]
    assert round_columns

    assert all(body_prism(column, 0.3048) is None for column in round_columns)


def test_elements_cut_by_openings_are_meshed_not_computed(real_file):
    model = ifcopenshell.open(str(real_file("Office_A_20110811.ifc")))
    cut = {r.RelatingBuildingElement.id() for r in model.by_type("IfcRelVoidsElement")}
    # Walls whose body is one rectangle extrusion; only the uncut ones may skip the mesher.
    walls = [w.id() for w in model.by_type("IfcWallStandardCase") if body_prism(w, 1.0)]
    voided = [i for i in walls if i in cut]
    plain = [i for i in walls if i not in cut]
    assert len(voided) >= 20 and len(plain) >= 20

    exact = geometry._exact(model, voided + plain, 1.0)

    assert set(exact) >= set(plain) and not set(exact) & set(voided)


def _rows(result) -> dict:
    return {
        (r.global_id, r.layer): (r.source, r.count, r.length, r.area, r.volume, r.weight)
        for r in result.elements
    }


def test_several_processes_measure_the_same_as_one(real_file, monkeypatch):
    path = real_file("duplex.ifc")
    used = []
    run = mesh_pool.Pool.run

    def spy(self, processes, on_result, on_wait):
        used.append(processes)
        return run(self, processes, on_result, on_wait)

    monkeypatch.setattr(mesh_pool.Pool, "run", spy)

    one = take_off(path, geometry="always", processes=1, threads=1)
    assert used == []
    two = take_off(path, geometry="always", processes=2, memory_mb=100_000)

    assert used == [2]
    assert one.warnings == two.warnings
    expected, actual = _rows(one), _rows(two)
    assert set(actual) == set(expected)
    for key, values in expected.items():
        assert actual[key][0] == values[0]
        for got, want in zip(actual[key][1:], values[1:], strict=True):
            assert got == (None if want is None else pytest.approx(want, rel=1e-9)), key


def test_the_memory_ceiling_keeps_the_takeoff_in_one_process(real_file, monkeypatch):
    monkeypatch.setattr(mesh_pool.Pool, "run", lambda *a, **k: pytest.fail("forked anyway"))

    result = take_off(real_file("duplex.ifc"), geometry="always", processes=2, memory_mb=1)

    assert any(row.source == "geometry" for row in result.elements)


def test_affordable_processes_divides_the_spare_memory():
    rss = mesh_pool._own_rss_mb()
    assert mesh_pool.affordable_processes(4, int(rss + 250), per_process_mb=100) == 2
    assert mesh_pool.affordable_processes(4, int(rss + 10_000), per_process_mb=100) == 4
    assert mesh_pool.affordable_processes(4, 1, per_process_mb=100) == 1


def test_a_child_that_dies_loses_no_batch():
    parent = os.getpid()
    batches = [mesh_pool.Batch([i, i + 100], cost=1.0) for i in range(6)]

    def work(ids: list[int]) -> dict[int, int]:
        if os.getpid() != parent and 3 in ids:
            os._exit(9)  # as the kernel's OOM killer would end it
        return {i: i * 2 for i in ids}

    results: dict[int, int] = {}
    errors = mesh_pool.Pool(batches, work).run(
        2, lambda batch, result: results.update(result), lambda: None
    )

    assert errors == []
    assert results == {i: i * 2 for b in batches for i in b.step_ids}


def test_batches_keep_shared_shapes_together_and_start_with_the_costliest(real_file):
    model = ifcopenshell.open(str(real_file("Office_A_20110811.ifc")))
    ids = [
        e.id()
        for e in model.by_type("IfcElement")
        if e.Representation is not None and not e.is_a("IfcFeatureElement")
    ]

    batches = mesh_pool.plan_batches(model, ids, processes=2)

    assert sorted(i for b in batches for i in b.step_ids) == sorted(ids)
    assert len(batches) >= 8
    estimator = mesh_pool.CostEstimator(model)
    batch_of = {i: n for n, b in enumerate(batches) for i in b.step_ids}
    shared: dict[object, set[int]] = {}
    costs = {}
    for i in ids:
        key, costs[i] = estimator.element(model.by_id(i))
        shared.setdefault(key, set()).add(batch_of[i])
    assert batch_of[max(costs, key=costs.__getitem__)] == 0
    assert any(key[0] == "mapped" for key in shared)
    assert all(len(found) == 1 for found in shared.values())


def test_preparing_geometry_is_reported_and_moves_before_meshing(real_file):
    seen: list[tuple[float, str]] = []

    take_off(
        real_file("Office_A_20110811.ifc"),
        geometry="auto",
        processes=2,
        memory_mb=100_000,
        progress=lambda fraction, phase: seen.append((fraction, phase)),
    )

    phases = [phase for _, phase in seen]
    preparing = [f for f, phase in seen if phase == "preparing geometry"]
    measuring = [f for f, phase in seen if phase == "measuring geometry"]
    assert phases.index("preparing geometry") < phases.index("measuring geometry")
    assert len(set(preparing)) >= 2 and len(set(measuring)) >= 5
    assert [f for f, _ in seen] == sorted(f for f, _ in seen)
