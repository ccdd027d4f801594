"""The takeoff and diff tables fit a 1366-px laptop and a 390-px phone (issue 10), in headless
Chromium: no sideways page scroll, no table past the right edge."""

import os
import shutil
from pathlib import Path

import pytest
from django.core.files import File
from django.db.models import F

from integrations.ifc.synthetic import write_synthetic_model
from projects import services
from projects.models import ModelVersion, TakeoffElement
from tests.factories import PASSWORD, make_user

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
SIZES = {"laptop": (1366, 900), "phone": (390, 844)}
# Revit names are long; big buildings have big numbers.
LONG_TYPE = "Basic Wall:Exterior - Brick on Mtl. Stud with Insulated Cavity:312887"
LONG_MATERIAL = "Masonry - Brick, Common, Dutch format 210x100x50 with Mortar joints 10 mm"

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="Debian's chromium package is not installed (apt-get install chromium)",
    ),
]

MEASURE = """() => ({
    page: document.scrollingElement.scrollWidth,
    viewport: window.innerWidth,
    tables: [...document.querySelectorAll('table')].map(t => ({
        id: t.id, right: Math.ceil(t.getBoundingClientRect().right)
    })),
})"""


@pytest.fixture
def chromium(monkeypatch):
    from playwright.sync_api import sync_playwright

    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


@pytest.fixture
def two_versions(tmp_path):
    """A project with two takeoffs whose names and numbers are as wide as real ones get."""
    editor = make_user("erin", role="editor")
    project = services.project_create(user=editor, name="Harbour Office", code="P-001")
    path = tmp_path / "model.ifc"
    write_synthetic_model(path, elements=24)
    for _ in range(2):
        with path.open("rb") as handle:
            services.model_version_create(
                project=project,
                user=editor,
                upload=File(handle, name=path.name),
                allow_duplicate=True,
            )
    versions = list(ModelVersion.objects.order_by("number"))
    assert [v.state for v in versions] == ["ready", "ready"], versions[0].failure_reason
    rows = TakeoffElement.objects.filter(ifc_class="IfcWall")
    rows.update(type_name=LONG_TYPE)
    rows.filter(material="Brick").update(material=LONG_MATERIAL)
    TakeoffElement.objects.update(volume=F("volume") * 12345.678, weight=F("weight") * 1234.5)
    newer = TakeoffElement.objects.filter(model_version=versions[1], ifc_class="IfcSlab")
    newer.update(area=F("area") * 1.5)
    return project, editor


def _sign_in(page, base_url: str, user) -> None:
    page.goto(f"{base_url}/login")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/settings")


@pytest.mark.parametrize("size", list(SIZES))
def test_takeoff_and_diff_tables_fit_the_screen(
    chromium, live_server, two_versions, size, tmp_path
):
    project, editor = two_versions
    width, height = SIZES[size]
    context = chromium.new_context(viewport={"width": width, "height": height})
    page = context.new_page()
    _sign_in(page, live_server.url, editor)
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    pages = {
        "takeoff": f"/projects/{project.slug}/models/2/takeoff",
        "takeoff-by-storey": f"/projects/{project.slug}/models/2/takeoff"
        "?group_by=storey&group_by=ifc_class&group_by=type_name&group_by=material",
        "diff": f"/projects/{project.slug}/models/2/diff?against=1&unchanged=1",
    }

    for name, url in pages.items():
        response = page.goto(live_server.url + url)
        assert response.status == 200, name
        page.screenshot(path=str(shots / f"{name}-{size}.png"), full_page=True)
        measured = page.evaluate(MEASURE)

        assert measured["viewport"] == width
        assert measured["page"] <= width, (name, measured)
        assert measured["tables"], name
        for table in measured["tables"]:
            assert table["right"] <= width, (name, table, measured)
    assert LONG_TYPE in page.content()  # the names wrap rather than being cut off
    context.close()
