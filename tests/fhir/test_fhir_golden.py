"""Golden FHIR bundles (tests/fhir/golden): hospital-style records written by hand, each with the
case fields and report fields it must give, or the refusal it must meet, and the ``basis`` in the
source text for each expectation (never a value copied from running the code)."""

from __future__ import annotations

import json
from typing import Any

import pytest
import yaml
from fhir_helpers import GOLDEN

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.errors import InputError
from her2gc.readers.fhir import bundle_to_case
from her2gc.readers.fhir_bundle import FhirVocabulary

NAMES = sorted(p.name.removesuffix(".expected.yaml") for p in GOLDEN.glob("*.expected.yaml"))


def _field(data: Any, dotted: str) -> Any:
    for part in dotted.split("."):
        data = data[int(part)] if isinstance(data, list) else data[part]
    return data


def _load(name: str) -> tuple[dict[str, Any], dict[str, Any]]:
    bundle = json.loads((GOLDEN / f"{name}.json").read_text(encoding="utf-8"))
    expected = yaml.safe_load((GOLDEN / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    return bundle, expected


def test_the_golden_set_is_whole() -> None:
    """First line HER2-positive, second line after trastuzumab, HER2-low, resistance with variants, and refusals."""
    assert {"first_line_her2_positive", "second_line_after_trastuzumab", "her2_low", "resistance_variants"} <= set(
        NAMES
    )
    assert {"refuse_not_gastric", "refuse_no_her2_result", "refuse_unknown_code"} <= set(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_golden_bundle(name: str, vocab: FhirVocabulary, kb: Any) -> None:
    bundle, expected = _load(name)
    assert expected["basis"].strip(), "every golden bundle names the text its expectation comes from"
    expect = expected["expect"]
    if "refused" in expect:
        with pytest.raises(InputError) as refused:
            bundle_to_case(bundle, vocab, source=f"{name}.json")
        message = refused.value.one_line()
        assert message.startswith(f"{name}.json: ")
        for fragment in expect["refused"]:
            assert fragment in message, message
        return
    mapped = bundle_to_case(bundle, vocab, source=f"{name}.json")
    case_json = her2gc.Case.model_validate({**mapped.case, "region": expected["region"]}).model_dump(mode="json")
    for dotted, value in expect.get("case", {}).items():
        assert _field(case_json, dotted) == value, dotted
    case = her2gc.Case.model_validate(case_json)
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False)).to_json_dict()
    for key, value in expect.get("her2", {}).items():
        assert report["her2"][key] == value, key
    assert report["decision_line"] == expect["decision_line"]
    offered = [o["regimen_id"] for o in report["recommendations"]]
    if "rank1" in expect:
        assert offered[0] == expect["rank1"], offered
    assert set(expect.get("offered", [])) <= set(offered), offered
    assert not set(expect.get("not_offered", [])) & set(offered), offered
    mechanisms = [m["id"] for m in report["resistance"]["mechanisms"]]
    assert set(expect.get("mechanisms", [])) <= set(mechanisms), mechanisms
    messages = [w.message for w in mapped.warnings]
    for fragment in expect.get("warnings_contain", []):
        assert any(fragment in m for m in messages), messages
