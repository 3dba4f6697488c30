"""Plasma (ctDNA) patterns under anti-HER2 therapy: ERBB2 copy number against
baseline, and alterations that emerge after the first plasma timepoint.

Source: seed 002 section 4 (primary resistance: copy number above baseline at
progression; secondary resistance: below) and seed 001 (new RAS/RAF and PIK3CA
mutations in cell-free DNA at progression). The numeric margin and the precedence of
patterns are her2gc defaults from ``ctdna_patterns.yaml`` (``confirmed: false``).
Pure functions; no I/O.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from her2gc.case import Alteration, Case, CtdnaPoint
from her2gc.kb.schema_resistance import CtdnaPattern, CtdnaPatternId, CtdnaRules
from her2gc.protein import normalise_protein_change_lenient as normalise_protein_change
from her2gc.report import TraceItem

PlasmaKey = tuple[str, str]  # (gene, protein change or alteration kind)


@dataclass(frozen=True)
class CtdnaAssessment:
    """The named pattern, every pattern that applied, the emergent alterations, the trace."""

    pattern: CtdnaPatternId
    applicable: tuple[str, ...]
    emergent: tuple[str, ...]
    has_plasma_data: bool
    trace: tuple[TraceItem, ...]


def copy_number_pattern(points: list[CtdnaPoint], rules: CtdnaRules) -> str | None:
    """``rising`` / ``falling`` / ``stable`` from the first and latest ERBB2 copy numbers, or None.

    Baseline is the first timepoint with a copy number (seed 002 compares with
    baseline); a change counts only when it passes both the relative and the absolute
    margin of ``ctdna_patterns.yaml``. Only the latest value is compared, so repeating
    the latest measurement never changes the pattern.
    """
    values = [p.erbb2_copy_number for p in points if p.erbb2_copy_number is not None]
    if len(values) < 2:
        return None
    baseline, latest = values[0], values[-1]
    margin = max(rules.margin.relative_change * baseline, rules.margin.min_absolute_change)
    change = latest - baseline
    if change > 0 and change >= margin:
        return "rising"
    if change < 0 and -change >= margin:
        return "falling"
    return "stable"


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
    """Gene / protein changes absent at the first plasma timepoint and present at a later one.

    From ``ctdna[].variants`` and dated plasma ``alterations`` (seed 001: new RAS/RAF
    and acquired PIK3CA mutations in cfDNA at progression). Labels are ``GENE change
    (first seen DATE)``, in order of first appearance.
    """
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


def _copy_number_trace(case: Case, rules: CtdnaRules, pattern: str | None) -> TraceItem:
    values = [(p.date.isoformat(), p.erbb2_copy_number) for p in case.ctdna if p.erbb2_copy_number is not None]
    conclusion = (
        f"plasma ERBB2 copy number {pattern} relative to baseline"
        if pattern
        else "fewer than two ERBB2 copy-number timepoints: no copy-number pattern"
    )
    return TraceItem(
        rule="resistance.ctdna.copy_number",
        inputs={
            "timepoints": values,
            "relative_change": rules.margin.relative_change,
            "min_absolute_change": rules.margin.min_absolute_change,
        },
        conclusion=conclusion,
        sources=list(rules.margin.sources),
        confirmed=rules.margin.confirmed,
    )


def assess_ctdna(case: Case, rules: CtdnaRules) -> CtdnaAssessment:
    """The ctDNA pattern of a case: the applicable patterns named by the data's precedence."""
    cn_pattern = copy_number_pattern(list(case.ctdna), rules)
    emergent = emergent_alterations(case)
    applicable = [p for p in rules.precedence if p == cn_pattern or (p == "emergent_alterations" and emergent)]
    pattern: CtdnaPatternId = applicable[0] if applicable else "insufficient_data"
    trace = [_copy_number_trace(case, rules, cn_pattern)]
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
    return CtdnaAssessment(pattern, tuple(applicable), tuple(emergent), has_plasma, tuple(trace))


def ctdna_actions(assessment: CtdnaAssessment, rules: CtdnaRules) -> list[str]:
    """Action ids of every applicable pattern (precedence order); ``insufficient_data`` only when plasma data exist."""
    by_id: dict[str, CtdnaPattern] = {p.id: p for p in rules.patterns}
    if not assessment.applicable:
        return list(by_id["insufficient_data"].actions) if assessment.has_plasma_data else []
    return [action for pattern in assessment.applicable for action in by_id[pattern].actions]
