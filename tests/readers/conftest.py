from __future__ import annotations

from pathlib import Path

import pytest

from her2gc.case import Case

DATA = Path(__file__).resolve().parent / "data"
SHARED = Path(__file__).resolve().parents[2].parent / "shared" / "data"


@pytest.fixture(scope="session")
def data_dir() -> Path:
    return DATA


@pytest.fixture(scope="session")
def tcga() -> Path:
    folder = SHARED / "tcga_stad"
    if not (folder / "data_mutations.txt.gz").is_file():
        pytest.skip(f"TCGA STAD data not found at {folder} (expected ../shared/data beside the repository)")
    return folder


@pytest.fixture(scope="session")
def stes_calls() -> Path:
    path = SHARED / "tcga_stes_2017" / "data_clinical_sample.txt"
    if not path.is_file():
        pytest.skip(f"published TCGA STES calls not found at {path}")
    return path


@pytest.fixture()
def case() -> Case:
    return Case.model_validate({"patient_id": "P-1", "tumour": {"site": "stomach"}})
