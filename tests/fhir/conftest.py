"""Fixtures of the FHIR tests: the knowledge base's code tables, the mapping vocabulary and the
IG packages of the shared data."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from fhir_helpers import fhir_data_dir

from her2gc.kb.schema_fhir import FhirCodes
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
def codes(kb: Any) -> FhirCodes:
    return kb.fhir_codes  # type: ignore[no-any-return]


@pytest.fixture(scope="session")
def vocab(codes: FhirCodes, kb: Any) -> FhirVocabulary:
    return vocabulary_from_kb(codes, kb)
