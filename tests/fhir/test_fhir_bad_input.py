"""Bad or partial FHIR input: errors name the resource and element in one line; what is left
out (another patient's resources, unknown codes, resources the mapping does not read, records
marked entered-in-error) is reported, never dropped silently. Hypothesis throws arbitrary JSON
at the reader: it refuses with an InputError or maps, and never fails otherwise."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from fhir_helpers import GOLDEN, gastric_record
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from her2gc.errors import InputError
from her2gc.readers.fhir import bundle_to_case
from her2gc.readers.fhir_bundle import FhirVocabulary


def _messages(vocab: FhirVocabulary, bundle: dict[str, Any]) -> list[str]:
    return [w.message for w in bundle_to_case(bundle, vocab, source="b.json").warnings]


def test_not_a_bundle(vocab: FhirVocabulary) -> None:
    with pytest.raises(InputError, match=r"^b.json: resourceType: expected 'Bundle', found 'Patient'$"):
        bundle_to_case({"resourceType": "Patient"}, vocab, source="b.json")


def test_malformed_element_is_named(vocab: FhirVocabulary) -> None:
    bundle = gastric_record("p1")
    bundle["entry"][2]["resource"]["effectiveDateTime"] = "2025-13-45"
    with pytest.raises(
        InputError, match=r"^b.json: Observation/her2-ihc.effectiveDateTime: DateTime value string does not match"
    ):
        bundle_to_case(bundle, vocab, source="b.json")


def test_two_patients_are_refused(vocab: FhirVocabulary) -> None:
    bundle = gastric_record("p1", {"resourceType": "Patient", "id": "p2"})
    with pytest.raises(InputError, match="2 Patient resources"):
        bundle_to_case(bundle, vocab, source="b.json")


def test_another_patients_result_is_left_out(vocab: FhirVocabulary) -> None:
    other = {"resourceType": "Observation", "id": "msi-other", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": "81695-9"}]},
             "subject": {"reference": "Patient/someone-else"}, "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA26203-2"}]}}  # fmt: skip
    mapped = bundle_to_case(gastric_record("p1", other), vocab, source="b.json")
    assert mapped.case.get("msi") is None
    assert any(
        "Observation/msi-other" in w.message and "not the bundle's patient" in w.message for w in mapped.warnings
    )


def test_unknown_msi_answer_is_refused(vocab: FhirVocabulary) -> None:
    msi = {
        "resourceType": "Observation",
        "id": "msi",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "81695-9"}]},
        "valueCodeableConcept": {"coding": [{"system": "http://loinc.org", "code": "LA0000-0"}]},
    }
    with pytest.raises(
        InputError,
        match=r"^b.json: Observation/msi.valueCodeableConcept: http://loinc.org LA0000-0 is not one of LA26203-2",
    ):
        bundle_to_case(gastric_record("p1", msi), vocab, source="b.json")


def test_unmapped_resources_are_listed(vocab: FhirVocabulary) -> None:
    height = {
        "resourceType": "Observation",
        "id": "height",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "8302-2", "display": "Body height"}]},
        "valueQuantity": {"value": 170},
    }
    messages = _messages(vocab, gastric_record("p1", height, {"resourceType": "Organization", "id": "lab"}))
    assert any("Observation/height" in m and "8302-2" in m for m in messages)
    assert any("Organization x1" in m for m in messages)


def test_entered_in_error_is_counted(vocab: FhirVocabulary) -> None:
    bundle = gastric_record("p1")
    wrong = copy.deepcopy(bundle["entry"][2]["resource"]) | {
        "id": "her2-wrong",
        "status": "entered-in-error",
        "valueString": "0",
    }
    bundle["entry"].append({"resource": wrong})
    mapped = bundle_to_case(bundle, vocab, source="b.json")
    assert [t["ihc"]["score"] for t in mapped.case["her2_tests"]] == ["3+"]
    assert any("entered-in-error" in w.message for w in mapped.warnings)


def test_two_ihc_scores_on_one_specimen_are_refused(vocab: FhirVocabulary) -> None:
    bundle = gastric_record("p1")
    second = copy.deepcopy(bundle["entry"][2]["resource"]) | {"id": "her2-again", "valueString": "1+"}
    bundle["entry"].append({"resource": second})
    with pytest.raises(InputError, match="two HER2 ihc results on the same specimen"):
        bundle_to_case(bundle, vocab, source="b.json")


def test_product_level_rxnorm_code_is_reported(vocab: FhirVocabulary) -> None:
    """RxNorm 309311 (cisplatin 1 MG/ML Injectable Solution, a clinical drug in the mCODE examples) is not an
    ingredient code, and its display is a product, not an ingredient name: reported, not guessed."""
    statement = {"resourceType": "MedicationStatement", "id": "cis", "status": "completed", "subject": {"reference": "Patient/p1"},
                 "medicationCodeableConcept": {"coding": [{"system": "http://www.nlm.nih.gov/research/umls/rxnorm", "code": "309311", "display": "cisplatin 1 MG/ML Injectable Solution"}]},
                 "effectivePeriod": {"start": "2025-02-01", "end": "2025-06-01"}}  # fmt: skip
    mapped = bundle_to_case(gastric_record("p1", statement), vocab, source="b.json")
    assert "treatment_history" not in mapped.case
    assert any("MedicationStatement/cis" in w.message and "309311" in w.message for w in mapped.warnings)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3),
    max_leaves=12,
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    noise=JSON, where=st.sampled_from(["valueString", "effectiveDateTime", "specimen", "component", "subject", "code"])
)
def test_arbitrary_values_are_refused_or_mapped(noise: Any, where: str, vocab: FhirVocabulary) -> None:
    bundle = json.loads((GOLDEN / "second_line_after_trastuzumab.json").read_text(encoding="utf-8"))
    target = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Observation")
    target[where] = noise
    try:
        bundle_to_case(bundle, vocab, source="b.json")
    except InputError as error:
        assert error.one_line().startswith("b.json: ")


def test_validation_memo_remembers_only_valid_content(vocab: FhirVocabulary) -> None:
    memo: dict[str, bool] = {}
    bundle = gastric_record("p1")
    first = bundle_to_case(bundle, vocab, source="b.json", validation_memo=memo)
    assert len(memo) == 3 and all(memo.values())  # Patient, Condition, Observation
    assert bundle_to_case(bundle, vocab, source="b.json", validation_memo=memo).case == first.case
    broken = copy.deepcopy(bundle)
    broken["entry"][2]["resource"]["effectiveDateTime"] = "2025-13-45"
    with pytest.raises(InputError, match="effectiveDateTime"):
        bundle_to_case(broken, vocab, source="b.json", validation_memo=memo)
    assert len(memo) == 3
