"""The HTML pages: project list and detail, upload form, job page, takeoff with chart, diff."""

import re

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from jobs.models import Job
from projects.models import ModelVersion, Project
from tests.factories import PASSWORD


def test_pages_need_login(project):
    response = Client().get("/projects")

    assert response.status_code == 302
    assert response["Location"].startswith("/login")


def test_project_list_shows_my_projects_and_the_create_form(browser, project, editor):
    page = browser(editor).get("/projects")

    assert page.status_code == 200
    html = page.content.decode()
    assert "Harbour Office" in html
    assert 'name="name"' in html
    assert 'href="/projects"' in html  # nav link in base.html


def test_project_list_hides_other_projects(browser, project, outsider):
    html = browser(outsider).get("/projects").content.decode()

    assert "Harbour Office" not in html


def test_global_viewer_sees_no_create_form(browser, viewer):
    assert 'name="name"' not in browser(viewer).get("/projects").content.decode()


def test_create_project_from_the_form(browser, editor):
    response = browser(editor).post("/projects", {"name": "Depot", "status": "open"})

    assert response.status_code == 302
    assert response["Location"] == "/projects/depot"
    assert Project.objects.get(slug="depot").owner == editor


def test_create_project_with_blank_name_is_400(browser, editor):
    response = browser(editor).post("/projects", {"name": "", "status": "open"})

    assert response.status_code == 400
    assert not Project.objects.exists()


def test_global_viewer_posting_the_create_form_is_403(browser, viewer):
    response = browser(viewer).post("/projects", {"name": "Depot", "status": "open"})

    assert response.status_code == 403


def test_project_detail_lists_versions_and_members(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=4))

    html = browser(editor).get(f"/projects/{project.slug}").content.decode()

    assert "v1" in html and "model.ifc" in html
    assert f"/projects/{project.slug}/models/1/takeoff" in html
    assert "eddie" in html
    assert "Upload a new version" in html


def test_project_detail_of_unknown_project_is_404(browser, editor):
    response = browser(editor).get("/projects/nope")

    assert response.status_code == 404
    assert "Project not found" in response.content.decode()


def test_project_detail_as_non_member_is_404(browser, project, outsider):
    response = browser(outsider).get(f"/projects/{project.slug}")

    assert response.status_code == 404
    assert "Project not found" in response.content.decode()


def test_project_viewer_sees_no_upload_link(browser, project, project_viewer):
    html = browser(project_viewer).get(f"/projects/{project.slug}").content.decode()

    assert "Upload a new version" not in html


def test_project_admin_adds_a_member_by_username(browser, project, editor, viewer):
    response = browser(editor).post(
        f"/projects/{project.slug}/members", {"username": viewer.username, "role": "editor"}
    )

    assert response.status_code == 302
    assert project.members.get(user=viewer).role == "editor"


def test_adding_an_unknown_username_is_400(browser, project, editor):
    response = browser(editor).post(
        f"/projects/{project.slug}/members", {"username": "ghost", "role": "viewer"}
    )

    assert response.status_code == 400
    assert "No user has this username" in response.content.decode()


def test_upload_page_shows_the_form(browser, project, editor):
    page = browser(editor).get(f"/projects/{project.slug}/upload")

    assert page.status_code == 200
    html = page.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert 'type="file"' in html and 'name="file"' in html
    assert "1.0 GiB" in html


def test_upload_from_the_form_redirects_to_the_job(
    browser, project, editor, synthetic_ifc, django_capture_on_commit_callbacks
):
    path = synthetic_ifc(elements=4)

    with django_capture_on_commit_callbacks(execute=True):
        response = browser(editor).post(
            f"/projects/{project.slug}/upload",
            {"file": SimpleUploadedFile("house.ifc", path.read_bytes())},
        )

    job = Job.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/jobs/{job.pk}"
    assert ModelVersion.objects.get().original_filename == "house.ifc"


def test_upload_form_checks_csrf(project, editor):
    client = Client(enforce_csrf_checks=True)
    client.login(username=editor.username, password=PASSWORD)

    response = client.post(
        f"/projects/{project.slug}/upload", {"file": SimpleUploadedFile("a.ifc", b"x")}
    )

    assert response.status_code == 403
    assert not ModelVersion.objects.exists()


def test_upload_form_with_a_non_ifc_file_shows_the_reason(browser, project, editor):
    response = browser(editor).post(
        f"/projects/{project.slug}/upload", {"file": SimpleUploadedFile("a.ifc", b"hello")}
    )

    assert response.status_code == 400
    assert "not an IFC file" in response.content.decode()


def test_upload_form_without_a_file_is_400(browser, project, editor):
    response = browser(editor).post(f"/projects/{project.slug}/upload", {})

    assert response.status_code == 400


def test_upload_page_as_project_viewer_is_403(browser, project, project_viewer):
    assert browser(project_viewer).get(f"/projects/{project.slug}/upload").status_code == 403


def test_upload_over_the_limit_is_413(browser, project, editor, settings):
    settings.IFC_UPLOAD_MAX_BYTES = 100

    response = browser(editor).post(
        f"/projects/{project.slug}/upload", {"file": SimpleUploadedFile("a.ifc", b"x" * 500)}
    )

    assert response.status_code == 413
    assert "upload limit" in response.content.decode()


def test_job_page_refreshes_itself_while_running(browser, project, editor, settings, synthetic_ifc):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    browser(editor).post(
        f"/projects/{project.slug}/upload",
        {"file": SimpleUploadedFile("a.ifc", synthetic_ifc(elements=2).read_bytes())},
    )
    job = Job.objects.get()
    Job.objects.filter(pk=job.pk).update(state="running", progress=42, phase="Reading quantities")

    html = browser(editor).get(f"/jobs/{job.pk}").content.decode()

    assert re.search(r'<meta http-equiv="refresh" content="\d+">', html)
    assert 'value="42"' in html and "Reading quantities" in html
    assert "<script" not in html


def test_job_page_stops_refreshing_when_done(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=2))
    job = Job.objects.get()

    html = browser(editor).get(f"/jobs/{job.pk}").content.decode()

    assert 'http-equiv="refresh"' not in html
    assert "Succeeded" in html
    assert f"/projects/{project.slug}/models/1/takeoff" in html


def test_job_page_of_failed_job_shows_the_reason(browser, project, editor, upload_file):
    upload_file(project, editor, b"ISO-10303-21;\nHEADER;FILE_SCHEMA(('IFC4'));", name="cut.ifc")
    job = Job.objects.get()

    html = browser(editor).get(f"/jobs/{job.pk}").content.decode()

    assert 'http-equiv="refresh"' not in html
    assert job.error and job.error.split(":")[0] in html


def test_job_page_of_another_project_is_404(
    browser, project, editor, outsider, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=2))

    assert browser(outsider).get(f"/jobs/{Job.objects.get().pk}").status_code == 404


def test_takeoff_page_has_table_totals_and_svg_chart(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=12))

    page = browser(editor).get(f"/projects/{project.slug}/models/1/takeoff")

    assert page.status_code == 200
    html = page.content.decode()
    svg = re.search(r"<svg.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg
    assert '<title id="material-chart-title">Largest volume by material' in svg
    assert "<desc" in svg and "Brick" in svg
    assert svg.count("<rect") == 7  # one bar per material of the synthetic model
    assert 'id="takeoff-lines"' in html and "Exterior wall 300" in html
    assert "Total" in html
    assert "takeoff.csv" in html
    assert "<script" not in html


def test_takeoff_total_adds_no_areas_or_lengths_of_different_elements(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=12))

    html = browser(editor).get(f"/projects/{project.slug}/models/1/takeoff").content.decode()

    footer = re.search(r"<tfoot>.*?</tfoot>", html, re.S).group(0)
    cells = dict(re.findall(r'<td class="num[^"]*" data-label="([^"]+)">([^<]*)</td>', footer))
    assert cells["Area (m²)"] == "" and cells["Volume (m³)"] != ""
    assert "not added up" in footer


def test_takeoff_page_regroups_and_filters(browser, project, editor, synthetic_ifc, ready_version):
    ready_version(synthetic_ifc(elements=12))

    html = (
        browser(editor)
        .get(
            f"/projects/{project.slug}/models/1/takeoff?group_by=ifc_class&group_by=storey"
            "&material=&ifc_class=IfcSlab"
        )
        .content.decode()
    )

    table = re.search(r'<table class="data takeoff[^"]*".*?</table>', html, re.S).group(0)
    assert "IfcSlab" in table and "IfcWall" not in table
    assert "Level 00" in table


def test_takeoff_page_with_bad_group_by_is_400(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=2))

    response = browser(editor).get(f"/projects/{project.slug}/models/1/takeoff?group_by=x")

    assert response.status_code == 400
    assert "Cannot group by x" in response.content.decode()


def test_takeoff_page_of_a_failed_version_is_409(browser, project, editor, upload_file):
    upload_file(project, editor, b"ISO-10303-21;\nHEADER;FILE_SCHEMA(('IFC4'));", name="cut.ifc")

    response = browser(editor).get(f"/projects/{project.slug}/models/1/takeoff")

    assert response.status_code == 409


def test_takeoff_page_offers_the_diff_form(browser, project, editor, synthetic_ifc, ready_version):
    ready_version(synthetic_ifc(elements=2, name="a.ifc"))
    ready_version(synthetic_ifc(elements=4, name="b.ifc"))

    html = browser(editor).get(f"/projects/{project.slug}/models/2/takeoff").content.decode()

    assert f'action="/projects/{project.slug}/models/2/diff"' in html
    assert '<option value="1">' in html


def test_diff_page_shows_statuses_and_deltas(
    browser, project, editor, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=8, name="a.ifc"))
    ready_version(synthetic_ifc(elements=12, name="b.ifc"))

    page = browser(editor).get(
        f"/projects/{project.slug}/models/2/diff?against=1&group_by=ifc_class"
    )

    assert page.status_code == 200
    html = page.content.decode()
    assert "2 changed" in html
    assert 'class="diff-changed"' in html
    assert "+3" in html  # three more walls' count


def test_diff_page_without_against_is_400(browser, project, editor, synthetic_ifc, ready_version):
    ready_version(synthetic_ifc(elements=2))

    assert browser(editor).get(f"/projects/{project.slug}/models/1/diff").status_code == 400


def test_upload_form_refuses_a_declared_oversize_body_before_reading_it(browser, project, editor):
    response = browser(editor).generic(
        "POST",
        f"/projects/{project.slug}/upload",
        b"--x\r\n",
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(2 * 1024**3),
    )

    assert response.status_code == 413
    assert "upload limit" in response.content.decode()
