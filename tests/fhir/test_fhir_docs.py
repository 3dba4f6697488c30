"""docs/fhir.md lists every code of fhir_codes.yaml, so the page a hospital reads is the mapping."""

from __future__ import annotations

from fhir_helpers import REPO

from her2gc.kb.schema_fhir import FhirCodes


def test_every_code_is_documented(codes: FhirCodes) -> None:
    page = (REPO / "docs" / "fhir.md").read_text(encoding="utf-8")
    listed = [
        c.code
        for c in (
            *codes.observations,
            *codes.answers,
            *codes.specimens,
            *codes.comorbidities,
            *codes.stop_reasons,
            *codes.adverse_events,
            *codes.change_types,
        )
    ]
    listed += [
        c.code
        for c in (
            *codes.cancer.disorders,
            *codes.cancer.topography,
            *codes.cancer.morphology,
            *codes.cancer.secondary,
            *codes.components.values(),
        )
    ]
    listed += (
        [code for m in codes.medications for code in (*m.rxnorm, *m.atc)]
        + list(codes.local.codes)
        + list(codes.local.extensions)
    )
    missing = sorted({code for code in listed if f"`{code}`" not in page})
    assert missing == []
    assert all(drug.drug in page for drug in codes.medications)
