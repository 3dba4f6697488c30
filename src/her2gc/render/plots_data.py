"""What the plots show, read off the case and the report: pure functions, no drawing.

Kept apart from the drawing so that the content of every picture (which periods are
shaded, which points are plotted, what is left out and why) is plain data that tests
and the text of the ``<desc>`` can read.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from her2gc.case import AdverseEvent, Case, Her2Test
from her2gc.protein import normalise_protein_change_lenient as normalise_protein_change
from her2gc.report import Report


@dataclass(frozen=True)
class TherapyPeriod:
    """A line of therapy as drawn: a span of dates, its drugs and how it went."""

    label: str
    line: int | None
    drugs: tuple[str, ...]
    start: dt.date
    end: dt.date | None  # None: still running, or its end is not recorded; drawn to the plot's right edge
    best_response: str | None = None
    stop_reason: str | None = None
    start_recorded: bool = True
    end_recorded: bool = True
    current: bool = False

    @property
    def progressed(self) -> bool:
        """The line ended at a recorded date because the disease progressed."""
        return self.stop_reason == "progression" and self.end_recorded and self.end is not None


@dataclass(frozen=True)
class TherapyPeriods:
    periods: tuple[TherapyPeriod, ...]
    not_drawn: tuple[str, ...]  # e.g. "line 2 (no start date)": told in the figure, never dropped silently
    notes: tuple[str, ...] = ()  # how a span was placed where the case gives no date


def _same_drugs(a: tuple[str, ...] | list[str], b: tuple[str, ...] | list[str]) -> bool:
    return sorted(a) == sorted(b)


def _current_start(case: Case) -> tuple[dt.date | None, str]:
    """Where the current therapy's span starts when the case gives no start date.

    The case records no start for ``current_therapy``; the span begins where the last
    given line ended (the current therapy followed it), else at the first adverse
    event on one of its drugs (it was being given then).
    """
    assert case.current_therapy is not None
    history = case.treatment_history
    if history and history[-1].end is not None:
        return history[-1].end, f"drawn from the end of line {history[-1].line}"
    onsets = [e.onset for e in case.adverse_events if e.onset is not None and e.drug in case.current_therapy.drugs]
    if onsets:
        return min(onsets), "drawn from its first recorded adverse event"
    return None, ""


def therapy_periods(case: Case) -> TherapyPeriods:
    """The lines of ``treatment_history`` and the ``current_therapy`` as dated spans.

    A line without a start date cannot be placed and is listed in ``not_drawn``; a line
    without an end runs to the next line's start (or to the plot's edge when it is the
    last). A current therapy identical to a last line that has no end is that line, still
    running.
    """
    periods: list[TherapyPeriod] = []
    not_drawn: list[str] = []
    notes: list[str] = []
    history = case.treatment_history
    current = case.current_therapy
    for index, line in enumerate(history):
        if line.start is None:
            not_drawn.append(f"line {line.line} (no start date)")
            continue
        following = next((later.start for later in history[index + 1 :] if later.start is not None), None)
        end = line.end if line.end is not None else following
        is_current = (
            current is not None
            and index == len(history) - 1
            and line.end is None
            and _same_drugs(line.drugs, current.drugs)
        )
        periods.append(
            TherapyPeriod(
                label=f"Line {line.line}",
                line=line.line,
                drugs=tuple(line.drugs),
                start=line.start,
                end=end,
                best_response=line.best_response,
                stop_reason=line.stop_reason,
                end_recorded=line.end is not None,
                current=is_current,
            )
        )
    already_running = any(p.current for p in periods)
    if current is not None and not already_running:
        start, how = _current_start(case)
        if start is None:
            not_drawn.append("current therapy (no start date)")
        else:
            periods.append(
                TherapyPeriod(
                    label="Current therapy",
                    line=None,
                    drugs=tuple(current.drugs),
                    start=start,
                    end=None,
                    start_recorded=False,
                    end_recorded=False,
                    current=True,
                    stop_reason=None,
                    best_response=None,
                )
            )
            notes.append(f"the current therapy's start is not recorded; {how}")
    return TherapyPeriods(tuple(periods), tuple(not_drawn), tuple(notes))


def case_dates(case: Case, periods: TherapyPeriods) -> list[dt.date]:
    """Every date either time plot shows: both plots span the same dates, so that their
    axes line up when a report shows one above the other."""
    dates = [p.start for p in periods.periods] + [p.end for p in periods.periods if p.end is not None]
    dates += [point.date for point in case.ctdna]
    dates += [a.date for a in case.alterations if a.source == "plasma" and a.date is not None]
    dates += [t.date for t in case.her2_tests if t.date is not None]
    dates += [d for e in case.adverse_events for d in (e.onset, e.resolved) if d is not None]
    return dates


@dataclass(frozen=True)
class PlasmaPoint:
    date: dt.date
    value: float
    at_progression: bool


@dataclass(frozen=True)
class PlasmaSeries:
    """The plasma measurements over time: ERBB2 copy number and the VAF of each variant."""

    copy_number: tuple[PlasmaPoint, ...]
    vaf: dict[str, tuple[PlasmaPoint, ...]] = field(default_factory=dict)  # label -> points, oldest first

    @property
    def empty(self) -> bool:
        return not self.copy_number and not self.vaf

    def dates(self) -> list[dt.date]:
        return [p.date for p in self.copy_number] + [p.date for points in self.vaf.values() for p in points]


def _variant_label(gene: str, protein_change: str | None, kind: str = "mut") -> str:
    if kind == "mut":
        change = normalise_protein_change(protein_change)
        return f"{gene} {change}" if change else f"{gene} mutation"
    return f"{gene} {kind}"


def plasma_series(case: Case) -> PlasmaSeries:
    """ERBB2 copy number of each ``ctdna`` timepoint, and the VAF of each plasma variant.

    VAFs come from ``ctdna[].variants`` and from dated plasma ``alterations`` with a VAF;
    the same variant on the same date counts once (the ctDNA timepoint's value). A point
    is "at progression" when its timepoint says ``timing: progression``.
    """
    progression_dates = {p.date for p in case.ctdna if p.timing == "progression"}
    copy_number = tuple(
        PlasmaPoint(p.date, p.erbb2_copy_number, p.timing == "progression")
        for p in case.ctdna
        if p.erbb2_copy_number is not None
    )
    observed: dict[str, dict[dt.date, PlasmaPoint]] = {}
    for point in case.ctdna:
        for variant in point.variants:
            label = _variant_label(variant.gene, variant.protein_change)
            observed.setdefault(label, {}).setdefault(
                point.date, PlasmaPoint(point.date, variant.vaf, point.timing == "progression")
            )
    for alteration in case.alterations:
        if alteration.source != "plasma" or alteration.vaf is None or alteration.date is None:
            continue
        label = _variant_label(alteration.gene, alteration.protein_change, alteration.kind)
        observed.setdefault(label, {}).setdefault(
            alteration.date, PlasmaPoint(alteration.date, alteration.vaf, alteration.date in progression_dates)
        )
    vaf = {label: tuple(points[d] for d in sorted(points)) for label, points in observed.items()}
    return PlasmaSeries(copy_number, vaf)


@dataclass(frozen=True)
class PlasmaSample:
    """One plasma draw as the timeline labels it: ``CN 8.2``, ``TP53 p.R175H 31%``."""

    date: dt.date
    lines: tuple[str, ...]
    at_progression: bool


def plasma_samples(case: Case, most_variants: int = 2) -> list[PlasmaSample]:
    """Every plasma sampling date (ctDNA timepoints and dated plasma alterations), oldest first.

    A plasma alteration dated like a timepoint that already lists that gene is the same
    finding and is not repeated; beyond ``most_variants`` variants a line says how many more.
    """
    lines: dict[dt.date, list[str]] = {}
    genes: dict[dt.date, set[str]] = {}
    progression: set[dt.date] = set()
    for point in case.ctdna:
        entry = lines.setdefault(point.date, [])
        if point.erbb2_copy_number is not None:
            entry.append(f"CN {point.erbb2_copy_number:g}")
        entry += [f"{_variant_label(v.gene, v.protein_change)} {v.vaf * 100:.3g}%" for v in point.variants]
        genes.setdefault(point.date, set()).update(v.gene for v in point.variants)
        if point.timing == "progression":
            progression.add(point.date)
    for alteration in case.alterations:
        if alteration.source == "plasma" and alteration.date is not None:
            if alteration.gene in genes.get(alteration.date, set()):
                continue
            vaf = f" {alteration.vaf * 100:.3g}%" if alteration.vaf is not None else ""
            lines.setdefault(alteration.date, []).append(alteration.label() + vaf)
    samples = []
    for day in sorted(lines):
        entry = lines[day]
        has_cn = bool(entry) and entry[0].startswith("CN ")
        keep = most_variants + (1 if has_cn else 0)
        shown = entry[:keep] + ([f"+{len(entry) - keep} more"] if len(entry) > keep else [])
        if day in progression:
            shown.append("at progression")
        samples.append(PlasmaSample(day, tuple(shown) or ("sample",), day in progression))
    return samples


def her2_test_label(test: Her2Test, index: int, report: Report | None) -> str:
    """How a pathology report line reads: ``IHC 2+ · ISH ratio 2.4``; the deciding test says so."""
    parts: list[str] = []
    if test.ihc is not None:
        if test.ihc.score is not None:
            parts.append(f"IHC {test.ihc.score}")
        else:
            reading = [
                f"{test.ihc.percent_cells:g}% cells" if test.ihc.percent_cells is not None else "",
                test.ihc.intensity or "",
            ]
            parts.append("IHC " + " ".join(p for p in reading if p).replace("_", "-"))
    if test.ish is not None:
        if test.ish.ratio is not None:
            parts.append(f"ISH ratio {test.ish.ratio:g}")
        elif test.ish.reported_result is not None:
            parts.append("ISH " + test.ish.reported_result.replace("_", " "))
        elif test.ish.her2_signals_per_cell is not None:
            parts.append(f"ISH {test.ish.her2_signals_per_cell:g} HER2 signals/cell")
    label = " · ".join(parts)
    if report is not None and report.her2.deciding_test == index:
        label += f" (deciding: HER2 {report.her2.binary})"
    return label


_EVENT_NAMES = {
    "ild": "ILD/pneumonitis",
    "lvef_decrease": "LVEF decrease",
    "gi_perforation": "GI perforation",
    "immune_mediated": "immune-mediated",
}


def adverse_event_label(event: AdverseEvent) -> str:
    """``ILD/pneumonitis G1`` (and the organ of an immune-mediated event)."""
    name = _EVENT_NAMES.get(event.event, event.event.replace("_", " "))
    if event.event == "immune_mediated" and event.organ:
        name += f" ({event.organ})"
    return name + (f" G{event.grade}" if event.grade is not None else "")


def dated_her2_tests(case: Case) -> tuple[list[tuple[int, Her2Test, dt.date]], list[str]]:
    """HER2 tests with a date (index, test, date), and the ones that cannot be placed."""
    dated = [(i, t, t.date) for i, t in enumerate(case.her2_tests) if t.date is not None]
    undated = [f"HER2 test {i + 1} (no date)" for i, t in enumerate(case.her2_tests) if t.date is None]
    return dated, undated


def dated_adverse_events(case: Case) -> tuple[list[tuple[AdverseEvent, dt.date]], list[str]]:
    dated = [(e, e.onset) for e in case.adverse_events if e.onset is not None]
    undated = [f"{adverse_event_label(e)} on {e.drug} (no onset date)" for e in case.adverse_events if e.onset is None]
    return dated, undated


def period_heading(period: TherapyPeriod, long: bool = True) -> str:
    """``Line 1 · best response PR`` (``· PR`` when short), ``· ongoing`` or the stop reason other than progression."""
    parts = [period.label]
    if period.best_response:
        parts.append(f"best response {period.best_response}" if long else period.best_response)
    if period.current:
        parts.append("ongoing")
    elif period.stop_reason and period.stop_reason != "progression":
        parts.append(f"stopped: {period.stop_reason}" if long else period.stop_reason)
    return " · ".join(parts)


def period_text(period: TherapyPeriod) -> str:
    """One sentence for the description: ``Line 1: trastuzumab + ..., 2025-02-01 to 2025-09-01,
    best response PR, stopped: progression``."""
    start = period.start.isoformat() + ("" if period.start_recorded else " (start not recorded)")
    if period.current:
        span = f"from {start}, ongoing"
    elif period.end is not None and period.end_recorded:
        span = f"{start} to {period.end.isoformat()}"
    elif period.end is not None:
        span = f"{start} to the next line's start {period.end.isoformat()} (end not recorded)"
    else:
        span = f"from {start} (end not recorded)"
    parts = [f"{period.label}: {' + '.join(period.drugs)}", span]
    if period.best_response:
        parts.append(f"best response {period.best_response}")
    if period.stop_reason:
        parts.append(f"stopped: {period.stop_reason}")
    return ", ".join(parts)
