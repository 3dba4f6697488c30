"""Helpers of the FHIR tests: where the IG packages are, and a minimal gastric-cancer
record to put single example Observations into."""

from __future__ import annotations

from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
GOLDEN = Path(__file__).parent / "golden"
IG_PACKAGES = ("hl7.fhir.uv.genomics-reporting-3.0.0", "hl7.fhir.us.mcode-4.0.0")


def fhir_data_dir() -> Path | None:
    for base in (REPO / ".." / "shared" / "data", Path("/work/shared/data")):
        candidate = (base / "fhir").resolve()
        if all((candidate / name / "package").is_dir() for name in IG_PACKAGES):
            return candidate
    return None


def gastric_record(patient_id: str, *resources: dict[str, Any]) -> dict[str, Any]:
    """A Bundle: a Patient with this id, a gastric adenocarcinoma, and the given resources."""
    patient = {"resourceType": "Patient", "id": patient_id}
    condition = {
        "resourceType": "Condition",
        "id": "gastric",
        "extension": [
            {
                "url": "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-histology-morphology-behavior",
                "valueCodeableConcept": {
                    "coding": [{"system": "http://terminology.hl7.org/CodeSystem/icd-o-3", "code": "8140/3"}]
                },
            }
        ],
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C16.9"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
    }
    her2 = {
        "resourceType": "Observation",
        "id": "her2-ihc",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "18474-7"}]},
        "subject": {"reference": f"Patient/{patient_id}"},
        "effectiveDateTime": "2025-01-10",
        "valueString": "3+",
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"resource": r} for r in (patient, condition, her2, *resources)],
    }
