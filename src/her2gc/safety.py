"""Dose management by the label: each adverse event in the case matched against the
rules of ``safety.yaml``, with the next dose read off the drug's dose ladder.
"""

from __future__ import annotations

from collections.abc import Sequence

from her2gc.case import AdverseEvent, Case
from her2gc.kb.schema_rules import DoseLadder, SafetyCondition, SafetyRule, SafetyRules
from her2gc.report import SafetyAction, Warning


def _within(
    value: float | None, low_inc: float | None, low_exc: float | None, high_inc: float | None, high_exc: float | None
) -> bool:
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


def condition_holds(event: AdverseEvent, when: SafetyCondition) -> bool:
    """Whether every part of a rule's condition holds for the event."""
    grade = event.grade
    if when.grade_min is not None and (grade is None or grade < when.grade_min):
        return False
    if when.grade_max is not None and (grade is None or grade > when.grade_max):
        return False
    if when.symptomatic is not None and when.symptomatic != event.symptomatic:
        return False
    if not _within(
        event.lvef_percent,
        when.lvef_min_inclusive,
        when.lvef_min_exclusive,
        when.lvef_max_inclusive,
        when.lvef_max_exclusive,
    ):
        return False
    if not _within(
        event.lvef_drop_points,
        when.drop_min_inclusive,
        when.drop_min_exclusive,
        when.drop_max_inclusive,
        when.drop_max_exclusive,
    ):
        return False
    return _resolution_holds(event, when)


def matching_rule(event: AdverseEvent, rules: Sequence[SafetyRule]) -> SafetyRule | None:
    """The first rule of the event's drug and kind whose condition holds."""
    return next(
        (r for r in rules if r.drug == event.drug and r.event == event.event and condition_holds(event, r.when)), None
    )


def next_dose(current: float | None, steps_down: int, ladder: DoseLadder | None) -> tuple[float | None, str | None]:
    """The dose after stepping down the ladder, or a reason it cannot be given."""
    if steps_down == 0:
        return current, None
    if ladder is None:
        return None, "no dose ladder for this drug in the knowledge base"
    if current is None:
        return None, "current dose not given: step down one level from the dose in use"
    levels = ladder.levels_mg_per_kg
    if current not in levels:
        return (
            None,
            f"current dose {current:g} mg/kg is not a level of {ladder.id} ({', '.join(f'{lv:g}' for lv in levels)})",
        )
    position = levels.index(current) + steps_down
    if position >= len(levels):
        return None, f"no level below {levels[-1]:g} mg/kg: {ladder.below_lowest}"
    return levels[position], None


def _ladder_for(drug: str, rules: SafetyRules) -> DoseLadder | None:
    # The case's tumour is always gastric / GEJ / oesophageal adenocarcinoma.
    return next((ladder for ladder in rules.dose_ladders if ladder.drug == drug and ladder.tumour == "gastric"), None)


def manage_event(event: AdverseEvent, case: Case, rules: SafetyRules) -> SafetyAction | None:
    """The action for one adverse event, or None when no rule covers it."""
    rule = matching_rule(event, rules.rules)
    if rule is None:
        return None
    current = case.current_therapy.dose_of(event.drug) if case.current_therapy else None
    dose, problem = next_dose(current, rule.dose_steps_down, _ladder_for(event.drug, rules))
    action = rule.action
    details = list(rule.details)
    if problem is not None:
        details.append(problem)
        if problem.startswith("no level below"):
            action = "discontinue"
    return SafetyAction(
        drug=event.drug,
        event=event.event,
        grade=event.grade,
        action=action,
        next_dose_mg_per_kg=dose if action not in ("discontinue",) else None,
        rule=rule.id,
        details=details,
        confirmed=rule.confirmed,
        sources=list(rule.sources),
    )


def manage_adverse_events(case: Case, rules: SafetyRules) -> tuple[list[SafetyAction], list[Warning]]:
    """Actions for every adverse event, and warnings for events no rule covers."""
    actions: list[SafetyAction] = []
    warnings: list[Warning] = []
    for index, event in enumerate(case.adverse_events):
        result = manage_event(event, case, rules)
        if result is None:
            warnings.append(
                Warning(
                    code="no_dose_rule",
                    message=f"adverse_events[{index}]: no dose-management rule in the knowledge base for {event.drug} {event.event} grade {event.grade}",
                    fields=[f"case.adverse_events[{index}]"],
                )
            )
        else:
            actions.append(result)
    return actions, warnings
