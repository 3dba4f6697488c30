"""What the plots show, as data: spans of therapy, plasma series, labels (no drawing)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import her2gc
from her2gc.render.plots_data import (
    case_dates,
    her2_test_label,
    plasma_samples,
    plasma_series,
    therapy_periods,
)

BASE: dict[str, Any] = {
    "schema": "her2gc.case/1",
    "patient_id": "PLOT-UNIT",
    "tumour": {"site": "stomach", "histology": "adenocarcinoma"},
}


def case(**fields: Any) -> her2gc.Case:
    from support import kb

    return her2gc.Case.model_validate({**BASE, **fields}, context={"vocabulary": kb().vocabulary})


def test_a_line_without_end_runs_to_the_next_start():
    periods = therapy_periods(
        case(
            treatment_history=[
                {"line": 1, "drugs": ["trastuzumab"], "start": "2025-01-01"},
                {"line": 2, "drugs": ["ramucirumab"], "start": "2025-04-01", "end": "2025-06-01"},
            ]
        )
    )
    first = periods.periods[0]
    assert first.end == dt.date(2025, 4, 1) and not first.end_recorded
    assert not first.progressed, "no recorded end, no progression mark"


def test_a_running_last_line_is_the_current_therapy():
    periods = therapy_periods(
        case(
            treatment_history=[{"line": 1, "drugs": ["trastuzumab deruxtecan"], "start": "2025-01-01"}],
            current_therapy={"drugs": ["T-DXd"]},
        )
    )
    assert len(periods.periods) == 1 and periods.periods[0].current and periods.periods[0].end is None
    assert not periods.notes


def test_current_therapy_without_any_date_is_not_drawn_and_said_so():
    periods = therapy_periods(case(current_therapy={"drugs": ["trastuzumab deruxtecan"]}))
    assert periods.periods == ()
    assert periods.not_drawn == ("current therapy (no start date)",)


def test_current_therapy_starts_at_its_first_adverse_event_when_nothing_else_dates_it():
    periods = therapy_periods(
        case(
            current_therapy={"drugs": ["trastuzumab deruxtecan"]},
            adverse_events=[
                {"drug": "trastuzumab deruxtecan", "event": "neutropenia", "grade": 2, "onset": "2025-03-03"},
                {"drug": "trastuzumab deruxtecan", "event": "ild", "grade": 1, "onset": "2025-02-10"},
            ],
        )
    )
    (current,) = periods.periods
    assert current.start == dt.date(2025, 2, 10) and not current.start_recorded
    assert "first recorded adverse event" in periods.notes[0]


def test_a_line_without_start_is_listed_not_dropped():
    periods = therapy_periods(case(treatment_history=[{"line": 1, "drugs": ["trastuzumab"]}]))
    assert periods.periods == () and periods.not_drawn == ("line 1 (no start date)",)


def test_plasma_series_merge_spellings_and_duplicates():
    series = plasma_series(
        case(
            ctdna=[
                {"date": "2025-01-01", "variants": [{"gene": "KRAS", "protein_change": "G12D", "vaf": 0.1}]},
                {
                    "date": "2025-02-01",
                    "timing": "progression",
                    "variants": [{"gene": "KRAS", "protein_change": "p.Gly12Asp", "vaf": 0.2}],
                },
            ],
            alterations=[
                {
                    "gene": "KRAS",
                    "kind": "mut",
                    "protein_change": "p.G12D",
                    "vaf": 0.25,
                    "source": "plasma",
                    "date": "2025-02-01",
                },
                {"gene": "MET", "kind": "amp", "vaf": 0.05, "source": "plasma", "date": "2025-02-01"},
                {
                    "gene": "TP53",
                    "kind": "mut",
                    "protein_change": "p.R175H",
                    "vaf": 0.3,
                    "source": "tissue",
                    "date": "2025-02-01",
                },
            ],
        )
    )
    assert list(series.vaf) == ["KRAS p.G12D", "MET amp"], "tissue findings are not plasma points"
    kras = series.vaf["KRAS p.G12D"]
    assert [p.value for p in kras] == [0.1, 0.2], "the timepoint's value wins over the same-day plasma alteration"
    assert [p.at_progression for p in kras] == [False, True]
    assert series.vaf["MET amp"][0].at_progression, "a plasma alteration dated like a progression timepoint"


def test_plasma_samples_name_variants_and_count_the_rest():
    samples = plasma_samples(
        case(
            ctdna=[
                {
                    "date": "2025-01-01",
                    "erbb2_copy_number": 4,
                    "variants": [
                        {"gene": "TP53", "protein_change": "p.R175H", "vaf": 0.3},
                        {"gene": "KRAS", "protein_change": "p.G12D", "vaf": 0.05},
                        {"gene": "PIK3CA", "protein_change": "p.E545K", "vaf": 0.02},
                    ],
                }
            ]
        )
    )
    assert samples[0].lines == ("CN 4", "TP53 p.R175H 30%", "KRAS p.G12D 5%", "+1 more")


def test_her2_test_label_reads_like_the_pathology_report():
    tested = case(
        her2_tests=[
            {"date": "2025-01-01", "specimen": "biopsy", "ihc": {"percent_cells": 40, "intensity": "weak_moderate"}},
            {"date": "2025-01-05", "specimen": "biopsy", "ish": {"reported_result": "not_amplified"}},
        ]
    )
    assert her2_test_label(tested.her2_tests[0], 0, None) == "IHC 40% cells weak-moderate"
    assert her2_test_label(tested.her2_tests[1], 1, None) == "ISH not amplified"


def test_both_time_plots_span_every_dated_finding():
    dated = case(
        her2_tests=[{"date": "2024-12-01", "specimen": "biopsy", "ihc": {"score": "3+"}}],
        ctdna=[{"date": "2025-01-01", "erbb2_copy_number": 5}],
        adverse_events=[
            {"drug": "trastuzumab", "event": "lvef_decrease", "onset": "2025-02-01", "resolved": "2025-03-01"}
        ],
    )
    assert min(case_dates(dated, therapy_periods(dated))) == dt.date(2024, 12, 1)
    assert max(case_dates(dated, therapy_periods(dated))) == dt.date(2025, 3, 1)
