"""The takeoff job: runs after upload, reports progress, fails readably, never stops the next job."""

import io
import zipfile

import pytest

from jobs import runner
from jobs.models import Job
from jobs.runner import run_job
from projects import services
from projects.models import ModelVersion, TakeoffElement
from projects.services import takeoff as takeoff_service

from .conftest import FZK_HAUS, needs_shared_ifc


def test_upload_runs_the_job_to_ready(project, editor, synthetic_ifc, upload_file, api_client_for):
    response = upload_file(project, editor, synthetic_ifc(elements=12))

    job = api_client_for(editor).get(response.json()["job_url"]).json()
    assert job["state"] == "succeeded"
    assert job["kind"] == "takeoff"
    assert job["progress"] == 100
    assert job["error"] == ""
    assert job["started_at"] and job["finished_at"]
    assert job["result"]["elements"] == 12
    version = ModelVersion.objects.get()
    assert version.state == "ready"
    assert version.element_count == 12


def test_job_json_has_the_contract_keys(
    project, editor, synthetic_ifc, upload_file, api_client_for
):
    response = upload_file(project, editor, synthetic_ifc(elements=2))

    job = api_client_for(editor).get(response.json()["job_url"]).json()

    assert {
        "id", "kind", "state", "progress", "phase", "error",
        "created_at", "started_at", "finished_at", "result",
    } <= set(job)  # fmt: skip


def test_job_is_queued_until_a_worker_takes_it(
    project, editor, synthetic_ifc, api_client_for, settings
):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    path = synthetic_ifc(elements=2)
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = api_client_for(editor).post(
        f"/api/projects/{project.slug}/models",
        {"file": SimpleUploadedFile("m.ifc", path.read_bytes())},
        format="multipart",
    )

    assert response.json()["state"] == "queued"
    job = api_client_for(editor).get(response.json()["job_url"]).json()
    assert (job["state"], job["progress"], job["started_at"]) == ("queued", 0, None)


def test_job_of_a_project_one_cannot_see_is_404(
    project, editor, outsider, synthetic_ifc, upload_file, api_client_for
):
    response = upload_file(project, editor, synthetic_ifc(elements=2))

    answer = api_client_for(outsider).get(response.json()["job_url"])

    assert answer.status_code == 404
    assert answer.json() == {"detail": "Job not found"}


@pytest.mark.parametrize("job_id", ["nope", "00000000-0000-0000-0000-000000000000"])
def test_unknown_job_is_404(api_client_for, editor, job_id):
    response = api_client_for(editor).get(f"/api/jobs/{job_id}")

    assert response.status_code == 404


def test_job_needs_authentication(api_client_for):
    assert api_client_for(None).get("/api/jobs/x").status_code == 401


def test_stored_rows_keep_every_element_and_layer(project, editor, synthetic_ifc, upload_file):
    from integrations.ifc import take_off

    path = synthetic_ifc(elements=16)
    expected = take_off(path).elements

    upload_file(project, editor, path)

    rows = TakeoffElement.objects.filter(model_version__project=project)
    assert rows.count() == len(expected)
    assert {(r.global_id, r.layer) for r in rows} == {(e.global_id, e.layer) for e in expected}
    assert set(rows.values_list("source", flat=True)) == {"qto"}


def test_progress_is_monotone_and_ends_at_100(
    project, editor, synthetic_ifc, upload_file, monkeypatch
):
    seen = []
    original = runner.job_progress_write

    def record(*, job_id, percent, phase, **fields):
        seen.append((percent, phase))
        original(job_id=job_id, percent=percent, phase=phase, **fields)

    monkeypatch.setattr(runner, "job_progress_write", record)
    monkeypatch.setattr(runner, "PROGRESS_MIN_INTERVAL", 0)

    upload_file(project, editor, synthetic_ifc(elements=200))

    percents = [p for p, _ in seen]
    assert percents == sorted(percents)
    assert len(set(percents)) > 3
    assert {phase for _, phase in seen} >= {"Opening", "Reading quantities"}
    assert Job.objects.get().progress == 100


def test_progress_writes_are_throttled(project, editor, synthetic_ifc, upload_file, monkeypatch):
    writes, reports = [], []
    monkeypatch.setattr(runner, "job_progress_write", lambda **kw: writes.append(kw))
    callback = takeoff_service.takeoff_callback
    monkeypatch.setattr(
        takeoff_service,
        "takeoff_callback",
        lambda progress: lambda *a: (reports.append(a), callback(progress)(*a))[1],
    )

    upload_file(project, editor, synthetic_ifc(elements=2000))

    # 2000 elements, yet at most a write per report (a phase change or PROGRESS_MIN_INTERVAL).
    assert 1 <= len(writes) <= min(len(reports) + 1, 20)


def test_job_progress_never_goes_back(monkeypatch):
    clock = iter([0.0, 1.0, 2.0, 3.0, 4.0])
    writes = []
    monkeypatch.setattr(runner, "job_progress_write", lambda **kw: writes.append(kw["percent"]))
    progress = runner.JobProgress("job", clock=lambda: next(clock))

    progress(10, "Opening")
    progress(30)
    progress(20)
    progress(25, "Reading")

    assert writes == [10, 30, 30]


def test_job_progress_skips_writes_within_the_interval(monkeypatch):
    now = [0.0]
    writes = []
    monkeypatch.setattr(runner, "job_progress_write", lambda **kw: writes.append(kw["percent"]))
    progress = runner.JobProgress("job", clock=lambda: now[0])

    progress(1, "Reading")
    for percent in range(2, 50):
        now[0] += 0.01
        progress(percent)
    now[0] += 1
    progress(50)

    assert writes == [1, 50]


def _zip_without_ifc() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("readme.txt", "no model here")
    return buffer.getvalue()


def _empty_model(tmp_path) -> bytes:
    import ifcopenshell
    import ifcopenshell.guid

    model = ifcopenshell.file(schema="IFC4")
    model.createIfcProject(ifcopenshell.guid.new(), None, "Empty")
    path = tmp_path / "empty.ifc"
    model.write(str(path))
    return path.read_bytes()


@pytest.mark.parametrize(
    ("case", "reason_part"),
    [
        ("truncated", "cut short"),
        ("empty_model", "no building elements"),
        ("corrupt_record", ""),
    ],
)
def test_bad_model_fails_the_version_with_a_readable_reason(
    project, editor, synthetic_ifc, upload_file, api_client_for, tmp_path, case, reason_part
):
    good = synthetic_ifc(elements=8).read_bytes()
    content, name = {
        "truncated": lambda: (good[: len(good) // 2], "cut.ifc"),
        "empty_model": lambda: (_empty_model(tmp_path), "empty.ifc"),
        "corrupt_record": lambda: (
            good.split(b"DATA;")[0]
            + b"DATA;\n#1=IFCWALL(\x00\xff\xfe);\nENDSEC;\nEND-ISO-10303-21;\n",
            "bad.ifc",
        ),
    }[case]()

    response = upload_file(project, editor, content, name=name)

    assert response.status_code == 201
    version = ModelVersion.objects.get()
    assert version.state == "failed"
    assert reason_part in version.failure_reason
    assert version.failure_reason.endswith(".") and "Traceback" not in version.failure_reason
    job = api_client_for(editor).get(response.json()["job_url"]).json()
    assert job["state"] == "failed"
    assert job["error"] == version.failure_reason
    assert job["finished_at"]
    assert not TakeoffElement.objects.exists()


def test_ifczip_expanding_past_the_limit_is_refused_at_upload(
    project, editor, synthetic_ifc, upload_file, settings
):
    path = synthetic_ifc(elements=40)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(path, "model.ifc")
    settings.IFC_MAX_EXPANDED_BYTES = 10_000

    response = upload_file(project, editor, buffer.getvalue(), name="bomb.ifczip")

    assert response.status_code == 400
    assert "zip bomb" in response.json()["detail"]
    assert not ModelVersion.objects.exists()


def test_ifczip_without_a_model_is_refused_at_upload(project, editor, upload_file):
    response = upload_file(project, editor, _zip_without_ifc(), name="model.ifczip")

    assert response.status_code == 400
    assert "holds no .ifc file" in response.json()["detail"]


def test_unexpected_error_fails_the_job_without_a_traceback_for_the_user(
    project, editor, synthetic_ifc, upload_file, monkeypatch
):
    import integrations.ifc

    def explode(*args, **kwargs):
        raise RuntimeError("secret internals /srv/app")

    monkeypatch.setattr(integrations.ifc, "take_off", explode)

    upload_file(project, editor, synthetic_ifc(elements=2))

    version = ModelVersion.objects.get()
    assert version.state == "failed"
    assert "failed unexpectedly (RuntimeError)" in version.failure_reason
    assert "/srv/app" not in version.failure_reason


def test_next_job_runs_after_a_failure(project, editor, synthetic_ifc, upload_file):
    good = synthetic_ifc(elements=4).read_bytes()
    upload_file(project, editor, good[:300], name="cut.ifc")

    upload_file(project, editor, good, name="good.ifc")

    states = dict(ModelVersion.objects.values_list("number", "state"))
    assert states == {1: "failed", 2: "ready"}


def test_running_a_finished_job_again_changes_nothing(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=4))
    job = Job.objects.get()
    rows = TakeoffElement.objects.count()

    result = run_job(job.pk)

    assert result["elements"] == 4
    assert TakeoffElement.objects.count() == rows
    assert Job.objects.get().attempts == 1


def test_retry_of_an_interrupted_job_redoes_it_cleanly(project, editor, synthetic_ifc, upload_file):
    upload_file(project, editor, synthetic_ifc(elements=4))
    job = Job.objects.get()
    rows = TakeoffElement.objects.count()
    # As if the worker died mid-run: the job is still "running".
    Job.objects.filter(pk=job.pk).update(state="running", progress=40)

    run_job(job.pk)

    job.refresh_from_db()
    assert (job.state, job.progress, job.attempts) == ("succeeded", 100, 2)
    assert TakeoffElement.objects.count() == rows


def test_job_for_a_deleted_version_is_skipped(db):
    assert run_job("00000000-0000-0000-0000-000000000000") == {"skipped": "job not found"}


def test_rerun_resets_the_version_and_queues_a_new_job(
    project, editor, synthetic_ifc, upload_file, django_capture_on_commit_callbacks
):
    upload_file(project, editor, synthetic_ifc(elements=4))
    version = ModelVersion.objects.get()

    with django_capture_on_commit_callbacks(execute=True):
        services.takeoff_job_enqueue(version=version, user=editor)

    assert Job.objects.filter(model_version=version).count() == 2
    version.refresh_from_db()
    assert version.state == "ready"


@needs_shared_ifc
def test_fzk_haus_upload_gives_the_takeoffs_totals(project, editor, upload_file, api_client_for):
    from integrations.ifc import aggregate, take_off

    expected = {
        (line.key["ifc_class"], line.key["material"]): line
        for line in aggregate(take_off(FZK_HAUS).elements, group_by=("ifc_class", "material"))
    }

    response = upload_file(project, editor, FZK_HAUS)
    assert response.status_code == 201
    takeoff = api_client_for(editor).get(
        f"/api/projects/{project.slug}/models/1/takeoff?group_by=ifc_class,material&page_size=1000"
    )

    body = takeoff.json()
    assert ModelVersion.objects.get().schema == "IFC4"
    got = {(line["ifc_class"], line["material"]): line for line in body["results"]}
    assert got.keys() == expected.keys()
    for key, line in expected.items():
        for name in ("count", "length", "area", "volume", "weight"):
            want = getattr(line, name)
            if want is None:
                assert got[key][name] is None, (key, name)
            else:
                assert got[key][name] == pytest.approx(want, rel=1e-9), (key, name)
        assert got[key]["element_count"] == line.element_count
    walls = sum(v["volume"] or 0 for k, v in got.items() if k[0] == "IfcWallStandardCase")
    slabs = sum(v["volume"] or 0 for k, v in got.items() if k[0] == "IfcSlab")
    # The shared README's baseline: walls 54.5 m³ net, slabs 77.0 m³.
    assert walls == pytest.approx(54.5, rel=0.01)
    assert slabs == pytest.approx(77.0, rel=0.01)


@needs_shared_ifc
@pytest.mark.slow
def test_the_job_meshes_in_the_configured_processes_and_says_it_is_preparing(
    project, editor, upload_file, monkeypatch, settings
):
    from integrations.ifc import aggregate, mesh_pool, take_off

    duplex = FZK_HAUS.parent / "duplex.ifc"
    settings.IFC_TAKEOFF_PROCESSES, settings.IFC_TAKEOFF_MEMORY_MB = 2, 100_000
    forked, seen = [], []
    run, write = mesh_pool.Pool.run, runner.job_progress_write

    def spy(self, processes, on_result, on_wait):
        forked.append(processes)
        return run(self, processes, on_result, on_wait)

    def record(*, job_id, percent, phase, **fields):
        seen.append(phase)
        write(job_id=job_id, percent=percent, phase=phase, **fields)

    monkeypatch.setattr(mesh_pool.Pool, "run", spy)
    monkeypatch.setattr(runner, "job_progress_write", record)

    assert upload_file(project, editor, duplex).status_code == 201

    assert forked == [2]
    assert seen.index("Preparing geometry") < seen.index("Measuring geometry")
    expected = aggregate(take_off(duplex, processes=1).elements, group_by=("ifc_class",))
    stored = TakeoffElement.objects.filter(model_version__state="ready")
    for line in expected:
        rows = stored.filter(ifc_class=line.key["ifc_class"])
        volume = sum(r.volume or 0 for r in rows)
        assert volume == pytest.approx(line.volume or 0, rel=1e-9), line.key
