"""Reading a takeoff: grouping, filters, pagination, CSV export and the diff between versions."""

import csv
import io

import pytest

from projects.models import ModelVersion


def _url(project, version=1, suffix="takeoff"):
    return f"/api/projects/{project.slug}/models/{version}/{suffix}"


def _expected_lines(path, group_by):
    from integrations.ifc import aggregate, take_off

    return {
        tuple(line.key.values()): line
        for line in aggregate(take_off(path).elements, group_by=group_by)
    }


def _all_lines(client, url, params):
    body = client.get(url, {**params, "page_size": 1000}).json()
    results = body["results"]
    while body["next"]:
        body = client.get(body["next"]).json()
        results += body["results"]
    return results


def _assert_same_lines(results, expected, group_by):
    got = {tuple(None if r[f] is None else str(r[f]) for f in group_by): r for r in results}
    assert got.keys() == expected.keys()
    for key, line in expected.items():
        for name in ("count", "length", "area", "volume", "weight"):
            want = getattr(line, name)
            assert (got[key][name] is None) == (want is None), (key, name)
            if want is not None:
                assert got[key][name] == pytest.approx(want, rel=1e-9), (key, name)
        assert got[key]["element_count"] == line.element_count
        assert tuple(got[key]["sources"]) == line.sources


def test_default_lines_group_by_class_type_and_material(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    path = synthetic_ifc(elements=24)
    ready_version(path)

    response = api_client_for(editor).get(_url(project))

    assert response.status_code == 200
    body = response.json()
    assert body["group_by"] == ["ifc_class", "type_name", "material"]
    group_by = ("ifc_class", "type_name", "material")
    _assert_same_lines(body["results"], _expected_lines(path, group_by), group_by)


@pytest.mark.parametrize(
    "group_by",
    [
        ("ifc_class",),
        ("material",),
        ("storey", "ifc_class"),
        ("type_name", "layer"),
        ("predefined_type",),
        ("global_id",),
    ],
)
def test_database_lines_equal_the_takeoff_packages_aggregate(
    project, editor, synthetic_ifc, ready_version, api_client_for, group_by
):
    path = synthetic_ifc(elements=2100)  # three storeys
    ready_version(path)

    results = _all_lines(api_client_for(editor), _url(project), {"group_by": ",".join(group_by)})

    _assert_same_lines(results, _expected_lines(path, group_by), group_by)


def test_millimetre_and_metre_models_give_the_same_lines(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12, name="mm.ifc", length_unit="MILLIMETRE"))
    ready_version(synthetic_ifc(elements=12, name="m.ifc", length_unit="METRE"))
    client = api_client_for(editor)

    mm = client.get(_url(project, 1)).json()["results"]
    m = client.get(_url(project, 2)).json()["results"]

    assert len(mm) == len(m) > 0
    for a, b in zip(mm, m, strict=True):
        for name in ("length", "area", "volume", "weight"):
            assert (a[name] is None) == (b[name] is None)
            if a[name] is not None:
                assert a[name] == pytest.approx(b[name], rel=1e-9)
    assert any(line["length"] for line in mm)


def test_totals_count_each_element_once(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    path = synthetic_ifc(elements=20)
    ready_version(path)
    by_class = _expected_lines(path, ("ifc_class",))

    totals = api_client_for(editor).get(_url(project)).json()["totals"]

    assert totals["element_count"] == 20
    assert totals["count"] == pytest.approx(20)
    assert totals["area"] == pytest.approx(sum(line.area or 0 for line in by_class.values()))
    assert totals["volume"] == pytest.approx(sum(line.volume or 0 for line in by_class.values()))


def test_filters_narrow_the_lines(project, editor, synthetic_ifc, ready_version, api_client_for):
    ready_version(synthetic_ifc(elements=20))

    response = api_client_for(editor).get(
        _url(project), {"ifc_class": "ifcslab", "material": "Screed", "group_by": "ifc_class"}
    )

    results = response.json()["results"]
    assert response.json()["filters"] == {"ifc_class": ["ifcslab"], "material": ["Screed"]}
    assert [r["ifc_class"] for r in results] == ["IfcSlab"]
    assert results[0]["element_count"] == 5


def test_repeated_filter_matches_any_value(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=20))

    response = api_client_for(editor).get(
        f"{_url(project)}?group_by=material&material=Brick&material=Screed"
    )

    assert {r["material"] for r in response.json()["results"]} == {"Brick", "Screed"}


def test_filter_on_storey(project, editor, synthetic_ifc, ready_version, api_client_for):
    ready_version(synthetic_ifc(elements=1500))

    response = api_client_for(editor).get(
        _url(project), {"storey": "Level 01", "group_by": "storey"}
    )

    assert [(r["storey"], r["element_count"]) for r in response.json()["results"]] == [
        ("Level 01", 500)
    ]


def test_pagination_has_count_next_and_previous(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=7))
    client = api_client_for(editor)

    first = client.get(_url(project), {"group_by": "global_id", "page_size": 3}).json()
    second = client.get(first["next"]).json()
    third = client.get(second["next"]).json()

    assert first["count"] == 7
    assert first["previous"] is None
    assert "group_by=global_id" in first["next"] and "page=2" in first["next"]
    assert second["previous"].endswith("page=1")
    assert third["next"] is None
    ids = [r["global_id"] for page in (first, second, third) for r in page["results"]]
    assert len(ids) == len(set(ids)) == 7


def test_page_past_the_end_is_404(project, editor, synthetic_ifc, ready_version, api_client_for):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(_url(project), {"page": 9})

    assert response.status_code == 404
    assert "Page 9 does not exist" in response.json()["detail"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"group_by": "ifc_class,colour"}, "Cannot group by colour"),
        ({"page": "zero"}, "page must be a positive whole number"),
        ({"page": "0"}, "page must be a positive whole number"),
        ({"page_size": "5000"}, "page_size may be at most 1000"),
        ({"materiall": "Brick"}, "Unknown query parameter(s): materiall"),
        ({"layer": "top"}, "layer must be a layer index"),
    ],
)
def test_bad_query_is_400_naming_the_fault(
    project, editor, synthetic_ifc, ready_version, api_client_for, params, message
):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(_url(project), params)

    assert response.status_code == 400
    assert message in response.json()["detail"]


def test_takeoff_of_a_version_that_is_not_ready_is_409(
    project, editor, upload_file, api_client_for
):
    upload_file(project, editor, b"ISO-10303-21;\nHEADER;FILE_SCHEMA(('IFC4'));", name="cut.ifc")

    response = api_client_for(editor).get(_url(project))

    assert response.status_code == 409
    assert response.json()["state"] == "failed"
    assert "has no takeoff yet (state: failed)" in response.json()["detail"]


def test_takeoff_of_missing_version_is_404(project, editor, api_client_for):
    assert api_client_for(editor).get(_url(project, 3)).status_code == 404


def test_takeoff_with_non_integer_version_is_400(project, editor, api_client_for):
    assert api_client_for(editor).get(_url(project, "latest")).status_code == 400


def test_takeoff_as_non_member_is_404(project, outsider, api_client_for):
    assert api_client_for(outsider).get(_url(project)).status_code == 404


def test_takeoff_as_project_viewer_is_allowed(
    project, project_viewer, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=4))

    assert api_client_for(project_viewer).get(_url(project)).status_code == 200


@pytest.mark.parametrize("how", ["format", "suffix"])
def test_csv_export_streams_every_line(
    project, editor, synthetic_ifc, ready_version, api_client_for, how
):
    path = synthetic_ifc(elements=12)
    ready_version(path)
    url = f"{_url(project)}?format=csv" if how == "format" else f"{_url(project)}.csv"

    response = api_client_for(editor).get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    expected = _expected_lines(path, ("ifc_class", "type_name", "material"))
    assert len(rows) == len(expected)
    brick = next(r for r in rows if r["material"] == "Brick")
    line = expected[("IfcWall", "Exterior wall 300", "Brick")]
    assert float(brick["volume (m³)"]) == pytest.approx(line.volume, abs=5e-5)
    assert brick["length (m)"] and brick["sources"] == "qto"


def test_csv_export_applies_group_by_and_filters(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))

    response = api_client_for(editor).get(
        f"{_url(project)}.csv?group_by=ifc_class&ifc_class=IfcSlab"
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    header, *lines = text.strip().splitlines()
    assert header.startswith(
        "ifc_class,count (pcs),length (m),area (m²),volume (m³),weight (kg),element_count"
    )
    assert len(lines) == 1 and lines[0].startswith("IfcSlab,")


def test_csv_errors_are_json(project, editor, api_client_for):
    response = api_client_for(editor).get(f"{_url(project, 5)}.csv")

    assert response.status_code == 404
    assert response.json() == {"detail": "Model version 5 not found"}


def test_diff_reports_added_removed_and_changed_lines(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    # v2 loses the layer sets (materials go) and gains a second storey (lines appear).
    ready_version(synthetic_ifc(elements=12, name="v1.ifc"))
    ready_version(synthetic_ifc(elements=1012, name="v2.ifc", with_layers=False))

    response = api_client_for(editor).get(
        _url(project, 2, "takeoff/diff"), {"against": 1, "group_by": "storey,material"}
    )

    assert response.status_code == 200
    body = response.json()
    assert (body["version"], body["against"]) == (2, 1)
    by_status = {}
    for line in body["results"]:
        by_status.setdefault(line["status"], []).append(line)
    assert body["summary"] == {s: len(by_status.get(s, [])) for s in body["summary"]}
    assert {line["storey"] for line in by_status["added"]} == {"Level 01"}
    assert "Brick" in {line["material"] for line in by_status["removed"]}
    assert by_status["changed"]
    added = by_status["added"][0]
    assert added["old"] is None
    assert added["delta"]["count"] == pytest.approx(added["new"]["count"])
    removed = by_status["removed"][0]
    assert removed["new"] is None
    assert removed["delta"]["element_count"] == -removed["old"]["element_count"]


def test_diff_of_same_model_is_all_unchanged(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    path = synthetic_ifc(elements=8)
    ready_version(path)
    ready_version(path)

    client = api_client_for(editor)
    body = client.get(_url(project, 2, "takeoff/diff"), {"against": 1, "unchanged": 1}).json()

    assert body["summary"]["unchanged"] == len(body["results"]) > 0
    assert body["summary"]["changed"] == body["summary"]["added"] == 0


def test_diff_shows_changed_quantities_with_deltas(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=8, name="a.ifc"))
    ready_version(synthetic_ifc(elements=12, name="b.ifc"))

    body = (
        api_client_for(editor)
        .get(
            _url(project, 2, "takeoff/diff"),
            {"against": 1, "group_by": "ifc_class", "status": "changed"},
        )
        .json()
    )

    wall = next(line for line in body["results"] if line["ifc_class"] == "IfcWall")
    assert wall["status"] == "changed"
    assert wall["delta"]["element_count"] == 3
    assert wall["delta"]["volume"] == pytest.approx(wall["new"]["volume"] - wall["old"]["volume"])


@pytest.mark.parametrize(
    ("params", "status", "message"),
    [
        ({}, 400, "?against=<version>"),
        ({"against": "x"}, 400, "positive whole number"),
        ({"against": 9}, 404, "Model version 9 not found"),
        ({"against": 1, "status": "moved"}, 400, "Unknown status moved"),
        ({"against": 1, "group_by": "nope"}, 400, "Cannot group by nope"),
    ],
)
def test_bad_diff_request_is_a_clear_error(
    project, editor, synthetic_ifc, ready_version, api_client_for, params, status, message
):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(_url(project, 1, "takeoff/diff"), params)

    assert response.status_code == status
    assert message in response.json()["detail"]


def test_diff_against_a_version_that_is_not_ready_is_409(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=4))
    ModelVersion.objects.filter(number=1).update(state="running")
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(_url(project, 2, "takeoff/diff"), {"against": 1})

    assert response.status_code == 409
    assert "state: running" in response.json()["detail"]


def test_diff_as_non_member_is_404(project, outsider, api_client_for):
    response = api_client_for(outsider).get(_url(project, 2, "takeoff/diff"), {"against": 1})

    assert response.status_code == 404


def test_model_without_quantity_sets_is_measured_from_geometry(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    path = synthetic_ifc(elements=12, with_qto=False)
    ready_version(path)

    results = api_client_for(editor).get(_url(project), {"group_by": "ifc_class"}).json()["results"]

    assert {tuple(line["sources"]) for line in results} == {("geometry",)}
    _assert_same_lines(results, _expected_lines(path, ("ifc_class",)), ("ifc_class",))
    assert all(line["volume"] > 0 for line in results)


@pytest.mark.parametrize(
    "params",
    [
        {"page": "\u00b2"},  # str.isdigit() says yes, int() says no
        {"page": "1" * 5000},  # past int()'s 4,300-digit limit
        {"page_size": "\u00b2"},
        {"page": "99999999999999999999"},
        {"layer": "\u00b2"},
    ],
)
def test_non_ascii_or_overlong_numbers_in_query_are_400(
    project, editor, synthetic_ifc, ready_version, api_client_for, params
):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(_url(project), params)

    assert response.status_code == 400
    assert len(response.json()["detail"]) < 300


@pytest.mark.parametrize("version", ["\u00b2", "1" * 5000, "99999999999999999999"])
def test_non_ascii_or_overlong_version_in_path_is_400(project, editor, api_client_for, version):
    response = api_client_for(editor).get(_url(project, version=version))

    assert response.status_code == 400
    assert "Model version must be a positive whole number" in response.json()["detail"]
