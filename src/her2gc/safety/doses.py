"""Dose management by the label: each adverse event in the case matched against the
rules of ``safety.yaml``, with the next dose read off the drug's dose ladder.

Within a drug and event the first rule whose condition holds wins (the file lists them
most severe first). An event no rule covers is never passed over: the report says there
is no dose rule in the sources, with the toxicities the sources give.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from her2gc.case import AdverseEvent, Case
from her2gc.kb.schema import Drug
from her2gc.kb.schema_rules import DoseLadder, NoRuleInSources, SafetyRule, SafetyRules
from her2gc.report import SafetyAction, Warning
from her2gc.safety.conditions import condition_holds, organ_row


@dataclass(frozen=True)
class NextDose:
    """The dose after stepping down a ladder, or why it cannot be given."""

    mg_per_kg: float | None
    problem: str | None = None
    below_lowest: bool = False


def matching_rule(event: AdverseEvent, rules: Sequence[SafetyRule], occurrence: int = 1) -> SafetyRule | None:
    """The first rule of the event's drug and kind whose condition holds."""
    return next(
        (
            r
            for r in rules
            if r.applies_to(event.drug) and r.event == event.event and condition_holds(event, r.when, occurrence)
        ),
        None,
    )


def next_dose(current: float | None, steps_down: int, ladder: DoseLadder | None) -> NextDose:
    """The dose ``steps_down`` levels below ``current`` on ``ladder`` (the same dose for 0 steps)."""
    if steps_down == 0:
        return NextDose(current)
    if ladder is None:
        return NextDose(None, "no dose ladder for this drug in the knowledge base")
    if current is None:
        return NextDose(None, f"current dose not given: step down {steps_down} level(s) from the dose in use")
    levels = ladder.levels_mg_per_kg
    if current not in levels:
        shown = ", ".join(f"{level:g}" for level in levels)
        return NextDose(None, f"current dose {current:g} mg/kg is not a level of {ladder.id} ({shown})")
    position = levels.index(current) + steps_down
    if position >= len(levels):
        return NextDose(None, f"no level below {levels[-1]:g} mg/kg: {ladder.below_lowest}", below_lowest=True)
    return NextDose(levels[position])


def _ladder_for(drug: str, rules: SafetyRules) -> DoseLadder | None:
    # The case's tumour is always gastric / GEJ / oesophageal adenocarcinoma.
    return next((ladder for ladder in rules.dose_ladders if ladder.drug == drug and ladder.tumour == "gastric"), None)


def _occurrences(events: Sequence[AdverseEvent]) -> list[tuple[int, int | None]]:
    """For each event: its place among the events of the same drug and kind (1 = first), and
    the index of the next such event, if one follows."""
    places: list[tuple[int, int | None]] = []
    for index, event in enumerate(events):
        same = [i for i, other in enumerate(events) if (other.drug, other.event) == (event.drug, event.event)]
        later = [i for i in same if i > index]
        places.append((same.index(index) + 1, later[0] if later else None))
    return places


def manage_event(
    event: AdverseEvent,
    case: Case,
    rules: SafetyRules,
    occurrence: int = 1,
    followed_by: int | None = None,
) -> SafetyAction | None:
    """The action for one adverse event, or None when no rule covers it.

    ``followed_by`` is the index of a later event of the same drug and kind: the dose in use
    already reflects this one, so no next dose is computed from it.
    """
    rule = matching_rule(event, rules.rules, occurrence)
    if rule is None:
        return None
    current = case.current_therapy.dose_of(event.drug) if case.current_therapy else None
    steps = rule.resume_dose_steps_down if rule.action == "withhold" else rule.dose_steps_down
    action = rule.action
    details = list(rule.details)
    dose: float | None = None
    if followed_by is not None:
        details.append(
            f"followed by adverse_events[{followed_by}] of the same kind: the dose in use already reflects it"
        )
    else:
        step = next_dose(current, steps, _ladder_for(event.drug, rules))
        dose = step.mg_per_kg
        if step.problem is not None:
            details.append(step.problem)
        if step.below_lowest:
            action = "discontinue"
    return SafetyAction(
        drug=event.drug,
        event=event.event,
        grade=event.grade,
        action=action,
        next_dose_mg_per_kg=dose if action != "discontinue" else None,
        rule=rule.id,
        details=details,
        confirmed=rule.confirmed,
        sources=list(rule.sources),
    )


def _event_words(event: AdverseEvent) -> str:
    words = event.event.replace("_", " ")
    if event.organ:
        words += f" ({event.organ})"
    return words + (f" grade {event.grade}" if event.grade is not None else "")


def _no_rule_message(
    index: int,
    event: AdverseEvent,
    rules: SafetyRules,
    absence: NoRuleInSources | None,
    drugs: Mapping[str, Drug],
) -> str:
    where = f"adverse_events[{index}] ({_event_words(event)} on {event.drug})"
    if absence is not None:
        unsaid = [t for t in absence.toxicities if t not in absence.text]
        return f"{where}: {absence.text}" + (f" Toxicities the sources give: {', '.join(unsaid)}." if unsaid else "")
    considered = [r.id for r in rules.rules if r.applies_to(event.drug) and r.event == event.event]
    message = f"{where}: no dose rule in the sources"
    if considered:
        message += (
            f" matches what the case gives ({len(considered)} rule(s) for this drug and event, e.g. {considered[0]})"
        )
    if event.event == "immune_mediated" and event.organ is None:
        message += "; give the organ (pneumonitis, colitis, hepatitis, endocrine, nephritis, skin, ...)"
    elif event.event == "immune_mediated" and organ_row(event.organ) == "other":
        message += f"; '{event.organ}' has no row of its own in the label tables and is read as other"
    drug = drugs.get(event.drug)
    if drug is not None and drug.main_toxicities:
        message += f"; main toxicities in the knowledge base: {'; '.join(drug.main_toxicities)}"
    return message + "; follow the label in force"


def manage_adverse_events(
    case: Case, rules: SafetyRules, drugs: Mapping[str, Drug] | None = None
) -> tuple[list[SafetyAction], list[Warning]]:
    """Actions for every adverse event, and a ``no_dose_rule`` warning for each event no rule covers.

    ``drugs`` (the knowledge base's drug entries) adds a drug's main toxicities to the
    warning where no ``no_rule_in_sources`` entry speaks for the event.
    """
    actions: list[SafetyAction] = []
    warnings: list[Warning] = []
    places = _occurrences(case.adverse_events)
    for index, event in enumerate(case.adverse_events):
        occurrence, followed_by = places[index]
        result = manage_event(event, case, rules, occurrence, followed_by)
        if result is not None:
            actions.append(result)
            continue
        absence = next((a for a in rules.no_rule_in_sources if a.covers(event.drug, event.event)), None)
        warnings.append(
            Warning(
                code="no_dose_rule",
                message=_no_rule_message(index, event, rules, absence, drugs or {}),
                fields=[f"case.adverse_events[{index}]"],
            )
        )
    return actions, warnings
