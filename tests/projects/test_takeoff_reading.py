"""Reading a takeoff as a cost engineer does (issue 10): "contains" filters with choices, a
diff without its unchanged lines, duplicate uploads asked about, broken files not retried,
Excel and CSV that open cleanly."""

import csv
import io
import re

import pytest
from openpyxl import load_workbook

from jobs.models import Job
from projects.exports import quantity_text
from projects.models import ModelVersion, TakeoffElement

NUMBER = re.compile(r"-?\d+(\.\d+)?")


def _url(project, version=1, suffix="takeoff"):
    return f"/api/projects/{project.slug}/models/{version}/{suffix}"


# Filters


def test_filter_finds_every_value_containing_the_text_in_any_case(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))
    client = api_client_for(editor)

    walls = client.get(_url(project), {"ifc_class": "wall", "group_by": "ifc_class"}).json()
    concrete = client.get(_url(project), {"material": "CONCRETE", "group_by": "material"}).json()

    assert [line["ifc_class"] for line in walls["results"]] == ["IfcWall"]
    assert {line["material"] for line in concrete["results"]} == {
        "Concrete C30/37",
        "Concrete block",
    }


def test_layer_filter_stays_exact(project, editor, synthetic_ifc, ready_version, api_client_for):
    ready_version(synthetic_ifc(elements=12))
    TakeoffElement.objects.filter(layer=1).update(layer=10)

    body = api_client_for(editor).get(_url(project), {"layer": 1, "group_by": "layer"}).json()

    assert body["results"] == []


def test_filter_choices_are_the_values_in_the_version(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))

    response = api_client_for(editor).get(_url(project, suffix="takeoff/filters"))

    assert response.status_code == 200
    values = response.json()["values"]
    assert values["ifc_class"] == ["IfcSlab", "IfcWall"]
    assert "Exterior wall 300" in values["type_name"]
    assert values["material"] == sorted(
        TakeoffElement.objects.order_by().values_list("material", flat=True).distinct()
    )
    assert "" not in values["storey"]


def test_filter_choices_of_an_outsider_are_404(project, outsider, api_client_for):
    response = api_client_for(outsider).get(_url(project, suffix="takeoff/filters"))

    assert response.status_code == 404


def test_takeoff_page_offers_the_values_and_filters_by_contains(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=12))

    html = (
        browser(editor)
        .get(f"/projects/{project.slug}/models/1/takeoff?group_by=material&material=conc")
        .content.decode()
    )

    assert 'list="choices-material"' in html
    datalist = re.search(r'<datalist id="choices-material">.*?</datalist>', html, re.S).group(0)
    assert '<option value="Brick">' in datalist
    table = re.search(r'<table class="data takeoff[^"]*".*?</table>', html, re.S).group(0)
    assert "Concrete block" in table and "Brick" not in table


# The diff


@pytest.fixture
def two_versions(synthetic_ifc, ready_version):
    """v1 and v2 of one model, in v2 the slabs 1 m³ bigger: slab lines change, walls do not."""
    path = synthetic_ifc(elements=12)
    ready_version(path)
    v2 = ready_version(path)
    slab = TakeoffElement.objects.filter(model_version=v2, ifc_class="IfcSlab").first()
    TakeoffElement.objects.filter(pk=slab.pk).update(volume=slab.volume + 1)
    return v2


def test_diff_leaves_unchanged_lines_out_unless_asked(
    project, editor, two_versions, api_client_for
):
    client = api_client_for(editor)
    params = {"against": 1, "group_by": "ifc_class,material"}

    default = client.get(_url(project, 2, "takeoff/diff"), params).json()
    every = client.get(_url(project, 2, "takeoff/diff"), {**params, "unchanged": "true"}).json()

    assert default["summary"]["unchanged"] > 0
    assert [line["status"] for line in default["results"]] == ["changed"]
    assert len(default["results"]) == sum(
        default["summary"][s] for s in ("added", "removed", "changed")
    )
    assert every["summary"] == default["summary"]
    assert len(every["results"]) == sum(every["summary"].values())


def test_diff_status_unchanged_asks_for_them_too(project, editor, two_versions, api_client_for):

    body = (
        api_client_for(editor)
        .get(_url(project, 2, "takeoff/diff"), {"against": 1, "status": "unchanged"})
        .json()
    )

    assert body["results"] and {line["status"] for line in body["results"]} == {"unchanged"}


def test_diff_with_a_bad_unchanged_flag_is_400(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(
        _url(project, 1, "takeoff/diff"), {"against": 1, "unchanged": "maybe"}
    )

    assert response.status_code == 400
    assert "unchanged must be true or false" in response.json()["detail"]


def test_diff_page_hides_unchanged_lines_and_links_the_counts(
    browser, project, editor, two_versions
):
    client = browser(editor)
    url = f"/projects/{project.slug}/models/2/diff"

    html = client.get(f"{url}?against=1&group_by=ifc_class,material").content.decode()
    every = client.get(f"{url}?against=1&group_by=ifc_class,material&unchanged=1").content.decode()

    assert '<tr class="diff-unchanged"' not in html
    assert '<tr class="diff-unchanged"' in every
    assert 'id="unchanged-hidden"' in html
    summary = re.search(r'<ul class="summary".*?</ul>', html, re.S).group(0)
    link = re.search(r'<a href="([^"]+)" id="show-changed"', summary).group(1)
    assert "status=changed" in link and "against=1" in link and "group_by=" in link
    changed = client.get(url + link.replace("&amp;", "&")).content.decode()
    assert '<tr class="diff-changed"' in changed and '<tr class="diff-unchanged"' not in changed


def test_schema_documents_the_new_parameters(client):
    schema = client.get("/api/schema", {"format": "json"}).json()

    diff = schema["paths"]["/api/projects/{slug}/models/{version}/takeoff/diff"]["get"]
    upload = schema["paths"]["/api/projects/{slug}/models"]["post"]
    takeoff = schema["paths"]["/api/projects/{slug}/models/{version}/takeoff"]["get"]
    assert "unchanged" in {p["name"] for p in diff["parameters"]}
    assert "allow_duplicate" in {p["name"] for p in upload["parameters"]}
    assert "409" in upload["responses"]
    assert {"sep", "format"} <= {p["name"] for p in takeoff["parameters"]}


# Duplicate uploads


def test_same_file_again_is_409_naming_the_version(
    project, editor, synthetic_ifc, upload_file, api_client_for
):
    path = synthetic_ifc(elements=4)
    upload_file(project, editor, path)

    again = upload_file(project, editor, path, name="renamed.ifc")

    assert again.status_code == 409
    assert again.json()["duplicate_of"] == 1
    assert "identical to version 1" in again.json()["detail"]
    assert ModelVersion.objects.count() == 1
    assert Job.objects.count() == 1


@pytest.mark.parametrize("where", ["form", "query"])
def test_same_file_with_allow_duplicate_becomes_the_next_version(
    project,
    editor,
    synthetic_ifc,
    upload_file,
    api_client_for,
    where,
    django_capture_on_commit_callbacks,
):
    path = synthetic_ifc(elements=4)
    upload_file(project, editor, path)

    if where == "form":
        again = upload_file(project, editor, path, allow_duplicate="true")
    else:
        from django.core.files.uploadedfile import SimpleUploadedFile

        with django_capture_on_commit_callbacks(execute=True):
            again = api_client_for(editor).post(
                f"/api/projects/{project.slug}/models?allow_duplicate=1",
                {"file": SimpleUploadedFile("model.ifc", path.read_bytes())},
                format="multipart",
            )

    assert again.status_code == 201
    assert again.json()["version"] == 2


def test_a_different_file_is_no_duplicate(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=4))

    assert upload_file(project, editor, synthetic_ifc(elements=5)).status_code == 201


def test_upload_page_asks_before_storing_an_identical_file(
    browser, project, editor, synthetic_ifc, upload_file, django_capture_on_commit_callbacks
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    content = synthetic_ifc(elements=4).read_bytes()
    upload_file(project, editor, content)
    client = browser(editor)
    url = f"/projects/{project.slug}/upload"

    asked = client.post(url, {"file": SimpleUploadedFile("m.ifc", content)})
    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(
            url, {"file": SimpleUploadedFile("m.ifc", content), "allow_duplicate": "on"}
        )

    assert asked.status_code == 409
    html = asked.content.decode()
    assert "This file is identical to version 1" in html
    assert 'name="allow_duplicate"' in html
    assert confirmed.status_code == 302
    assert list(ModelVersion.objects.values_list("number", flat=True).order_by("number")) == [1, 2]


# Failures


def _failed_upload(project, editor, upload_file, content, name="cut.ifc"):
    response = upload_file(project, editor, content, name=name)
    assert response.status_code == 201
    return Job.objects.get(model_version__number=response.json()["version"])


def test_broken_file_is_not_offered_a_retry(
    project, editor, synthetic_ifc, upload_file, api_client_for, browser
):
    good = synthetic_ifc(elements=4).read_bytes()
    job = _failed_upload(project, editor, upload_file, good[: len(good) // 2])

    api_job = api_client_for(editor).get(f"/api/jobs/{job.pk}").json()
    page = browser(editor).get(f"/jobs/{job.pk}").content.decode()
    retry = api_client_for(editor).post(f"/api/jobs/{job.pk}/retry")

    assert api_job["state"] == "failed"
    assert any(d.get("broken_file") for d in api_job["error_details"])
    assert 'id="job-retry"' not in page
    assert "upload it as a new version" in page and 'id="upload-corrected"' in page
    assert retry.status_code == 409
    assert Job.objects.count() == 1


def test_a_server_side_failure_is_still_offered_a_retry(
    project, editor, synthetic_ifc, upload_file, browser, monkeypatch
):
    import integrations.ifc

    def explode(*args, **kwargs):
        raise RuntimeError("worker trouble")

    monkeypatch.setattr(integrations.ifc, "take_off", explode)
    job = _failed_upload(project, editor, upload_file, synthetic_ifc(elements=2).read_bytes())

    page = browser(editor).get(f"/jobs/{job.pk}").content.decode()

    assert 'id="job-retry"' in page
    assert job.error_details == []


# CSV and Excel


def test_quantity_text_has_no_float_noise():
    assert quantity_text(21.599999999999998, "length") == "21.6"
    assert quantity_text(10799.999999999998, "weight") == "10800"
    assert quantity_text(0.30000000000000004, "volume", decimal=",") == "0,3"
    assert quantity_text(-0.00001, "area") == "0"
    assert quantity_text(None, "area") == ""


def test_csv_starts_with_a_bom_has_units_and_no_float_noise(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))

    response = api_client_for(editor).get(f"{_url(project)}.csv", {"group_by": "material"})

    raw = b"".join(response.streaming_content)
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0][:6] == [
        "material",
        "count (pcs)",
        "length (m)",
        "area (m²)",
        "volume (m³)",
        "weight (kg)",
    ]
    numbers = [cell for row in rows[1:] for cell in row[1:6] if cell]
    assert numbers and all(NUMBER.fullmatch(cell) for cell in numbers)
    assert all(len(cell.partition(".")[2]) <= 4 for cell in numbers)
    assert "7.2" in [row[4] for row in rows[1:]]  # Brick: 7.199999999999999 m³ in floats


def test_csv_with_semicolons_has_decimal_commas(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))

    response = api_client_for(editor).get(
        f"{_url(project)}.csv", {"group_by": "material", "sep": ";"}
    )

    text = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text), delimiter=";"))
    brick = next(row for row in rows if row[0] == "Brick")
    assert brick[4] == "7,2"
    assert len(rows[0]) == 10  # material, 5 quantities, elements, sources, 2 measured


def test_csv_with_another_separator_is_400(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=4))

    response = api_client_for(editor).get(f"{_url(project)}.csv", {"sep": "|"})

    assert response.status_code == 400
    assert response.json()["detail"] == "sep must be ',' or ';'."


def _workbook(response):
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert ".xlsx" in response["Content-Disposition"]
    return load_workbook(io.BytesIO(response.content))


@pytest.mark.parametrize("how", ["suffix", "format"])
def test_xlsx_has_a_sheet_per_grouping_with_numbers_units_and_totals(
    project, editor, synthetic_ifc, ready_version, api_client_for, how
):
    from integrations.ifc import aggregate, take_off

    path = synthetic_ifc(elements=12)
    ready_version(path)
    url = f"{_url(project)}.xlsx" if how == "suffix" else f"{_url(project)}?format=xlsx"

    book = _workbook(api_client_for(editor).get(url))

    assert book.sheetnames[:2] == ["Takeoff", "By class"]
    assert {"By material", "By storey", "By class and material", "About"} <= set(book.sheetnames)
    rows = list(book["By material"].iter_rows(values_only=True))
    header, lines, total = rows[0], rows[1:-1], rows[-1]
    assert header[:6] == (
        "Material",
        "Count (pcs)",
        "Length (m)",
        "Area (m²)",
        "Volume (m³)",
        "Weight (kg)",
    )
    elements = take_off(path).elements
    expected = {line.key["material"]: line for line in aggregate(elements, group_by=("material",))}
    assert {row[0] for row in lines} == set(expected)
    for row in lines:
        assert isinstance(row[4], int | float)
        assert row[4] == pytest.approx(expected[row[0]].volume, abs=5e-5)
        assert isinstance(row[6], int)
    assert total[0] == "Total"
    assert total[4] == pytest.approx(sum(e.volume or 0 for e in elements), abs=5e-4)
    assert total[5] == pytest.approx(sum(e.weight or 0 for e in elements), abs=0.05)
    assert total[6] == len({e.global_id for e in elements})
    assert total[2] is None and total[3] is None  # lengths and areas of different things
    assert book["By material"]["E2"].number_format == "#,##0.0000"


def test_xlsx_applies_the_filters_to_every_sheet(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    ready_version(synthetic_ifc(elements=12))

    book = _workbook(api_client_for(editor).get(f"{_url(project)}.xlsx", {"ifc_class": "slab"}))

    classes = [row[0] for row in book["By class"].iter_rows(min_row=2, values_only=True)]
    assert classes == ["IfcSlab", "Total"]
    about = dict(book["About"].iter_rows(values_only=True))
    assert "ifc_class: slab" in about["Filters"]


def test_xlsx_neutralises_formula_names(
    project, editor, synthetic_ifc, ready_version, api_client_for
):
    import ifcopenshell

    path = synthetic_ifc(elements=6)
    model = ifcopenshell.open(str(path))
    for entity in model.by_type("IfcMaterial"):
        entity.Name = '=HYPERLINK("http://evil.example","x")'
        break
    model.write(str(path))
    ready_version(path)

    book = _workbook(api_client_for(editor).get(f"{_url(project)}.xlsx"))

    cells = [cell for sheet in book for row in sheet.iter_rows() for cell in row if cell.value]
    assert not any(cell.data_type == "f" for cell in cells)
    assert '\'=HYPERLINK("http://evil.example","x")' in {cell.value for cell in cells}


def test_takeoff_page_links_the_excel_and_csv_downloads(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=4))

    html = browser(editor).get(f"/projects/{project.slug}/models/1/takeoff?material=brick")
    html = html.content.decode()

    assert f'href="/api/projects/{project.slug}/models/1/takeoff.xlsx?material=brick"' in html
    assert "sep=%3B" in html
