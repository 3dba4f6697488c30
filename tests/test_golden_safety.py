"""Golden safety cases: dose actions by the labels and the safety cautions of the options.

Each expectation comes from the label or review text quoted in its ``basis``, never from
running the code. ``safety`` lists items the report must carry (each key equal in one of
the report's safety items); ``cautions_contain`` maps an offered regimen to a fragment of
one of its cautions; ``warnings_contain`` lists fragments of the report's warnings.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import her2gc
from her2gc.engine import EvaluationOptions

CASES = Path(__file__).parent / "cases" / "safety"
NAMES = sorted(p.name.removesuffix(".expected.yaml") for p in CASES.glob("*.expected.yaml"))


def _report(name: str, kb: Any) -> dict[str, Any]:
    case = her2gc.read_case(CASES / f"{name}.yaml", kb)
    return her2gc.evaluate(case, kb, EvaluationOptions(with_model=False)).to_json_dict()


def _check_safety(report: dict[str, Any], wanted: list[dict[str, Any]]) -> None:
    if not wanted:
        assert report["safety"] == [], report["safety"]
    for want in wanted:
        matches = [s for s in report["safety"] if all(s.get(k) == v for k, v in want.items())]
        assert matches, (want, report["safety"])
        for item in matches:
            # Every safety item names its drug, event, action, rule, sources and whether it is confirmed.
            assert item["rule"] and item["sources"] and isinstance(item["confirmed"], bool), item


def _check_cautions(report: dict[str, Any], wanted: dict[str, str]) -> None:
    by_id = {o["regimen_id"]: o for o in report["recommendations"]}
    for regimen, fragment in wanted.items():
        assert regimen in by_id, (regimen, sorted(by_id))
        assert any(fragment in c for c in by_id[regimen]["cautions"]), by_id[regimen]["cautions"]


@pytest.mark.parametrize("name", NAMES)
def test_golden_safety(name: str, kb: Any) -> None:
    expected = yaml.safe_load((CASES / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    assert expected["basis"].strip(), "every golden case names the text its expectation comes from"
    expect = expected["expect"]
    assert set(expect) <= {"safety", "cautions_contain", "warnings_contain"}, sorted(expect)
    report = _report(name, kb)
    if "safety" in expect:
        _check_safety(report, expect["safety"])
    _check_cautions(report, expect.get("cautions_contain", {}))
    messages = [w["message"] for w in report["warnings"]]
    for fragment in expect.get("warnings_contain", []):
        assert any(fragment in m for m in messages), messages


def test_enough_golden_safety_cases() -> None:
    assert len(NAMES) >= 15
