"""Fixtures of the FHIR tests: the code tables (loaded with ``load_fhir_codes`` until the
knowledge-base loader carries them), the mapping vocabulary and the IG packages of the shared data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir_helpers import fhir_data_dir

from her2gc.kb.schema_fhir import FhirCodes, load_fhir_codes
from her2gc.kb.yamlio import DATA_DIR
from her2gc.readers.fhir import FhirVocabulary, vocabulary_from_kb


@pytest.fixture(scope="session")
def fhir_data() -> Path:
    found = fhir_data_dir()
    if found is None:
        pytest.skip(
            "FHIR IG packages not found (expected ../shared/data/fhir beside the repo, or /work/shared/data/fhir)"
        )
    return found


@pytest.fixture(scope="session")
def codes() -> FhirCodes:
    return load_fhir_codes(DATA_DIR / "fhir_codes.yaml")


@pytest.fixture(scope="session")
def vocab(codes: FhirCodes, kb: Any) -> FhirVocabulary:
    return vocabulary_from_kb(codes, kb)
