"""The published examples of the Genomics Reporting IG 3.0.0 and mCODE 4.0.0 packages (shared
data): every one parses as FHIR R4; the HER2, PD-L1, MSI and ECOG examples map to the case
fields they state (or are reported as not usable, with the reason); the mCODE breast-cancer
patient bundle is refused as not gastric."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B import get_fhir_model_class
from fhir_helpers import IG_PACKAGES, gastric_record

from her2gc.errors import InputError
from her2gc.readers.fhir import bundle_to_case
from her2gc.readers.fhir_bundle import FhirVocabulary


def _example(fhir_data: Path, package: str, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((fhir_data / package / "package" / "example" / name).read_text(encoding="utf-8"))
    return data


GR, MCODE = IG_PACKAGES


def test_every_example_parses_as_r4(fhir_data: Path) -> None:
    files = sorted(p for name in IG_PACKAGES for p in (fhir_data / name / "package" / "example").glob("*.json"))
    assert len(files) >= 380, "both packages' examples (204 + 179 as published)"
    for path in files:
        data = json.loads(path.read_text(encoding="utf-8"))
        get_fhir_model_class(data["resourceType"]).model_validate(data)


def _mapped(vocab: FhirVocabulary, observation: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    patient = observation["subject"]["reference"].split("/")[-1]
    result = bundle_to_case(gastric_record(patient, observation), vocab, source="example")
    return result.case, [w.message for w in result.warnings]


def test_msi_high_example(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """MSIExample states LOINC 81695-9 = LA26203-2 'MSI-H'."""
    case, _ = _mapped(vocab, _example(fhir_data, GR, "Observation-MSIExample.json"))
    assert case["msi"] == "MSI-H"


def test_msi_stable_example(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """MicrosatelliteInstabilityExample01 states LA14122-8 'Stable'."""
    case, _ = _mapped(vocab, _example(fhir_data, GR, "Observation-MicrosatelliteInstabilityExample01.json"))
    assert case["msi"] == "MSS"


def test_mcode_msi_example(fhir_data: Path, vocab: FhirVocabulary) -> None:
    case, _ = _mapped(vocab, _example(fhir_data, MCODE, "Observation-gx-genomic-msi.json"))
    assert case["msi"] == "MSI-H"


def test_pdl1_example_states_no_cps(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """PDL1Example states 'Positive' with a note '5% tumor proportion score': a TPS, not the CPS
    the gastric decision reads, so PD-L1 stays unset and the report says why."""
    case, warnings = _mapped(vocab, _example(fhir_data, GR, "Observation-PDL1Example.json"))
    assert "pdl1" not in case
    assert any("PDL1Example" in w and "combined positive score" in w for w in warnings)


def test_her2_immune_stain_example_states_presence_only(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """HER2byImmuneStainExample states LOINC 18474-7 = LA9633-4 'Present' (gene HGNC:3430): no
    0/1+/2+/3+ score, so it adds no HER2 test, and the report says so."""
    case, warnings = _mapped(vocab, _example(fhir_data, GR, "Observation-HER2byImmuneStainExample.json"))
    assert case["her2_tests"] == [
        {"date": case["her2_tests"][0]["date"], "ihc": {"score": "3+"}, "specimen": "biopsy"}
    ]  # the record's own test only
    assert any("HER2byImmuneStainExample" in w and "'Present'" in w and "not a score" in w for w in warnings)


def test_her2_immunoassay_example_is_reported(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """HER2byImmunoassayExample (LOINC 72382-5, IU/mL) is not an IHC score."""
    case, warnings = _mapped(vocab, _example(fhir_data, GR, "Observation-HER2byImmunoassayExample.json"))
    assert len(case["her2_tests"]) == 1
    assert any("HER2byImmunoassayExample" in w and "not used" in w for w in warnings)


def test_mcode_her2_tumour_marker_is_reported(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """tumor-marker-test-her2-jenny-m states 48676-1 'Negative': the laboratory's interpretation, recorded in the warnings."""
    _, warnings = _mapped(vocab, _example(fhir_data, MCODE, "Observation-tumor-marker-test-her2-jenny-m.json"))
    assert any("tumor-marker-test-her2-jenny-m" in w and "'Negative'" in w for w in warnings)


def test_mcode_ecog_example(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """ecog-performance-status-fully-active states 89247-1 valueInteger 0."""
    case, _ = _mapped(vocab, _example(fhir_data, MCODE, "Observation-ecog-performance-status-fully-active.json"))
    assert case["ecog"] == 0


def test_variant_example_maps_to_an_alteration(fhir_data: Path, vocab: FhirVocabulary) -> None:
    """EGFR-L858R-var: gene HGNC:3236, protein NP_005219.2:p.Leu858Arg, allele frequency 0.066."""
    case, _ = _mapped(vocab, _example(fhir_data, GR, "Observation-EGFR-L858R-var.json"))
    assert case["alterations"] == [
        {
            "gene": "EGFR",
            "kind": "mut",
            "source": "tissue",
            "protein_change": "p.L858R",
            "vaf": 0.066,
            "date": case["alterations"][0]["date"],
        }
    ]


def test_breast_cancer_bundle_is_refused(fhir_data: Path, vocab: FhirVocabulary) -> None:
    bundle = _example(fhir_data, MCODE, "Bundle-mcode-patient-bundle-jenny-m.json")
    with pytest.raises(InputError) as refused:
        bundle_to_case(bundle, vocab, source="jenny-m.json")
    message = refused.value.one_line()
    assert message.startswith("jenny-m.json: Condition/primary-cancer-condition-jenny-m.code: ")
    assert "353431000119107" in message and "not a gastric, GEJ or oesophageal cancer" in message


@pytest.mark.parametrize(
    "name", ["Bundle-bundle-oncologyexamples-r4.json", "Bundle-bundle-oncology-report-example.json"]
)
def test_oncology_bundles_without_a_cancer_condition_are_refused(
    fhir_data: Path, vocab: FhirVocabulary, name: str
) -> None:
    with pytest.raises(InputError, match="no primary cancer Condition"):
        bundle_to_case(_example(fhir_data, GR, name), vocab, source=name)
