"""Golden cases of the trust issue (tests/cases/trust): approvals as the sources state them,
current facts, standard options without HER2 targeting, ctDNA read against the timeline,
evidence that fits the patient, negative trials, pending ISH, sample identity on merges,
case warnings and numbers as printed. Expectations come from the source text (each
expected file's `basis`), never from running the code; where the engine disagrees with a
source the expectation is kept under `engine_error` and runs as a strict xfail."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import her2gc
from golden_checks import case_names, case_params, check_basis, check_report, expectations, load_expected, report_for
from her2gc.cli import main
from her2gc.engine import EvaluationOptions

CASES = Path(__file__).parent / "cases" / "trust"


def _cli_report(name: str, cli: dict[str, Any], capsys: pytest.CaptureFixture[str]) -> dict[str, Any] | None:
    """Run `her2gc evaluate` on the case with the expected file's arguments; the report when it succeeds."""
    args = [str(CASES / a) if (CASES / a).is_file() else a for a in cli["args"]]
    code = main(["evaluate", str(CASES / f"{name}.yaml"), *args, "--format", "json", "--no-model"])
    captured = capsys.readouterr()
    assert code == cli["exit"], (code, captured.err)
    for fragment in cli.get("stderr_contains", []):
        assert fragment in captured.err, captured.err
    if code != 0:
        assert "Traceback" not in captured.err, captured.err
        assert len(captured.err.strip().splitlines()) == 1, captured.err
        return None
    report: dict[str, Any] = json.loads(captured.out)
    return report


@pytest.mark.parametrize(("name", "part"), case_params(CASES))
def test_golden_trust(name: str, part: str, kb: Any, capsys: pytest.CaptureFixture[str]) -> None:
    expected = load_expected(CASES, name)
    check_basis(expected)
    if "cli" in expected:
        report = _cli_report(name, expected["cli"], capsys)
        if report is None:
            assert not expectations(expected, part), "a refused input has no report to check"
            return
    else:
        report = report_for(CASES, name, kb)
    check_report(report, expectations(expected, part))


def test_enough_trust_cases() -> None:
    assert len(case_names(CASES)) >= 25


EXAMPLES = Path(__file__).resolve().parents[1] / "examples"


@pytest.mark.parametrize("path", sorted(EXAMPLES.rglob("*.yaml")), ids=lambda p: p.name)
def test_shipped_examples_are_coherent(path: Path, kb: Any) -> None:
    """The examples a new user runs first raise no case warning (an adverse event on a drug never
    given, an ILD event without ILD history, overlapping lines), and their plasma ERBB2 fall during
    the first-line response is not read as HER2 loss (Tao & Huang 2026 §4.1 compare at progression)."""
    report = her2gc.evaluate(her2gc.read_case(path), kb, EvaluationOptions(with_model=False)).to_json_dict()
    assert report["warnings"] == [], report["warnings"]
    mechanisms = {m["id"] for m in report["resistance"]["mechanisms"]}
    if report["resistance"]["ctdna"] is not None and report["resistance"]["ctdna"]["responded_before_progression"]:
        assert report["resistance"]["ctdna_pattern"] != "falling" or "her2_loss_after_therapy" not in mechanisms
