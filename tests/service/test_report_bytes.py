"""The service's report JSON is the command line's, byte for byte (orjson path and its fallback)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

import her2gc
from her2gc.render import to_json
from her2gc.service.evaluation import report_json

CASES = sorted(
    p for p in (Path(__file__).resolve().parents[1] / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml")
)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.stem)
def test_golden_cases_give_the_command_lines_bytes(path, kb):
    case = her2gc.Case.model_validate(yaml.safe_load(path.read_text()))
    report = her2gc.evaluate(case, kb, her2gc.EvaluationOptions(region=None if case.region else "US", with_model=False))
    assert report_json(report) == to_json(report).encode()


@settings(max_examples=40, deadline=None)
@given(
    vaf=st.floats(min_value=0, max_value=1, allow_nan=False),
    copies=st.floats(min_value=0, max_value=1000, allow_nan=False),  # the case range of copy number
)
def test_floats_in_any_form_give_the_same_bytes(kb, vaf, copies):
    """Exponent-form floats (1e-05, 1e+16) are where the two writers differ; the fallback covers them."""
    case = her2gc.Case.model_validate(
        {
            "patient_id": "FLOATS",
            "region": "US",
            "tumour": {"site": "stomach"},
            "her2_tests": [{"specimen": "biopsy", "ihc": {"score": "3+"}}],
            "alterations": [
                {"gene": "MET", "kind": "amp", "copy_number": copies},
                {"gene": "PIK3CA", "kind": "mut", "protein_change": "p.H1047R", "vaf": vaf, "source": "plasma"},
            ],
        }
    )
    report = her2gc.evaluate(case, kb, her2gc.EvaluationOptions(with_model=False))
    assert report_json(report) == to_json(report).encode()


def test_exponent_floats_take_the_slow_path_and_ordinary_reports_the_fast_one(kb):
    import orjson

    from her2gc.report import TraceItem
    from her2gc.service.evaluation import spelled_differently

    case = her2gc.Case.model_validate(
        yaml.safe_load(
            (Path(__file__).resolve().parents[2] / "examples" / "her2_positive_second_line.yaml").read_text()
        )
    )
    report = her2gc.evaluate(case, kb)
    fast = orjson.dumps(report.to_json_dict(), option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    assert not spelled_differently(fast) and fast == to_json(report).encode()
    odd = report.model_copy(
        update={"trace": [TraceItem(rule="r", inputs={"tiny": 1e-05, "huge": 1e16, "list": [2.5e-07]}, conclusion="c")]}
    )
    assert report_json(odd) == to_json(odd).encode()
    assert b'"tiny": 1e-05' in report_json(odd)


@settings(max_examples=400, deadline=None)
@given(
    value=st.one_of(
        st.floats(allow_nan=False, allow_infinity=False),
        st.floats(min_value=1e-9, max_value=1e-3),
        st.floats(min_value=1e15, max_value=1e18),
    )
)
def test_every_float_orjson_spells_otherwise_is_detected(value):
    """Where orjson and json.dumps spell a float differently (1e-05 against 0.00001), the fast path steps aside."""
    import json

    import orjson

    from her2gc.service.evaluation import spelled_differently

    document = {"value": value, "list": [value, 1]}
    python = (json.dumps(document, indent=2, sort_keys=True) + "\n").encode()
    fast = orjson.dumps(document, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS) + b"\n"
    assert python == fast or spelled_differently(fast)
