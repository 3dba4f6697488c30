"""ctDNA patterns (seed 002 section 4; seed 001 for emergent alterations): boundaries of
the copy-number margin read from ctdna_patterns.yaml, emergence rules, precedence, and
properties over arbitrary timepoint lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from her2gc.case import Case
from her2gc.kb.schema_resistance import ResistanceKnowledge, build_resistance_knowledge
from her2gc.kb.yamlio import DATA_DIR
from her2gc.resistance import assess_resistance
from her2gc.resistance.ctdna import assess_ctdna, copy_number_pattern, emergent_alterations
from support import kb

STRATEGY_ORDER = kb().ranking.strategy_status_order

PATTERNS = {"rising", "falling", "molecular_response", "stable", "emergent_alterations", "insufficient_data"}
START = dt.date(2025, 1, 1)


def make_case(
    ctdna: list[dict[str, Any]],
    alterations: list[dict[str, Any]] | None = None,
    history: list[dict[str, Any]] | None = None,
) -> Case:
    return Case.model_validate(
        {
            "patient_id": "T",
            "tumour": {"site": "stomach"},
            "ctdna": ctdna,
            "alterations": alterations or [],
            "treatment_history": history or [],
        }
    )


def cn_points(*values: float) -> list[dict[str, Any]]:
    """Monthly samples: the first at baseline, the last at progression, the rest on treatment
    (the comparison Tao & Huang 2026 make: at progression against baseline)."""
    timings = ["baseline", *["on_treatment"] * (len(values) - 2), "progression"] if len(values) > 1 else ["baseline"]
    return [
        {"date": (START + dt.timedelta(days=30 * i)).isoformat(), "erbb2_copy_number": v, "timing": t}
        for i, (v, t) in enumerate(zip(values, timings, strict=True))
    ]


def margin(rk: ResistanceKnowledge, baseline: float) -> float:
    rules = rk.ctdna_patterns.margin
    return max(rules.relative_change * baseline, rules.min_absolute_change)


def pattern(rk: ResistanceKnowledge, *values: float) -> str | None:
    return copy_number_pattern(list(make_case(cn_points(*values)).ctdna), rk.ctdna_patterns)


def test_margin_is_marked_unconfirmed(rk: ResistanceKnowledge) -> None:
    # The seed gives the direction only; the numeric margin is a project default.
    assert rk.ctdna_patterns.margin.confirmed is False
    section = assess_resistance(make_case(cn_points(8.0, 12.0)), rk, False, False, STRATEGY_ORDER)
    assert any(t.rule == "resistance.ctdna.copy_number" and not t.confirmed for t in section.trace)


def test_boundaries_around_baseline(rk: ResistanceKnowledge) -> None:
    baseline = 8.0
    step = margin(rk, baseline)
    assert pattern(rk, baseline, baseline + step) == "rising"
    assert pattern(rk, baseline, baseline + step - 0.01) == "stable"
    assert pattern(rk, baseline, baseline - step) == "falling"
    assert pattern(rk, baseline, baseline - step + 0.01) == "stable"
    assert pattern(rk, baseline, baseline) == "stable"


def test_absolute_floor_for_a_near_zero_baseline(rk: ResistanceKnowledge) -> None:
    floor = rk.ctdna_patterns.margin.min_absolute_change
    assert pattern(rk, 0.0, floor) == "rising"
    assert pattern(rk, 0.0, floor * 0.9) == "stable"


def test_progression_is_compared_with_baseline(rk: ResistanceKnowledge) -> None:
    # A transient peak on treatment that comes back to baseline at progression is not rising.
    assert pattern(rk, 8.0, 20.0, 8.1) == "stable"
    assert pattern(rk, 8.0) is None


def test_baseline_is_the_last_baseline_point_with_a_copy_number(rk: ResistanceKnowledge) -> None:
    points = [{"date": "2024-12-01", "timing": "baseline"}, *cn_points(4.0, 9.0)]
    assert copy_number_pattern(list(make_case(points).ctdna), rk.ctdna_patterns) == "rising"


FIRST_LINE = [
    {"line": 1, "drugs": ["trastuzumab", "capecitabine", "oxaliplatin"], "start": "2025-02-01", "end": "2025-09-01",
     "best_response": "PR", "stop_reason": "progression"},
]  # fmt: skip


def test_a_fall_during_response_is_a_molecular_response_not_her2_loss(rk: ResistanceKnowledge) -> None:
    """Tao & Huang 2026 §4.1 compare at progression; a fall on treatment is a response."""
    points = [{"date": "2025-02-01", "erbb2_copy_number": 8.2}, {"date": "2025-05-01", "erbb2_copy_number": 3.1}]
    section = assess_resistance(make_case(points, history=FIRST_LINE), rk, False, False, STRATEGY_ORDER)
    assert section.ctdna_pattern == "molecular_response"
    assert section.ctdna is not None and [t.timing for t in section.ctdna.timepoints] == ["baseline", "on_treatment"]
    assert all(t.timing_derived for t in section.ctdna.timepoints)
    assert "her2_loss_after_therapy" not in {m.id for m in section.mechanisms}
    assert "retest_her2_on_new_biopsy" not in section.actions


def test_a_rebound_at_progression_is_not_read_as_her2_loss(rk: ResistanceKnowledge) -> None:
    points = [
        {"date": "2025-02-01", "erbb2_copy_number": 9.0},
        {"date": "2025-05-01", "erbb2_copy_number": 2.1},
        {"date": "2025-09-01", "erbb2_copy_number": 6.5},
    ]
    section = assess_resistance(make_case(points, history=FIRST_LINE), rk, False, False, STRATEGY_ORDER)
    assert section.ctdna is not None
    assert section.ctdna.timepoints[-1].timing == "progression" and section.ctdna.rebound_from_nadir
    assert section.ctdna.baseline and section.ctdna.nadir and section.ctdna.last
    assert (section.ctdna.baseline.erbb2_copy_number, section.ctdna.nadir.erbb2_copy_number) == (9.0, 2.1)
    assert "her2_loss_after_therapy" not in {m.id for m in section.mechanisms}


def test_a_rise_at_progression_after_a_response_is_not_primary_resistance(rk: ResistanceKnowledge) -> None:
    points = [{"date": "2025-02-01", "erbb2_copy_number": 8.2}, {"date": "2025-09-03", "erbb2_copy_number": 14.5}]
    section = assess_resistance(make_case(points, history=FIRST_LINE), rk, False, False, STRATEGY_ORDER)
    assert section.ctdna_pattern == "rising"
    assert "assess_primary_resistance" not in section.actions and "rising_after_response" in section.actions


def test_emergent_from_ctdna_variants_and_dated_plasma_alterations() -> None:
    points = cn_points(7.0, 7.0)
    points[0]["variants"] = [{"gene": "TP53", "protein_change": "p.R273H", "vaf": 0.1}]
    points[1]["variants"] = [{"gene": "TP53", "protein_change": "p.Arg273His", "vaf": 0.1}]
    alterations = [
        {"gene": "MET", "kind": "amp", "source": "plasma", "date": "2025-06-01"},
        {"gene": "EGFR", "kind": "amp", "source": "plasma"},  # undated: cannot be placed in time
        {"gene": "KRAS", "kind": "mut", "protein_change": "p.G12D", "source": "tissue", "date": "2025-06-01"},
    ]
    emergent = emergent_alterations(make_case(points, alterations))
    assert emergent == ["MET amp (first seen 2025-06-01)"]


def test_zero_vaf_is_absent_not_emergent() -> None:
    points = cn_points(7.0, 7.0)
    points[1]["variants"] = [{"gene": "KRAS", "protein_change": "p.G12D", "vaf": 0.0}]
    assert emergent_alterations(make_case(points)) == []


def test_present_at_first_timepoint_is_not_emergent() -> None:
    points = cn_points(7.0, 7.0)
    points[0]["variants"] = [{"gene": "PIK3CA", "protein_change": "p.H1047R", "vaf": 0.05}]
    points[1]["variants"] = [{"gene": "PIK3CA", "protein_change": "H1047R", "vaf": 0.2}]
    assert emergent_alterations(make_case(points)) == []


def test_precedence_names_one_pattern_and_keeps_every_action(rk: ResistanceKnowledge) -> None:
    points = cn_points(10.0, 2.0)
    points[1]["variants"] = [{"gene": "KRAS", "protein_change": "p.G12D", "vaf": 0.05}]
    section = assess_resistance(make_case(points), rk, False, False, STRATEGY_ORDER)
    assert section.ctdna_pattern == rk.ctdna_patterns.precedence[0] == "falling"
    assert {"retest_her2_on_new_biopsy", "assess_emergent_alterations"} <= set(section.actions)
    assert any(t.rule == "resistance.ctdna.pattern" and not t.confirmed for t in section.trace)


def test_no_plasma_data_means_no_ctdna_action(rk: ResistanceKnowledge) -> None:
    section = assess_resistance(make_case([]), rk, False, False, STRATEGY_ORDER)
    assert section.ctdna_pattern == "insufficient_data"
    assert "collect_serial_ctdna" not in section.actions
    one_point = assess_resistance(make_case(cn_points(5.0)), rk, False, False, STRATEGY_ORDER)
    assert "collect_serial_ctdna" in one_point.actions


variant = st.fixed_dictionaries(
    {
        "gene": st.sampled_from(["KRAS", "PIK3CA", "TP53", "MET"]),
        "protein_change": st.sampled_from(["p.G12D", "p.H1047R", "p.R273H", None]),
        "vaf": st.floats(min_value=0, max_value=1),
    }
)
timepoint = st.fixed_dictionaries(
    {
        "erbb2_copy_number": st.one_of(st.none(), st.floats(min_value=0, max_value=60, allow_nan=False)),
        "variants": st.lists(variant, max_size=3),
    }
)


def dated(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**p, "date": (START + dt.timedelta(days=21 * i)).isoformat()} for i, p in enumerate(points)]


# Module-level rules for the property tests: hypothesis would print a session fixture's whole repr.
RULES = build_resistance_knowledge(DATA_DIR).ctdna_patterns


@settings(max_examples=200, deadline=None)
@given(st.lists(timepoint, max_size=6))
def test_pattern_is_always_one_of_the_five(points: list[dict[str, Any]]) -> None:
    assert assess_ctdna(make_case(dated(points)), RULES).pattern in PATTERNS


@settings(max_examples=200, deadline=None)
@given(st.lists(timepoint, min_size=1, max_size=6))
def test_repeating_the_latest_point_never_turns_stable_into_rising(points: list[dict[str, Any]]) -> None:
    """A later timepoint identical to the latest one keeps any pattern already read.

    Only `insufficient_data` may change (a repeated copy number is a second reading,
    which is `stable`); `stable` never becomes `rising`.
    """
    before = assess_ctdna(make_case(dated(points)), RULES).pattern
    after = assess_ctdna(make_case(dated([*points, points[-1]])), RULES).pattern
    assert not (before == "stable" and after == "rising")
    if before != "insufficient_data":
        assert after == before
    else:
        assert after in ("insufficient_data", "stable")
