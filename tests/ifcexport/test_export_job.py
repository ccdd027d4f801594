"""Export with costs as a job: the duplex's doors priced from ERPNext (the double), the file
read back, the original untouched, what is not priced reported, viewers refused, a broken
source failing with a reason."""

import hashlib
from pathlib import Path

import ifcopenshell
import pytest
from django.core.files.base import ContentFile

from costs.estimate import model_estimate
from jobs.models import Job
from projects.models import ProjectMember, ProjectRole, TakeoffElement

SHARED = Path(__file__).resolve().parents[3] / "shared" / "ifc"
DUPLEX = SHARED / "duplex.ifc"
pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(not DUPLEX.exists(), reason="shared IFC models not present"),
]


def with_file(version, content: bytes):
    version.file.save("model.ifc", ContentFile(content), save=True)
    return version


def use_duplex_doors(version):
    """The fixture's 5 doors become 5 of the duplex's doors."""
    doors = ifcopenshell.open(DUPLEX).by_type("IfcDoor")[:5]
    rows = TakeoffElement.objects.filter(model_version=version, ifc_class="IfcDoor").order_by("id")
    for row, door in zip(rows, doors, strict=True):
        row.global_id = door.GlobalId
        row.save(update_fields=["global_id"])
    return {d.GlobalId for d in doors}


def start(client, project, version, **body):
    url = f"/api/projects/{project.slug}/models/{version.number}/cost-export"
    return client.post(url, body, format="json")


def test_export_job_writes_the_schedule_and_reports_what_is_not_priced(
    buyer, project, ready, site, api_client_for, django_capture_on_commit_callbacks
):
    with_file(ready, DUPLEX.read_bytes())
    original = hashlib.sha256(Path(ready.file.path).read_bytes()).hexdigest()
    doors = use_duplex_doors(ready)
    TakeoffElement.objects.create(
        model_version=ready, global_id="W1", ifc_class="IfcWindow", material="Glass", count=1
    )
    client = api_client_for(buyer)

    with django_capture_on_commit_callbacks(execute=True):
        answer = start(client, project, ready, schedule_type="PRICEDBILLOFQUANTITIES")

    assert answer.status_code == 202, answer.json()
    job = Job.objects.get(pk=answer.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.error
    result = job.result
    estimate = model_estimate(project=project, version=ready, user=buyer)
    assert result["total"] == pytest.approx(estimate["total"])
    assert [(r["ifc_class"], r["material"]) for r in result["not_priced"]["unmapped"]] == [
        ("IfcWindow", "Glass")
    ]
    assert hashlib.sha256(Path(ready.file.path).read_bytes()).hexdigest() == original
    download = client.get(
        f"/api/projects/{project.slug}/models/{ready.number}/cost-export/{job.pk}/download"
    )
    assert download.status_code == 200
    assert result["filename"] in download["Content-Disposition"]
    model = ifcopenshell.open(ready.file.storage.path(result["file"]))
    [schedule] = model.by_type("IfcCostSchedule")
    assert schedule.PredefinedType == "PRICEDBILLOFQUANTITIES"
    items = {i.Description: i for i in model.by_type("IfcCostItem")}
    door = items["ERPNext Item DOOR-90"]
    assert {o.GlobalId for r in door.Controls for o in r.RelatedObjects} == doors


def test_an_item_without_rate_is_reported(
    buyer, project, ready, site, api_client_for, django_capture_on_commit_callbacks
):
    with_file(ready, DUPLEX.read_bytes())
    site.patch_doc("Item", "DOOR-90", last_purchase_rate=0)

    with django_capture_on_commit_callbacks(execute=True):
        answer = start(api_client_for(buyer), project, ready)

    job = Job.objects.get(pk=answer.json()["id"])
    assert job.state == Job.State.SUCCEEDED, job.error
    assert [r["item_code"] for r in job.result["not_priced"]["unpriced"]] == ["DOOR-90"]
    assert "DOOR-90" not in {m["item_code"] for m in job.result["summary"]["measured"]}


def test_a_viewer_may_not_export(project, ready, viewer, api_client_for):
    ProjectMember.objects.create(project=project, user=viewer, role=ProjectRole.VIEWER)

    answer = start(api_client_for(viewer), project, ready)

    assert answer.status_code == 403
    assert not Job.objects.filter(kind="ifc_cost_export").exists()


def test_a_broken_source_fails_the_job_with_a_reason(
    buyer, project, ready, api_client_for, django_capture_on_commit_callbacks
):
    with_file(ready, DUPLEX.read_bytes()[:50000])

    with django_capture_on_commit_callbacks(execute=True):
        answer = start(api_client_for(buyer), project, ready)

    job = Job.objects.get(pk=answer.json()["id"])
    assert job.state == Job.State.FAILED
    assert "could not be exported" in job.error and "cut short" in job.error
