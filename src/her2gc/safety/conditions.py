"""Whether a rule's ``when:`` holds for one adverse event (``safety.yaml``).

A condition on something the event does not give does not hold: an unknown value is
neither true nor false, and a duration is read from the event's own dates, never from
today's date (or every old case would turn "persistent").
"""

from __future__ import annotations

from her2gc.case import AdverseEvent
from her2gc.kb.schema_rules import SafetyCondition
from her2gc.terms import IMMUNE_ORGANS


def within(
    value: float | None, low_inc: float | None, low_exc: float | None, high_inc: float | None, high_exc: float | None
) -> bool:
    """Whether ``value`` lies in the range; no bounds always holds, an unknown value never does."""
    if low_inc is None and low_exc is None and high_inc is None and high_exc is None:
        return True
    if value is None:
        return False
    return (
        (low_inc is None or value >= low_inc)
        and (low_exc is None or value > low_exc)
        and (high_inc is None or value <= high_inc)
        and (high_exc is None or value < high_exc)
    )


def organ_row(organ: str | None) -> str | None:
    """The row of the PD-1 labels' tables an organ falls under; an organ without a row is ``other``."""
    if organ is None:
        return None
    return organ if organ in IMMUNE_ORGANS else "other"


def _equal(wanted: bool | str | None, given: bool | str | None) -> bool:
    return wanted is None or (given is not None and given == wanted)


def _resolution_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    resolved = event.resolved is not None
    if when.resolved is not None and when.resolved != resolved:
        return False
    if when.resolved_within_days is None and when.resolved_after_days is None:
        return True
    if event.resolved is None or event.onset is None:
        return False
    days = (event.resolved - event.onset).days
    if when.resolved_within_days is not None and days > when.resolved_within_days:
        return False
    return when.resolved_after_days is None or days > when.resolved_after_days


def _duration_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    # HERCEPTIN: "a persistent (> 8 weeks) LVEF decline" is read from onset to the assessment.
    if when.weeks_since_onset_min_exclusive is None:
        return True
    if event.onset is None or event.assessed is None:
        return False
    return (event.assessed - event.onset).days / 7 > when.weeks_since_onset_min_exclusive


def _cardiac_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    if when.symptomatic is not None and when.symptomatic != event.symptomatic:
        return False
    if not _equal(when.lvef_below_lln, event.lvef_below_lln):
        return False
    if when.suspensions_min_exclusive is not None and (
        event.suspensions is None or event.suspensions <= when.suspensions_min_exclusive
    ):
        return False
    return within(
        event.lvef_percent,
        when.lvef_min_inclusive,
        when.lvef_min_exclusive,
        when.lvef_max_inclusive,
        when.lvef_max_exclusive,
    ) and within(
        event.lvef_drop_points,
        when.drop_min_inclusive,
        when.drop_min_exclusive,
        when.drop_max_inclusive,
        when.drop_max_exclusive,
    )


def _renal_and_vascular_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    return (
        _equal(when.nephrotic_syndrome, event.nephrotic_syndrome)
        and _equal(when.controlled, event.controlled)
        and within(
            event.urine_protein_g_per_24h,
            when.urine_protein_min_inclusive,
            when.urine_protein_min_exclusive,
            when.urine_protein_max_inclusive,
            when.urine_protein_max_exclusive,
        )
    )


def _immune_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    if when.organs is not None and organ_row(event.organ) not in when.organs:
        return False
    return (
        _equal(when.recurrent, event.recurrent)
        and _equal(when.liver_tumour_involvement, event.liver_tumour_involvement)
        and _equal(when.diagnosis, event.diagnosis)
        and within(event.ast_alt_x_uln, None, when.ast_alt_x_uln_min_exclusive, when.ast_alt_x_uln_max_inclusive, None)
        and within(
            event.bilirubin_x_uln, None, when.bilirubin_x_uln_min_exclusive, when.bilirubin_x_uln_max_inclusive, None
        )
    )


def condition_holds(event: AdverseEvent, when: SafetyCondition, occurrence: int = 1) -> bool:
    """Whether every part of a rule's condition holds for the event.

    ``occurrence`` is the event's place among the case's events of the same drug and kind
    (1 for the first), for rules on a recurrence (CYRAMZA: proteinuria that "reoccurs").
    """
    grade = event.grade
    if when.grade_min is not None and (grade is None or grade < when.grade_min):
        return False
    if when.grade_max is not None and (grade is None or grade > when.grade_max):
        return False
    if when.occurrence_min is not None and occurrence < when.occurrence_min:
        return False
    if when.symptom is not None and not set(when.symptom) & set(event.symptoms):
        return False
    return (
        _cardiac_holds(event, when)
        and _renal_and_vascular_holds(event, when)
        and _immune_holds(event, when)
        and _duration_holds(event, when)
        and _resolution_holds(event, when)
    )
