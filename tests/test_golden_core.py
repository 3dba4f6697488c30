"""Golden cases: expectations written from the guideline and seed text (the `basis`
of each expected file), never from running the code."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import her2gc
from her2gc.engine import EvaluationOptions

CASES = Path(__file__).parent / "cases" / "core"
NAMES = sorted(p.name.removesuffix(".expected.yaml") for p in CASES.glob("*.expected.yaml"))


def _report(name: str, kb: Any) -> dict[str, Any]:
    case = her2gc.read_case(CASES / f"{name}.yaml")
    return her2gc.evaluate(case, kb, EvaluationOptions(with_model=False)).to_json_dict()


def _check_her2(her2: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key == "actions_include":
            assert set(value) <= set(her2["actions"]), her2["actions"]
        else:
            assert her2[key] == value, f"her2.{key}: {her2[key]!r} != {value!r}"


def _check_recommendations(report: dict[str, Any], expect: dict[str, Any]) -> None:
    offered = [o["regimen_id"] for o in report["recommendations"]]
    not_offered = {e["regimen_id"] for e in report["excluded"]}
    if "rank1" in expect:
        assert offered and offered[0] == expect["rank1"], offered
    for regimen in expect.get("offered", []):
        assert regimen in offered, offered
    for regimen in expect.get("not_offered", []):
        assert regimen not in offered and regimen in not_offered, (offered, sorted(not_offered))
    order = [r for r in offered if r in expect.get("order", [])]
    assert order == expect.get("order", order), offered
    by_id = {o["regimen_id"]: o for o in report["recommendations"]}
    for regimen, status in expect.get("approval", {}).items():
        assert by_id[regimen]["approval"]["status"] == status, by_id[regimen]["approval"]
    for regimen, fragment in expect.get("cautions_contain", {}).items():
        assert any(fragment in c for c in by_id[regimen]["cautions"]), by_id[regimen]["cautions"]


@pytest.mark.parametrize("name", NAMES)
def test_golden_core(name: str, kb: Any) -> None:
    expected = yaml.safe_load((CASES / f"{name}.expected.yaml").read_text())
    assert expected["basis"], "every golden case names the text its expectation comes from"
    expect = expected["expect"]
    report = _report(name, kb)
    _check_her2(report["her2"], expect.get("her2", {}))
    if "decision_line" in expect:
        assert report["decision_line"] == expect["decision_line"]
    _check_recommendations(report, expect)
    for fragment in expect.get("warnings_contain", []):
        texts = [w["message"] for w in report["warnings"]] + report["notes"]
        assert any(fragment in t for t in texts), texts
    for want in expect.get("safety", []):
        matches = [s for s in report["safety"] if s["event"] == want["event"]]
        assert matches, report["safety"]
        for key, value in want.items():
            assert matches[0][key] == value, (key, matches[0])


def test_enough_golden_cases() -> None:
    assert len(NAMES) >= 30
