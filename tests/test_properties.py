"""Property tests: the parser only ever raises validation errors; tiers are monotone in
the IHC score; reports are deterministic."""

from __future__ import annotations

from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.errors import InputError
from her2gc.her2 import classify
from her2gc.readers.case_file import case_from_data
from her2gc.render import to_json
from support import kb

TIER_ORDER = list(kb().ranking.her2_tier_order)

SCALARS = st.one_of(st.none(), st.booleans(), st.integers(-5, 10), st.floats(allow_nan=True), st.text(max_size=8))
VALUES = st.recursive(
    SCALARS,
    lambda children: st.one_of(
        st.lists(children, max_size=3), st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)
FIELDS = [
    "schema",
    "patient_id",
    "region",
    "tumour",
    "her2_tests",
    "pdl1",
    "msi",
    "treatment_history",
    "alterations",
    "ctdna",
    "adverse_events",
    "current_therapy",
]


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), VALUES, max_size=8))
def test_parser_raises_only_input_errors(data: dict[str, Any]) -> None:
    try:
        case_from_data(data)
    except InputError as exc:
        assert "\n" not in exc.one_line()


TIERED = st.fixed_dictionaries(
    {
        "patient_id": st.just("P"),
        "region": st.sampled_from(["US", "EU", "CN", "JP"]),
        "tumour": st.just({"site": "stomach"}),
        "her2_tests": st.lists(
            st.fixed_dictionaries(
                {
                    "specimen": st.sampled_from(["biopsy", "resection"]),
                    "ihc": st.fixed_dictionaries({"score": st.sampled_from(["0", "1+", "2+", "3+"])}),
                }
            ),
            min_size=1,
            max_size=2,
        ),
    }
)


@settings(deadline=None)
@given(st.sampled_from(["amplified", "not_amplified", "not_done"]))
def test_higher_ihc_never_lower_tier(ish: str) -> None:
    kb = her2gc.load_kb()
    tiers = [classify(score, ish, kb.her2_rules) for score in ("0", "1+", "2+", "3+")]  # type: ignore[arg-type]
    # A tier still pending (IHC 2+ awaiting ISH) counts as the lowest tier it may turn out to be.
    ranks = [
        min(TIER_ORDER.index(t) for t in (row.csco_tier_candidates or [row.csco_tier]))
        for row in tiers
        if row is not None
    ]
    assert ranks == sorted(ranks)


@settings(max_examples=60, deadline=None)
@given(TIERED, st.sampled_from(["0", "1+", "2+", "3+"]))
def test_raising_one_specimen_never_lowers_tier(data: dict[str, Any], higher: str) -> None:
    kb = her2gc.load_kb()
    base = her2gc.evaluate(case_from_data(data), kb, EvaluationOptions(with_model=False)).her2
    order = ["0", "1+", "2+", "3+"]
    tests = [dict(t) for t in data["her2_tests"]]
    if order.index(higher) <= order.index(tests[0]["ihc"]["score"]):
        return
    tests[0] = {**tests[0], "ihc": {"score": higher}}
    raised = her2gc.evaluate(
        case_from_data({**data, "her2_tests": tests}), kb, EvaluationOptions(with_model=False)
    ).her2

    def lowest(her2: Any) -> int:
        return min(TIER_ORDER.index(t) for t in (her2.csco_tier_candidates or [her2.csco_tier]))

    assert lowest(raised) >= lowest(base)


@settings(max_examples=40, deadline=None)
@given(TIERED)
def test_reports_are_deterministic(data: dict[str, Any]) -> None:
    kb = her2gc.load_kb()
    first = to_json(her2gc.evaluate(case_from_data(data), kb, EvaluationOptions(with_model=False)))
    second = to_json(her2gc.evaluate(case_from_data(data), kb, EvaluationOptions(with_model=False)))
    assert first == second
