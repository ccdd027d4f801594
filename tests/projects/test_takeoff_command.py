"""`manage.py takeoff FILE.ifc`: table or CSV, a progress bar, clear failures."""

import csv
import io
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from .conftest import REPO_ROOT


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("takeoff", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_table_with_totals_and_a_progress_bar(synthetic_ifc):
    path = synthetic_ifc(elements=12)

    out, err = run(str(path))

    assert "ifc_class" in out.splitlines()[0] and "volume" in out.splitlines()[0]
    assert "Exterior wall 300" in out
    assert "TOTAL" in out
    assert "IFC4: 12 elements" in out
    assert "100%" in err and "|" in err


def test_writes_csv_grouped_as_asked(synthetic_ifc, tmp_path):
    from integrations.ifc import aggregate, take_off

    path = synthetic_ifc(elements=12)
    target = tmp_path / "out.csv"

    _, err = run(str(path), "--group-by", "ifc_class,storey", "--csv", str(target))

    rows = list(csv.DictReader(target.open()))
    expected = aggregate(take_off(path).elements, group_by=("ifc_class", "storey"))
    assert [(r["ifc_class"], r["storey"]) for r in rows] == [
        (line.key["ifc_class"], line.key["storey"]) for line in expected
    ]
    assert float(rows[0]["volume (m³)"]) == pytest.approx(expected[0].volume, abs=5e-5)
    assert f"Wrote {len(rows)} lines" in err


def test_csv_to_stdout(synthetic_ifc):
    out, _ = run(str(synthetic_ifc(elements=4)), "--csv", "-", "--geometry", "never")

    assert out.startswith(
        "ifc_class,type_name,material,count (pcs),length (m),area (m²),volume (m³),weight (kg)"
    )


def test_quiet_run_shows_no_progress_bar(synthetic_ifc):
    _, err = run(str(synthetic_ifc(elements=4)), "--verbosity", "0")

    assert err == ""


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.ifc"], "No such file: missing.ifc"),
        (["FILE", "--group-by", "colour"], "Cannot group by colour"),
        (["FILE", "--threads", "0"], "--threads must be at least 1"),
        (["FILE", "--processes", "0"], "--processes must be at least 1"),
    ],
)
def test_bad_arguments_are_command_errors(synthetic_ifc, args, message):
    path = str(synthetic_ifc(elements=2))
    args = [path if a == "FILE" else a for a in args]

    with pytest.raises(CommandError, match=message):
        run(*args)


def test_file_that_is_not_ifc_is_a_clear_error(tmp_path):
    path = tmp_path / "notes.ifc"
    path.write_text("just some notes")

    with pytest.raises(CommandError, match=r"notes\.ifc: This is not an IFC file"):
        run(str(path))


def test_bad_file_exits_non_zero_without_traceback(tmp_path):
    path = tmp_path / "cut.ifc"
    path.write_bytes(b"ISO-10303-21;\nHEADER;\nFILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#1=IFCW")

    done = subprocess.run(
        [sys.executable, "manage.py", "takeoff", str(path)],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "DEBUG": "true",
            "PATH": "/usr/bin:/bin",
            "DJANGO_SETTINGS_MODULE": "openaec.settings",
        },
    )

    assert done.returncode != 0
    assert "cut.ifc" in done.stderr and "cut short" in done.stderr
    assert "Traceback" not in done.stderr
