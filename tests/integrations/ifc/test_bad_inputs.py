"""Bad uploads raise a TakeoffError subclass with a readable reason, never a raw crash."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import ifcopenshell
import pytest

from integrations.ifc import (
    ArchiveTooLargeError,
    EmptyModelError,
    NotIfcError,
    TakeoffError,
    TruncatedIfcError,
    UnsupportedSchemaError,
    read_model_info,
    take_off,
)


def random_bytes(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "random.ifc"
    path.write_bytes(os.urandom(20_000))
    return path


def text_file(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "notes.ifc"
    path.write_text("Bill of quantities, draft 3\nwalls: ask the architect\n")
    return path


def empty_file(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "empty.ifc"
    path.write_bytes(b"")
    return path


def cut_in_half(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "cut.ifc"
    data = model.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def cut_in_header(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "header.ifc"
    path.write_bytes(model.read_bytes()[:60])
    return path


def unknown_schema(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "ifc9.ifc"
    path.write_bytes(model.read_bytes().replace(b"FILE_SCHEMA(('IFC4'))", b"FILE_SCHEMA(('IFC9'))"))
    return path


def syntax_error_inside(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "garbled.ifc"
    data = model.read_bytes()
    middle = data.index(b"\n#", len(data) // 2)
    path.write_bytes(data[:middle] + b"\n#77=IFCWALL('x',,(((\x00\xff;\n" + data[middle:])
    return path


def no_elements(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "project_only.ifc"
    empty = ifcopenshell.file(schema="IFC4")
    empty.createIfcProject(ifcopenshell.guid.new(), None, "Nothing yet")
    empty.write(str(path))
    return path


def zip_bomb(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "bomb.ifczip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.ifc", model.read_bytes() + b" " * 3_000_000)
    return path


def zip_without_ifc(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "photos.ifczip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("site/photo.jpg", b"\xff\xd8\xff" + os.urandom(100))
        archive.writestr("readme.txt", "model follows")
    return path


def zip_with_two_models(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "two.ifczip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(model, "architecture.ifc")
        archive.write(model, "structure.ifc")
    return path


def damaged_zip(tmp_path: Path, model: Path) -> Path:
    path = tmp_path / "damaged.ifczip"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("model.ifc", model.read_bytes())
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


CASES = [
    (random_bytes, NotIfcError),
    (text_file, NotIfcError),
    (empty_file, NotIfcError),
    (cut_in_half, TruncatedIfcError),
    (cut_in_header, TruncatedIfcError),
    (unknown_schema, UnsupportedSchemaError),
    (syntax_error_inside, TruncatedIfcError),
    (no_elements, EmptyModelError),
    (zip_bomb, ArchiveTooLargeError),
    (zip_without_ifc, NotIfcError),
    (zip_with_two_models, NotIfcError),
    (damaged_zip, TruncatedIfcError),
]


def assert_readable(error: TakeoffError) -> None:
    assert error.reason == str(error)
    assert len(error.reason) > 30 and error.reason.endswith(".")
    assert "Traceback" not in error.reason and "check logs" not in error.reason


@pytest.mark.parametrize(("make", "error"), CASES, ids=[make.__name__ for make, _ in CASES])
def test_bad_input_raises_its_takeoff_error_with_a_reason(tmp_path, synthetic, make, error):
    path = make(tmp_path, synthetic(40, schema="IFC4"))

    with pytest.raises(error) as raised:
        take_off(path, geometry="auto", max_expanded_bytes=2_000_000)

    assert_readable(raised.value)


@pytest.mark.parametrize(
    ("make", "error"),
    [
        case
        for case in CASES
        if case[1] is not EmptyModelError and case[0] is not syntax_error_inside
    ],
    ids=[
        make.__name__
        for make, error in CASES
        if error is not EmptyModelError and make is not syntax_error_inside
    ],
)
def test_model_info_refuses_the_same_bad_inputs(tmp_path, synthetic, make, error):
    path = make(tmp_path, synthetic(40, schema="IFC4"))

    with pytest.raises(error) as raised:
        read_model_info(path, max_expanded_bytes=2_000_000)

    assert_readable(raised.value)


def test_missing_file_is_reported_not_raised_as_os_error(tmp_path):
    with pytest.raises(NotIfcError):
        take_off(tmp_path / "nowhere.ifc")


def test_ifczip_gives_the_same_takeoff_as_the_ifc_inside(tmp_path, synthetic):
    model = synthetic(40)
    archive_path = tmp_path / "model.ifczip"
    with zipfile.ZipFile(archive_path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.write(model, "Project/Model.IFC")

    zipped = take_off(archive_path, geometry="never")

    assert zipped.elements == take_off(model, geometry="never").elements
    assert read_model_info(archive_path) == read_model_info(model)


def test_ifc4x3_declared_without_addendum_is_read_as_ifc4x3(tmp_path, synthetic):
    path = tmp_path / "plain4x3.ifc"
    data = synthetic(40, schema="IFC4X3").read_bytes()
    path.write_bytes(data.replace(b"FILE_SCHEMA(('IFC4X3_ADD2'))", b"FILE_SCHEMA(('IFC4X3'))"))

    result = take_off(path, geometry="never")

    assert result.schema == "IFC4X3"
    assert read_model_info(path).schema == "IFC4X3"
    assert len({r.global_id for r in result.elements}) == 40


def test_a_record_with_garbage_arguments_is_a_takeoff_error(tmp_path):
    from integrations.ifc import TakeoffError, take_off

    path = tmp_path / "damaged.ifc"
    path.write_bytes(
        b"ISO-10303-21;\nHEADER;\nFILE_DESCRIPTION((''),'2;1');\nFILE_NAME('d','',(''),(''),'','','');\n"
        b"FILE_SCHEMA(('IFC4'));\nENDSEC;\nDATA;\n#1=IFCWALL(\x00\xff\xfe);\nENDSEC;\nEND-ISO-10303-21;\n"
    )
    with pytest.raises(TakeoffError) as caught:
        take_off(path, geometry="never")
    assert caught.value.reason
