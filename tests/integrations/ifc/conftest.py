"""Fixtures for the takeoff tests: the shared real IFC files and small synthetic models."""

from __future__ import annotations

from pathlib import Path

import pytest

from integrations.ifc.synthetic import write_synthetic_model

REPO_ROOT = Path(__file__).resolve().parents[3]
SHARED_IFC = REPO_ROOT.parent / "shared" / "ifc"


@pytest.fixture(scope="session")
def shared_ifc() -> Path:
    """The folder of real IFC files kept beside the repository (never committed)."""
    if not SHARED_IFC.is_dir():
        pytest.skip(f"real IFC test files not found at {SHARED_IFC} (see shared/ifc/README.md)")
    return SHARED_IFC


@pytest.fixture(scope="session")
def real_file(shared_ifc: Path):
    """Return the path of one shared file, skipping if that file is missing."""

    def get(name: str) -> Path:
        path = shared_ifc / name
        if not path.is_file():
            pytest.skip(f"{name} is missing from {shared_ifc}")
        return path

    return get


@pytest.fixture(scope="session")
def synthetic(tmp_path_factory):
    """Write (once per argument set) a synthetic model and return its path."""
    folder = tmp_path_factory.mktemp("synthetic")
    written: dict[tuple, Path] = {}

    def get(elements: int = 40, **options) -> Path:
        key = (elements, *sorted(options.items()))
        if key not in written:
            name = "_".join(str(part) for part in key).replace("/", "-")
            path = folder / f"model_{name}.ifc"
            write_synthetic_model(path, elements=elements, **options)
            written[key] = path
        return written[key]

    return get
