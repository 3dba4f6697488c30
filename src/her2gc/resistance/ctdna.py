"""Plasma (ctDNA) findings read against the treatment timeline.

Source: Tao & Huang 2026, section 4.1: the HER2 copy number *at progression* compared with
*baseline* is higher in primary resistance and lower in secondary (acquired) resistance;
and the review of on- and off-target resistance (new RAS/RAF and acquired PIK3CA mutations
in cell-free DNA at progression). Each timepoint is baseline, on treatment or progression
(stated by the case, or derived from the treatment history, the derivation in the trace);
the review's rule is applied at progression only. A fall on treatment before progression
is a molecular response, never HER2 loss. Margins, the derivation window and the
precedence of patterns are her2gc defaults from ``ctdna_patterns.yaml`` (``confirmed: false``).
Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from her2gc.case import Alteration, Case, CtdnaPoint, TreatmentLine
from her2gc.kb.schema_resistance import CtdnaPattern, CtdnaPatternId, CtdnaRules
from her2gc.protein import normalise_protein_change_lenient as normalise_protein_change
from her2gc.report import CtdnaReading, CtdnaTimepoint, CtdnaValue, TraceItem

PlasmaKey = tuple[str, str]  # (gene, protein change or alteration kind)
_RESPONSES = ("CR", "PR")


@dataclass(frozen=True)
class CtdnaAssessment:
    """The named pattern, every pattern that applied, what mechanisms may read, the trace."""

    pattern: CtdnaPatternId
    applicable: tuple[str, ...]
    indicates: tuple[str, ...]  # patterns a resistance mechanism may be matched on
    emergent: tuple[str, ...]
    has_plasma_data: bool
    at_progression: bool
    responded: bool | None
    reading: CtdnaReading | None
    trace: tuple[TraceItem, ...]


@dataclass(frozen=True)
class _Timed:
    point: CtdnaPoint
    timing: str
    derived: bool
    line: int | None
    why: str


def _derive(
    point: CtdnaPoint, lines: list[TreatmentLine], rules: CtdnaRules, current: bool
) -> tuple[str, int | None, str]:
    """(timing, line, why) of a timepoint the case does not time, from the lines' dates and stop reasons."""
    window = rules.timing
    dated = [line for line in lines if line.start is not None]
    if not dated:
        return (
            ("on_treatment", None, "no dated treatment line; current therapy")
            if current
            else ("baseline", None, "no treatment given")
        )
    if point.date <= dated[0].start:  # type: ignore[operator]
        # A sample on the day the first line starts is drawn before the first dose.
        return "baseline", None, f"on or before the start of line {dated[0].line} ({dated[0].start})"
    for index, line in enumerate(dated):
        following = dated[index + 1].start if index + 1 < len(dated) else None
        if line.stop_reason == "progression" and line.end is not None:
            before = line.end - dt.timedelta(days=window.progression_window_days_before)
            after = line.end + dt.timedelta(days=window.progression_window_days_after)
            if before <= point.date <= after and (following is None or point.date < following):
                return (
                    "progression",
                    line.line,
                    f"within the window around line {line.line}'s end for progression ({line.end})",
                )
        if line.start is not None and point.date >= line.start and (following is None or point.date < following):
            return "on_treatment", line.line, f"during or after line {line.line} (started {line.start})"
    return "on_treatment", None, "after treatment started"


def timed_points(case: Case, rules: CtdnaRules) -> list[_Timed]:
    lines = list(case.treatment_history)
    current = case.current_therapy is not None
    timed = []
    for point in case.ctdna:
        timing, line, why = _derive(point, lines, rules, current)
        if point.timing is not None:
            # The case's timing wins; the line the date falls in still tells the response before it.
            timed.append(_Timed(point, point.timing, False, line, "as stated in the case"))
        else:
            timed.append(_Timed(point, timing, True, line, why))
    return timed


def _changed(value: float, baseline: float, rules: CtdnaRules) -> int:
    """+1 above baseline by the margin, -1 below it, 0 within it."""
    margin = max(rules.margin.relative_change * baseline, rules.margin.min_absolute_change)
    change = value - baseline
    if change > 0 and change >= margin:
        return 1
    if change < 0 and -change >= margin:
        return -1
    return 0


def _value(item: _Timed) -> CtdnaValue:
    assert item.point.erbb2_copy_number is not None
    return CtdnaValue(
        date=item.point.date.isoformat(), erbb2_copy_number=item.point.erbb2_copy_number, timing=item.timing
    )


def _responded(case: Case, line_number: int | None) -> bool | None:
    lines = {line.line: line for line in case.treatment_history}
    line = lines.get(line_number) if line_number is not None else None
    if line is None or line.best_response is None:
        return None
    return line.best_response in _RESPONSES


@dataclass(frozen=True)
class _CopyNumber:
    pattern: str | None
    at_progression: bool
    responded: bool | None
    rebound: bool
    reading: CtdnaReading | None


def copy_number_reading(case: Case, timed: list[_Timed], rules: CtdnaRules) -> _CopyNumber:
    """The copy-number pattern: at progression against baseline when a progression sample
    exists, else the latest on-treatment sample against baseline."""
    with_cn = [t for t in timed if t.point.erbb2_copy_number is not None]
    points = [
        CtdnaTimepoint(
            date=t.point.date.isoformat(),
            erbb2_copy_number=t.point.erbb2_copy_number,
            variants=len(t.point.variants),
            timing=t.timing,
            timing_derived=t.derived,
            line=t.line,
        )
        for t in timed
    ]
    baselines = [t for t in with_cn if t.timing == "baseline"]
    baseline = baselines[-1] if baselines else (with_cn[0] if with_cn else None)
    later = [t for t in with_cn if baseline is not None and t.point.date > baseline.point.date]
    if baseline is None or not later:
        reading = CtdnaReading(timepoints=points, baseline=_value(baseline) if baseline else None) if timed else None
        return _CopyNumber(None, False, None, False, reading)
    base = baseline.point.erbb2_copy_number or 0.0
    progression = [t for t in later if t.timing == "progression"]
    compared = progression[-1] if progression else later[-1]
    before = [t for t in later if t.point.date <= compared.point.date]
    nadir = min(before, key=lambda t: t.point.erbb2_copy_number or 0.0)
    direction = _changed(compared.point.erbb2_copy_number or 0.0, base, rules)
    at_progression = bool(progression)
    rebound = (
        at_progression
        and _changed(compared.point.erbb2_copy_number or 0.0, nadir.point.erbb2_copy_number or 0.0, rules) > 0
    )
    if at_progression:
        pattern = {1: "rising", -1: "falling", 0: "stable"}[direction]
    else:
        pattern = {1: "rising", -1: "molecular_response", 0: "stable"}[direction]
    responded = _responded(case, compared.line) if at_progression else None
    reading = CtdnaReading(
        timepoints=points,
        baseline=_value(baseline),
        nadir=_value(nadir),
        last=_value(with_cn[-1]),
        compared="progression_vs_baseline" if at_progression else "on_treatment_vs_baseline",
        responded_before_progression=responded,
        rebound_from_nadir=rebound,
    )
    return _CopyNumber(pattern, at_progression, responded, rebound, reading)


def _alteration_key(alteration: Alteration) -> PlasmaKey:
    if alteration.kind == "mut":
        return alteration.gene, normalise_protein_change(alteration.protein_change) or "mut"
    return alteration.gene, alteration.kind


def _plasma_observations(case: Case) -> list[tuple[dt.date, PlasmaKey]]:
    """Dated plasma findings; a VAF of 0 is a tracked variant measured absent, so it is not an observation."""
    observations = [
        (point.date, (variant.gene, normalise_protein_change(variant.protein_change) or "mut"))
        for point in case.ctdna
        for variant in point.variants
        if variant.vaf > 0
    ]
    observations += [
        (alteration.date, _alteration_key(alteration))
        for alteration in case.alterations
        if alteration.source == "plasma" and alteration.date is not None
    ]
    return observations


def _plasma_dates(case: Case) -> list[dt.date]:
    dates = {point.date for point in case.ctdna}
    dates |= {a.date for a in case.alterations if a.source == "plasma" and a.date is not None}
    return sorted(dates)


def emergent_alterations(case: Case) -> list[str]:
    """Gene / protein changes absent at the first plasma timepoint and present at a later one,
    as ``GENE change (first seen DATE)``, in order of first appearance."""
    dates = _plasma_dates(case)
    if len(dates) < 2:
        return []
    first = dates[0]
    observations = _plasma_observations(case)
    at_first = {key for date, key in observations if date == first}
    first_seen: dict[PlasmaKey, dt.date] = {}
    for date, key in sorted(observations):
        if date > first and key not in at_first and key not in first_seen:
            first_seen[key] = date
    return [f"{gene} {change} (first seen {date.isoformat()})" for (gene, change), date in first_seen.items()]


def copy_number_pattern(points: list[CtdnaPoint], rules: CtdnaRules) -> str | None:
    """The copy-number pattern of timepoints alone (timings as stated, else untimed: the
    latest against the first), for callers without a case; the engine uses :func:`assess_ctdna`."""
    case = Case.model_validate(
        {"patient_id": "-", "tumour": {"site": "stomach"}, "ctdna": [p.model_dump() for p in points]}
    )
    return copy_number_reading(case, timed_points(case, rules), rules).pattern


def _timing_trace(timed: list[_Timed], rules: CtdnaRules) -> TraceItem:
    return TraceItem(
        rule="resistance.ctdna.timing",
        inputs={"timepoints": [[t.point.date.isoformat(), t.timing, t.why] for t in timed]},
        conclusion="timing of each plasma timepoint"
        + ("; derived from the treatment history where the case did not say" if any(t.derived for t in timed) else ""),
        sources=list(rules.timing.sources),
        confirmed=not any(t.derived for t in timed) or rules.timing.confirmed,
    )


def _copy_number_trace(cn: _CopyNumber, rules: CtdnaRules) -> TraceItem:
    reading = cn.reading
    if cn.pattern is None or reading is None:
        conclusion = "no baseline with a later ERBB2 copy number: no copy-number pattern"
    else:
        where = "at progression" if cn.at_progression else "on treatment"
        conclusion = f"plasma ERBB2 copy number {where}: {cn.pattern} relative to baseline"
        if cn.rebound:
            conclusion += " (rebound from the nadir)"
    return TraceItem(
        rule="resistance.ctdna.copy_number",
        inputs={
            "baseline": reading.baseline.model_dump() if reading and reading.baseline else None,
            "nadir": reading.nadir.model_dump() if reading and reading.nadir else None,
            "compared": reading.compared if reading else None,
            "relative_change": rules.margin.relative_change,
            "min_absolute_change": rules.margin.min_absolute_change,
        },
        conclusion=conclusion,
        sources=list(rules.margin.sources),
        confirmed=rules.margin.confirmed,
    )


def assess_ctdna(case: Case, rules: CtdnaRules) -> CtdnaAssessment:
    """The ctDNA pattern of a case: the applicable patterns named by the data's precedence."""
    timed = timed_points(case, rules)
    cn = copy_number_reading(case, timed, rules)
    emergent = emergent_alterations(case)
    applicable = [p for p in rules.precedence if p == cn.pattern or (p == "emergent_alterations" and emergent)]
    pattern: CtdnaPatternId = applicable[0] if applicable else "insufficient_data"
    # HER2 loss may be read from plasma only when the copy number at progression is below
    # baseline and has not rebounded from its nadir.
    indicates = tuple(p for p in applicable if p != "falling" or (cn.at_progression and not cn.rebound))
    trace = [_timing_trace(timed, rules)] if timed else []
    trace.append(_copy_number_trace(cn, rules))
    if emergent:
        trace.append(
            TraceItem(
                rule="resistance.ctdna.emergent",
                inputs={"first_plasma_timepoint": _plasma_dates(case)[0].isoformat(), "emergent": emergent},
                conclusion=f"{len(emergent)} alteration(s) absent at the first plasma timepoint appeared later",
                sources=list(next(p.sources for p in rules.patterns if p.id == "emergent_alterations")),
            )
        )
    trace.append(
        TraceItem(
            rule="resistance.ctdna.pattern",
            inputs={"applicable": applicable, "precedence": list(rules.precedence)},
            conclusion=f"ctDNA pattern: {pattern}",
            sources=list(next(p.sources for p in rules.patterns if p.id == pattern)),
            confirmed=len(applicable) < 2 or rules.precedence_confirmed,
        )
    )
    has_plasma = bool(case.ctdna) or any(a.source == "plasma" for a in case.alterations)
    return CtdnaAssessment(
        pattern,
        tuple(applicable),
        indicates,
        tuple(emergent),
        has_plasma,
        cn.at_progression,
        cn.responded,
        cn.reading,
        tuple(trace),
    )


def _pattern_actions(pattern: CtdnaPattern, assessment: CtdnaAssessment) -> list[str]:
    if pattern.id in ("rising", "falling") and assessment.at_progression:
        if assessment.responded and pattern.actions_at_progression_after_response is not None:
            return list(pattern.actions_at_progression_after_response)
        if pattern.actions_at_progression is not None:
            return list(pattern.actions_at_progression)
    return list(pattern.actions)


def ctdna_actions(assessment: CtdnaAssessment, rules: CtdnaRules) -> list[str]:
    """Action ids of every applicable pattern (precedence order); ``insufficient_data`` only when plasma data exist."""
    by_id: dict[str, CtdnaPattern] = {p.id: p for p in rules.patterns}
    if not assessment.applicable:
        return list(by_id["insufficient_data"].actions) if assessment.has_plasma_data else []
    return [action for pattern in assessment.applicable for action in _pattern_actions(by_id[pattern], assessment)]
