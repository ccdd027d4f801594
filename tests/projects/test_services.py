"""Services and helpers of projects, called directly."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from jobs import selectors as job_selectors
from jobs.models import Job
from openaec.exceptions import AccessDeniedError, ApplicationError, ConflictError, NotFoundError
from projects import selectors, services
from projects.charts import format_quantity, horizontal_bar_chart
from projects.models import ModelVersion, Project, ProjectMember
from projects.uploads import NotAnIfcFile, sniff_header
from tests.factories import make_user


def test_project_create_makes_owner_admin_member(editor):
    project = services.project_create(user=editor, name="Süd Café", description="x")

    assert project.slug == "sud-cafe"
    assert ProjectMember.objects.get(project=project).role == "admin"


def test_project_create_refuses_global_viewer(viewer):
    with pytest.raises(AccessDeniedError):
        services.project_create(user=viewer, name="Depot")


def test_long_names_make_bounded_unique_slugs(editor):
    first = services.project_create(user=editor, name="x" * 255)
    second = services.project_create(user=editor, name="x" * 255)

    assert len(first.slug) == 200
    assert second.slug == first.slug + "-1"


def test_for_user_is_the_single_visibility_rule(project, editor, outsider, admin_user):
    assert list(Project.objects.for_user(editor)) == [project]
    assert list(Project.objects.for_user(outsider)) == []
    assert list(Project.objects.for_user(admin_user)) == [project]


def test_for_user_lists_a_project_once_with_several_members(project, member, editor):
    member("m1", "viewer")
    member("m2", "editor")

    assert Project.objects.for_user(editor).count() == 1


def test_project_get_for_user_checks_the_role(project, project_editor):
    _, role = selectors.project_get_for_user(slug=project.slug, user=project_editor)
    assert role == "editor"

    with pytest.raises(AccessDeniedError):
        selectors.project_get_for_user(slug=project.slug, user=project_editor, min_role="admin")
    with pytest.raises(NotFoundError):
        selectors.project_get_for_user(slug="nope", user=project_editor)


def test_global_admin_acts_as_project_admin(project, admin_user):
    _, role = selectors.project_get_for_user(slug=project.slug, user=admin_user, min_role="admin")

    assert role == "admin"


def test_member_set_refuses_unknown_role(project, viewer):
    with pytest.raises(ApplicationError):
        services.project_member_set(project=project, user_id=viewer.pk, role="owner")


def test_second_admin_may_demote_the_first(project, editor, viewer):
    services.project_member_set(project=project, user_id=viewer.pk, role="admin")

    member, created = services.project_member_set(project=project, user_id=editor.pk, role="viewer")

    assert (member.role, created) == ("viewer", False)


def test_last_admin_cannot_be_demoted(project, editor):
    with pytest.raises(ConflictError):
        services.project_member_set(project=project, user_id=editor.pk, role="editor")


def test_project_delete_removes_stored_files_after_commit(
    project, editor, synthetic_ifc, ready_version, settings, django_capture_on_commit_callbacks
):
    version = ready_version(synthetic_ifc(elements=2))
    stored = settings.MEDIA_ROOT / version.file.name
    assert stored.exists()

    with django_capture_on_commit_callbacks(execute=True):
        services.project_delete(project=project)

    assert not stored.exists()
    assert not ModelVersion.objects.exists() and not Job.objects.exists()


def test_model_version_create_hashes_files_without_a_precomputed_hash(
    project, editor, settings, synthetic_ifc
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    content = synthetic_ifc(elements=2).read_bytes()

    version = services.model_version_create(
        project=project, user=editor, upload=SimpleUploadedFile("../../etc/a.ifc", content)
    )

    import hashlib

    assert version.sha256 == hashlib.sha256(content).hexdigest()
    assert version.original_filename == "a.ifc"
    assert version.number == 1 and version.state == "queued"


def test_model_version_create_without_file_is_an_application_error(project, editor):
    with pytest.raises(ApplicationError, match="multipart field 'file'"):
        services.model_version_create(project=project, user=editor, upload=None)


@pytest.mark.parametrize(
    ("head", "schema"),
    [
        (b"ISO-10303-21;\nHEADER;FILE_SCHEMA(('IFC2X3'));", "IFC2X3"),
        (b"\xef\xbb\xbf\n ISO-10303-21;\nHEADER;FILE_SCHEMA (( 'ifc4' ));", "IFC4"),
        (b"ISO-10303-21;HEADER;FILE_SCHEMA(('IFC4X3_ADD2'));", "IFC4X3"),
        (b"ISO-10303-21;HEADER;FILE_SCHEMA(('IFC4_ADD2_TC1'));", "IFC4"),
    ],
)
def test_sniff_header_reads_the_schema(head, schema):
    assert sniff_header(head).schema == schema


@pytest.mark.parametrize(
    "head",
    [
        b"",
        b"PDF",
        b"ISO-10303-21;\nHEADER;\nENDSEC;",
        b"ISO-10303-21;HEADER;FILE_SCHEMA(('AP214'));",
        b"ISO-10303-21;HEADER;FILE_SCHEMA(('IFC4X1'));",
    ],
)
def test_sniff_header_refuses_what_is_not_a_supported_ifc(head):
    with pytest.raises(NotAnIfcFile):
        sniff_header(head)


def test_sniff_header_leaves_unreadable_zips_to_the_takeoff():
    info = sniff_header(b"PK\x03\x04rest-of-a-zip")

    assert (info.container, info.schema) == ("zip", "")


def test_chart_escapes_labels_and_scales_bars():
    svg = horizontal_bar_chart(
        [("<script>alert(1)</script>", 10.0), ("Brick", 5.0)],
        unit="m³",
        title="Volume & more",
        description="two bars",
        chart_id="c",
    )

    assert "<script>" not in svg
    assert "&lt;script&gt;" in svg
    assert "Volume &amp; more" in svg
    widths = [float(w) for w in __import__("re").findall(r'<rect[^>]*width="([\d.]+)"', svg)]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_chart_without_data_says_so():
    svg = horizontal_bar_chart([], unit="m³", title="t", description="d", chart_id="c")

    assert "No quantities to chart" in svg


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (None, "m", "—"),
        (3.0, "pcs", "3 pcs"),
        (1234.567, "m³", "1,234.6 m³"),
        (0.1234, "m", "0.123 m"),
    ],
)
def test_format_quantity(value, unit, text):
    assert format_quantity(value, unit) == text


def test_chart_falls_back_to_area_then_count(project, editor, synthetic_ifc, ready_version):
    from projects.models import TakeoffElement
    from projects.takeoff_query import TakeoffQuery

    version = ready_version(synthetic_ifc(elements=4))
    TakeoffElement.objects.update(volume=None)
    assert selectors.takeoff_chart_by_material(version=version, query=TakeoffQuery())[0] == "area"

    TakeoffElement.objects.update(area=None)
    measure, unit, bars = selectors.takeoff_chart_by_material(version=version, query=TakeoffQuery())
    assert (measure, unit) == ("count", "pcs") and bars


def test_job_visibility_follows_the_project(
    project, editor, outsider, synthetic_ifc, ready_version
):
    ready_version(synthetic_ifc(elements=2))
    job = Job.objects.get()

    assert job_selectors.job_get_for_user(job_id=job.pk, user=editor) == job
    with pytest.raises(NotFoundError):
        job_selectors.job_get_for_user(job_id=job.pk, user=outsider)


def test_inactive_user_cannot_be_added(project):
    ghost = make_user("ghost", is_active=False)

    with pytest.raises(NotFoundError):
        services.project_member_set(project=project, user_id=ghost.pk, role="viewer")
