"""Fixtures for the BOM: an ERPNext double with Items, UOMs and BOMs, a project with a takeoff,
mapping rules, and a helper that starts a sync through the API and runs its job."""

from __future__ import annotations

import pytest

from bom.models import BomSyncRun, MappingRule
from projects.models import ModelVersion, TakeoffElement
from tests.bom.double import ErpnextStockDouble
from tests.factories import ERP_SECRET


@pytest.fixture
def erp(allow_private):
    """An ERPNext (v15) on loopback with ERPNext's Item/UOM/BOM rules; its secret is known."""
    with ErpnextStockDouble(version=15, api_key="bridge-key", api_secret=ERP_SECRET) as double:
        yield double


@pytest.fixture
def erp_editor(editor, erp, connect):
    """`editor`, connected to the double."""
    return connect(editor, erp)


# A small takeoff: (ifc_class, type_name, material, count, length, area, volume, weight)
WALLS = [
    ("IfcWall", "Basic Wall 200", "Concrete C30/37", 4, 20.0, 60.0, 12.2, None),
    ("IfcWall", "Basic Wall 100", "Brick", 3, 15.0, 40.0, 4.0, None),
    ("IfcSlab", "Floor 250", "Concrete C30/37", 2, None, 100.0, 25.0, None),
    ("IfcDoor", "Door 90x210", None, 5, None, None, None, None),
    ("IfcBeam", "HEA 200", "Steel S235", 6, 36.0, None, 0.19, 1521.6),
    ("IfcFurniture", "Chair", "Oak", 12, None, None, None, None),
]


def make_version(project, lines=WALLS, *, number: int | None = None) -> ModelVersion:
    """A ready model version whose takeoff has one element per count of each line."""
    number = number or (project.model_versions.count() + 1)
    version = ModelVersion.objects.create(
        project=project,
        number=number,
        original_filename=f"model-v{number}.ifc",
        file=f"ifc/{project.pk}/v{number}.ifc",
        sha256="0" * 64,
        size=1,
        schema="IFC4",
        state=ModelVersion.State.READY,
    )
    rows = []
    for index, (ifc_class, type_name, material, count, length, area, volume, weight) in enumerate(
        lines
    ):
        for n in range(count):
            rows.append(
                TakeoffElement(
                    model_version=version,
                    global_id=f"G{index:04d}{n:04d}",
                    ifc_class=ifc_class,
                    type_name=type_name or "",
                    material=material or "",
                    count=1,
                    length=None if length is None else length / count,
                    area=None if area is None else area / count,
                    volume=None if volume is None else volume / count,
                    weight=None if weight is None else weight / count,
                    source="qto",
                )
            )
    TakeoffElement.objects.bulk_create(rows, batch_size=2000)
    return version


@pytest.fixture
def version(project):
    return make_version(project)


def add_rule(project, **fields) -> MappingRule:
    fields.setdefault("quantity", "count")
    fields.setdefault("uom", "Nos")
    return MappingRule.objects.create(project=project, **fields)


@pytest.fixture
def rules(project):
    """Rules for the small takeoff: walls and slabs by volume, doors and beams by count."""
    return [
        add_rule(
            project,
            ifc_class="IfcWall",
            material="Concrete*",
            item_code="CONCRETE-C30",
            quantity="volume",
            uom="m³",
            waste_factor="0.05",
        ),
        add_rule(
            project,
            ifc_class="IfcSlab",
            material="concrete c30/37",
            item_code="CONCRETE-C30",
            quantity="volume",
            uom="m³",
            waste_factor="0.05",
        ),
        add_rule(
            project,
            ifc_class="IfcWall",
            material="Brick",
            item_code="BRICK-WF",
            quantity="area",
            uom="m²",
        ),
        add_rule(project, ifc_class="IfcDoor", item_code="DOOR-90", quantity="count", uom="Nos"),
        add_rule(
            project,
            ifc_class="IfcBeam",
            type_name="HEA*",
            item_code="STEEL-HEA200",
            quantity="weight",
            uom="kg",
            rate="1.25",
        ),
    ]


@pytest.fixture
def stock(erp):
    """The Items the rules map to, present in ERPNext."""
    for code, uom in (
        ("CONCRETE-C30", "m³"),
        ("BRICK-WF", "m²"),
        ("DOOR-90", "Nos"),
        ("STEEL-HEA200", "kg"),
    ):
        erp.add_doc(
            "Item",
            {
                "item_code": code,
                "item_name": code.title(),
                "item_group": "All Item Groups",
                "stock_uom": uom,
            },
        )
    return erp


@pytest.fixture
def sync(api_client_for, django_capture_on_commit_callbacks):
    """POST .../bom/sync as `user` and run the queued job; returns (response, run)."""

    def run(project, user, version, **options):
        client = api_client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/projects/{project.slug}/bom/sync",
                {"model_version": version.number, **options},
                format="json",
            )
        run = None
        if response.status_code == 202:
            run = BomSyncRun.objects.get(pk=response.json()["id"])
        return response, run

    return run


@pytest.fixture
def resume(api_client_for, django_capture_on_commit_callbacks):
    def run(project, user, run):
        client = api_client_for(user)
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(f"/api/projects/{project.slug}/bom/runs/{run.pk}/resume")
        run.refresh_from_db()
        return response, run

    return run


def is_write(request) -> bool:
    """A request that changes ERPNext (POST/PUT/DELETE, except the read-only get_list)."""
    return request.method in ("POST", "PUT", "DELETE") and "get_list" not in request.path


def writes(double) -> list:
    return [r for r in double.requests if is_write(r)]


def reads(double) -> list:
    return [r for r in double.requests if not is_write(r)]
