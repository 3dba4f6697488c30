"""Golden cases: expectations written from the guideline and review text (the `basis`
of each expected file), never from running the code. The checks are in golden_checks."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from golden_checks import case_names, case_params, check_basis, check_report, expectations, load_expected, report_for

CASES = Path(__file__).parent / "cases" / "core"


@pytest.mark.parametrize(("name", "part"), case_params(CASES))
def test_golden_core(name: str, part: str, kb: Any) -> None:
    expected = load_expected(CASES, name)
    check_basis(expected)
    check_report(report_for(CASES, name, kb), expectations(expected, part))


def test_enough_golden_cases() -> None:
    assert len(case_names(CASES)) >= 30
