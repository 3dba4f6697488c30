"""The product speaks of itself: what a user reads cites sources by their citation and never
names internal files (the review documents by number, the facts file)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.render import to_html, to_text
from support import kb

ROOT = Path(__file__).resolve().parents[1]
CASES = [p for p in sorted((ROOT / "tests" / "cases").rglob("*.yaml")) if not p.name.endswith(".expected.yaml")]
CASES += sorted((ROOT / "examples").glob("*.yaml"))
INTERNAL = ("facts.md", "seed 00", "seed00", "the seed", "seed document", "seed review")
READ_KEYS = {
    "why",
    "cautions",
    "text",
    "message",
    "summary",
    "description",
    "indication",
    "conclusion",
    "rationale",
    "notes",
}


def _read_strings(value: Any, key: str = "") -> list[str]:
    if isinstance(value, dict):
        return [s for k, v in value.items() for s in _read_strings(v, k)]
    if isinstance(value, list):
        return [s for v in value for s in _read_strings(v, key)]
    return [value] if isinstance(value, str) and key in READ_KEYS else []


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_reports_name_no_internal_file(path: Path) -> None:
    try:
        case = her2gc.read_case(path, kb())
    except her2gc.InputError:
        pytest.skip("not a whole case (a fragment for a reader test)")
    report = her2gc.evaluate(case, kb(), EvaluationOptions(with_model=False))
    texts = [to_text(report, case), to_html(report, case), *_read_strings(json.loads(report.model_dump_json()))]
    found = sorted({word for text in texts for word in INTERNAL if word in text.lower()})
    assert found == [], f"{path.name}: user-facing text names {found}"
