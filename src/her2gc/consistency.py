"""Inconsistencies in a case that a report must not pass over in silence, and what the
engine then assumes. Each is a warning with a code and the case fields it concerns."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field

from her2gc.case import Case
from her2gc.report import Warning


@dataclass(frozen=True)
class CaseReading:
    """The warnings about a case, and the facts the engine reads from it."""

    warnings: list[Warning] = field(default_factory=list)
    ild_history: bool = False  # the flag, or an ILD event in the case


def _given_drugs(case: Case) -> set[str]:
    drugs = set(case.prior_drugs())
    if case.current_therapy is not None:
        drugs |= set(case.current_therapy.drugs)
    return drugs


def _adverse_event_warnings(case: Case) -> list[Warning]:
    given = _given_drugs(case)
    return [
        Warning(
            code="adverse_event_drug_not_given",
            message=(
                f"adverse_events[{i}]: {event.event} on {event.drug}, which is in no treatment line and not the current "
                "therapy; its dose rule is applied as given, but check the history"
            ),
            fields=[f"case.adverse_events[{i}].drug", "case.treatment_history", "case.current_therapy"],
        )
        for i, event in enumerate(case.adverse_events)
        if event.drug not in given
    ]


def _ild_warnings(case: Case) -> tuple[list[Warning], bool]:
    ild_events = [i for i, event in enumerate(case.adverse_events) if event.event == "ild"]
    if case.comorbidities.ild_history or not ild_events:
        return [], case.comorbidities.ild_history
    i = ild_events[0]
    event = case.adverse_events[i]
    warning = Warning(
        code="ild_event_without_history",
        message=(
            f"adverse_events[{i}] is an ILD/pneumonitis event (grade {event.grade}, {event.drug}) but "
            "comorbidities.ild_history is false: the engine counts the patient as having a history of ILD "
            "for the contraindication rules"
        ),
        fields=[f"case.adverse_events[{i}]", "case.comorbidities.ild_history"],
    )
    return [warning], True


def _line_warnings(case: Case) -> list[Warning]:
    warnings = []
    lines = case.treatment_history
    for before, after in itertools.pairwise(lines):
        if before.end is not None and after.start is not None and after.start < before.end:
            warnings.append(
                Warning(
                    code="treatment_lines_overlap",
                    message=f"treatment line {after.line} starts ({after.start}) before line {before.line} ends ({before.end})",
                    fields=[
                        f"case.treatment_history[{after.line - 1}].start",
                        f"case.treatment_history[{before.line - 1}].end",
                    ],
                )
            )
    first_start = next((line.start for line in lines if line.start is not None), None)
    for i, test in enumerate(case.her2_tests):
        if test.setting == "post_progression" and not lines:
            warnings.append(
                Warning(
                    code="post_progression_test_without_history",
                    message=f"her2_tests[{i}] is marked post_progression but no treatment line is given",
                    fields=[f"case.her2_tests[{i}].setting", "case.treatment_history"],
                )
            )
        elif test.setting == "post_progression" and test.date and first_start and test.date < first_start:
            warnings.append(
                Warning(
                    code="post_progression_test_before_treatment",
                    message=f"her2_tests[{i}] is marked post_progression but is dated before the first line started",
                    fields=[f"case.her2_tests[{i}].date", "case.treatment_history[0].start"],
                )
            )
    return warnings


def read_case_consistency(case: Case) -> CaseReading:
    """Every inconsistency the engine checks, and the ILD history it then assumes."""
    ild_warnings, ild_history = _ild_warnings(case)
    return CaseReading(
        warnings=[*_adverse_event_warnings(case), *ild_warnings, *_line_warnings(case)], ild_history=ild_history
    )
