"""The checks of the golden case runners (tests/cases/core and tests/cases/trust).

Each expected file holds a `basis` (the source text its expectations come from) and an
`expect` mapping; every key of `expect` is one check below. Where the engine disagrees
with a source, the expectation the source gives is kept apart under
`engine_error: {reason: ..., expect: {...}}`: the runner runs it as a second test marked
`xfail(strict=True, reason=...)`, so that it passes the day the engine is put right.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

import her2gc
from her2gc.engine import EvaluationOptions

# Every key a golden `expect` mapping may use; an unknown key is a typo, never ignored.
KNOWN_KEYS = {
    "her2",
    "decision_line",
    "rank1",
    "offered",
    "not_offered",
    "order",
    "ranked_before",
    "n_offered",
    "approval",
    "approval_id",
    "approval_confirmed",
    "approval_sources_nonempty",
    "approval_sources_empty",
    "category",
    "trials",
    "trials_exclude",
    "cautions_contain",
    "cautions_absent",
    "caution_ids",
    "caution_kinds",
    "missed_primary_endpoint",
    "why_contains",
    "excluded_reason_contains",
    "outcomes",
    "warnings_contain",
    "warning_codes",
    "warning_fields",
    "no_warnings",
    "safety",
    "ctdna",
    "resistance",
}


def load_expected(folder: Path, name: str) -> dict[str, Any]:
    expected: dict[str, Any] = yaml.safe_load((folder / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    return expected


def case_names(folder: Path) -> list[str]:
    return sorted(p.name.removesuffix(".expected.yaml") for p in folder.glob("*.expected.yaml"))


def case_params(folder: Path) -> list[Any]:
    """(name, part) per golden case: part "expect", and "engine_error" (strict xfail) where one is reported."""
    params = []
    for name in case_names(folder):
        params.append(pytest.param(name, "expect", id=name))
        for i, error in enumerate(_engine_errors(load_expected(folder, name))):
            assert error.get("reason") and error.get("expect"), f"{name}: engine_error needs a reason and an expect"
            mark = pytest.mark.xfail(strict=True, reason=error["reason"])
            params.append(pytest.param(name, f"engine_error:{i}", id=f"{name}-engine_error{i}", marks=[mark]))
    return params


def _engine_errors(expected: dict[str, Any]) -> list[dict[str, Any]]:
    errors = expected.get("engine_error") or []
    return [errors] if isinstance(errors, dict) else list(errors)


def expectations(expected: dict[str, Any], part: str) -> dict[str, Any]:
    """The `expect` mapping of one part of a golden case ("expect" or "engine_error:N")."""
    if part == "expect":
        chosen: dict[str, Any] = expected["expect"]
    else:
        chosen = _engine_errors(expected)[int(part.split(":")[1])]["expect"]
    return chosen


def report_for(folder: Path, name: str, kb: Any) -> dict[str, Any]:
    case = her2gc.read_case(folder / f"{name}.yaml")
    report: dict[str, Any] = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False)).to_json_dict()
    return report


def check_basis(expected: dict[str, Any]) -> None:
    basis = expected.get("basis")
    assert isinstance(basis, str) and basis.strip(), "every golden case names the text its expectation comes from"
    # The basis cites sources by their citation, never by the project's internal file names.
    for internal in ("FACTS.md", "seed 00", "Seed 00", "ARCHITECTURE"):
        assert internal not in basis, f"basis names an internal file ({internal!r}); cite the source instead"


def _check_her2(her2: dict[str, Any], expected: dict[str, Any]) -> None:
    for key, value in expected.items():
        if key == "actions_include":
            assert set(value) <= set(her2["actions"]), her2["actions"]
        else:
            assert her2[key] == value, f"her2.{key}: {her2[key]!r} != {value!r}"


def _by_id(report: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {o["regimen_id"]: o for o in report["recommendations"]}


def _check_ranking(report: dict[str, Any], expect: dict[str, Any]) -> None:
    offered = [o["regimen_id"] for o in report["recommendations"]]
    not_offered = {e["regimen_id"] for e in report["excluded"]}
    if "rank1" in expect:
        assert offered and offered[0] == expect["rank1"], offered
    for regimen in expect.get("offered", []):
        assert regimen in offered, offered
    for regimen in expect.get("not_offered", []):
        assert regimen not in offered and regimen in not_offered, (offered, sorted(not_offered))
    if "order" in expect:
        order = [r for r in offered if r in expect["order"]]
        assert order == expect["order"], offered
    for first, then in expect.get("ranked_before", []):
        assert first in offered and then in offered, offered
        assert offered.index(first) < offered.index(then), f"{first} should rank before {then}: {offered}"
    if "n_offered" in expect:
        assert len(offered) == expect["n_offered"], offered


def _check_approvals(by_id: dict[str, dict[str, Any]], expect: dict[str, Any]) -> None:
    for regimen, status in expect.get("approval", {}).items():
        assert by_id[regimen]["approval"]["status"] == status, by_id[regimen]["approval"]
    for regimen, approval_id in expect.get("approval_id", {}).items():
        assert by_id[regimen]["approval"]["approval_id"] == approval_id, by_id[regimen]["approval"]
    for regimen, confirmed in expect.get("approval_confirmed", {}).items():
        assert by_id[regimen]["approval"]["confirmed"] is confirmed, by_id[regimen]["approval"]
    for regimen in expect.get("approval_sources_nonempty", []):
        assert by_id[regimen]["approval"]["sources"], by_id[regimen]["approval"]
    for regimen in expect.get("approval_sources_empty", []):
        assert by_id[regimen]["approval"]["sources"] == [], by_id[regimen]["approval"]


def _check_evidence(by_id: dict[str, dict[str, Any]], expect: dict[str, Any]) -> None:
    for regimen, category in expect.get("category", {}).items():
        assert by_id[regimen]["evidence"]["category"] == category, by_id[regimen]["evidence"]
    for regimen, trials in expect.get("trials", {}).items():
        assert by_id[regimen]["evidence"]["trials"] == trials, by_id[regimen]["evidence"]
    for regimen, trials in expect.get("trials_exclude", {}).items():
        cited = set(by_id[regimen]["evidence"]["trials"]) | {o["trial"] for o in by_id[regimen]["outcomes"]}
        assert not cited & set(trials), sorted(cited)
    for regimen, trials in expect.get("missed_primary_endpoint", {}).items():
        assert by_id[regimen]["missed_primary_endpoint"] == trials, by_id[regimen]["missed_primary_endpoint"]
    for regimen, fragment in expect.get("why_contains", {}).items():
        assert any(fragment in w for w in by_id[regimen]["why"]), by_id[regimen]["why"]


def _check_cautions(by_id: dict[str, dict[str, Any]], expect: dict[str, Any]) -> None:
    for regimen, fragment in expect.get("cautions_contain", {}).items():
        assert any(fragment in c for c in by_id[regimen]["cautions"]), by_id[regimen]["cautions"]
    for regimen, fragment in expect.get("cautions_absent", {}).items():
        assert not any(fragment in c for c in by_id[regimen]["cautions"]), by_id[regimen]["cautions"]
    for regimen, ids in expect.get("caution_ids", {}).items():
        present = [c["id"] for c in by_id[regimen]["caution_details"]]
        assert set(ids) <= set(present), present
    for regimen, kinds in expect.get("caution_kinds", {}).items():
        details = {c["id"]: c for c in by_id[regimen]["caution_details"]}
        for caution_id, want in kinds.items():
            for key, value in want.items():
                assert details[caution_id][key] == value, (caution_id, details[caution_id])


def _check_outcomes(by_id: dict[str, dict[str, Any]], expect: dict[str, Any]) -> None:
    for want in expect.get("outcomes", []):
        regimen, trial = want["regimen"], want["trial"]
        rows = [o for o in by_id[regimen]["outcomes"] if o["trial"] == trial]
        if "analysis" in want:
            rows = [o for o in rows if o["analysis"] == want["analysis"]]
        assert rows, (regimen, trial, by_id[regimen]["outcomes"])
        row = rows[0]
        for key, value in want.items():
            if key in ("regimen", "trial", "analysis"):
                continue
            if key == "printed":
                for field, text in value.items():
                    assert row["printed"].get(field) == text, (field, row["printed"])
            else:
                assert row[key] == value, (key, row)


def _check_excluded(report: dict[str, Any], expect: dict[str, Any]) -> None:
    reasons = {e["regimen_id"]: e["why_not"] for e in report["excluded"]}
    for regimen, fragment in expect.get("excluded_reason_contains", {}).items():
        assert regimen in reasons, sorted(reasons)
        assert any(fragment in r for r in reasons[regimen]), reasons[regimen]


def _check_warnings(report: dict[str, Any], expect: dict[str, Any]) -> None:
    texts = [w["message"] for w in report["warnings"]]
    texts += [part for note in report["notes"] for part in (note["id"], note["text"])]
    for fragment in expect.get("warnings_contain", []):
        assert any(fragment in t for t in texts), texts
    codes = [w["code"] for w in report["warnings"]]
    for code in expect.get("warning_codes", []):
        assert code in codes, codes
    for code, fields in expect.get("warning_fields", {}).items():
        matching = [w for w in report["warnings"] if w["code"] == code]
        assert matching and set(fields) <= set(matching[0]["fields"]), matching
    if expect.get("no_warnings"):
        assert report["warnings"] == [], report["warnings"]


def _check_safety(report: dict[str, Any], expect: dict[str, Any]) -> None:
    for want in expect.get("safety", []):
        matches = [s for s in report["safety"] if s["event"] == want["event"]]
        assert matches, report["safety"]
        for key, value in want.items():
            assert matches[0][key] == value, (key, matches[0])


def _check_ctdna(report: dict[str, Any], expect: dict[str, Any]) -> None:
    resistance = report["resistance"]
    want = expect.get("ctdna")
    if want is not None:
        ctdna = resistance["ctdna"]
        assert ctdna is not None, resistance
        for key, value in want.items():
            if key == "pattern":
                assert resistance["ctdna_pattern"] == value, resistance["ctdna_pattern"]
            elif key == "timings":
                assert [t["timing"] for t in ctdna["timepoints"]] == value, ctdna["timepoints"]
            elif key == "timing_derived":
                assert all(t["timing_derived"] is value for t in ctdna["timepoints"]), ctdna["timepoints"]
            elif key in ("baseline", "nadir", "last"):
                assert ctdna[key]["erbb2_copy_number"] == value, ctdna[key]
            else:
                assert ctdna[key] == value, (key, ctdna[key])
    res = expect.get("resistance", {})
    for action in res.get("actions_include", []):
        assert action in resistance["actions"], resistance["actions"]
    for action in res.get("actions_absent", []):
        assert action not in resistance["actions"], resistance["actions"]
    mechanisms = [m["id"] for m in resistance["mechanisms"]]
    for mechanism in res.get("mechanisms_include", []):
        assert mechanism in mechanisms, mechanisms
    for mechanism in res.get("mechanisms_absent", []):
        assert mechanism not in mechanisms, mechanisms


def check_report(report: dict[str, Any], expect: dict[str, Any]) -> None:
    """Every expectation of one golden case against its report."""
    unknown = set(expect) - KNOWN_KEYS
    assert not unknown, f"unknown expectation keys: {sorted(unknown)}"
    _check_her2(report["her2"], expect.get("her2", {}))
    if "decision_line" in expect:
        assert report["decision_line"] == expect["decision_line"], report["decision_line"]
    _check_ranking(report, expect)
    by_id = _by_id(report)
    _check_approvals(by_id, expect)
    _check_evidence(by_id, expect)
    _check_cautions(by_id, expect)
    _check_outcomes(by_id, expect)
    _check_excluded(report, expect)
    _check_warnings(report, expect)
    _check_safety(report, expect)
    _check_ctdna(report, expect)
