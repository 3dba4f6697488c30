"""The treatment timeline: lines of therapy as bars (drugs, best response, progression),
adverse events, HER2 tests and ctDNA samples as marks on one date axis.

One row per kind of event, each row only when the case has one. Labels that would
overlap are stacked in levels; a row is as tall as its levels need, so nothing is
hidden behind anything else.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from her2gc.case import Case
from her2gc.render.plots_axes import (
    date_range,
    fit_text,
    format_date_axis,
    keep_inside,
    mark_progressions,
    notes_text,
    number,
    period_end,
    period_id,
    pixel_width,
    shade_periods,
    text_box,
)
from her2gc.render.plots_data import (
    TherapyPeriods,
    adverse_event_label,
    dated_adverse_events,
    dated_her2_tests,
    her2_test_label,
    period_heading,
    period_text,
    plasma_samples,
    therapy_periods,
)
from her2gc.render.plots_svg import (
    CURRENT_TINT,
    HATCH_COLOUR,
    LABEL_BOX,
    OKABE_ITO,
    PROGRESSION_COLOUR,
    THERAPY_TINTS,
    finish_svg,
    render_figure,
)
from her2gc.report import Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

_WIDTH_IN = 9.0
_LEFT_IN, _RIGHT_IN = 1.15, 0.35
_TOP_IN, _AXIS_IN, _NOTE_LINE_IN = 0.15, 0.45, 0.17
_THERAPY_ROW_IN = 1.25
_MARK_Y_IN = 0.22  # height of an event's mark above its row's floor
_LABEL_GAP_PT = 3.0
_POINTS_PER_INCH = 72.0
# a thin leader from a stacked label down to its mark, so that each label shows its event
_LEADER = {"arrowstyle": "-", "color": "#8a8a8a", "linewidth": 0.7, "shrinkA": 0, "shrinkB": 7}


@dataclass(frozen=True)
class Mark:
    """One dated event of a row: where it is, what its label says, its id."""

    day: dt.date
    label: str
    gid: str
    until: dt.date | None = None  # an adverse event's resolution: drawn as a bar from ``day``
    at_progression: bool = False  # a ctDNA sample taken at progression: drawn in the progression colour


@dataclass(frozen=True)
class Row:
    name: str
    key: str
    marks: tuple[Mark, ...]
    marker: str
    colour: str


def _rows(case: Case, report: Report) -> tuple[list[Row], list[str]]:
    rows: list[Row] = []
    events, undated_events = dated_adverse_events(case)
    if events:
        marks = tuple(
            Mark(day, f"{adverse_event_label(e)}\n{e.drug}", f"adverse-event-{i + 1}", e.resolved)
            for i, (e, day) in enumerate(events)
        )
        rows.append(Row("Adverse\nevents", "adverse-events", marks, "^", OKABE_ITO["reddish_purple"]))
    tests, undated_tests = dated_her2_tests(case)
    if tests:
        marks = tuple(
            Mark(
                day,
                f"{her2_test_label(t, i, report)}\n{t.specimen}, {t.setting.replace('_', ' ')}",
                f"her2-test-{i + 1}",
            )
            for i, t, day in tests
        )
        rows.append(Row("HER2\ntests", "her2-tests", marks, "D", OKABE_ITO["blue"]))
    samples = plasma_samples(case)
    if samples:
        marks = tuple(
            Mark(sample.date, "\n".join(sample.lines), f"ctdna-{i + 1}", at_progression=sample.at_progression)
            for i, sample in enumerate(samples)
        )
        rows.append(Row("ctDNA\nsamples", "ctdna", marks, "|", OKABE_ITO["black"]))
    return rows, [*undated_events, *undated_tests]


def _levels(widths: Sequence[tuple[float, float]], pad: float = 6.0) -> list[int]:
    """Greedy stacking: each label takes the lowest level where it overlaps no other.

    Invariant: labels on one level never overlap horizontally (``widths`` are display
    x intervals, in the order of their marks' dates).
    """
    ends: list[float] = []
    levels = []
    for x0, x1 in widths:
        level = next((k for k, end in enumerate(ends) if x0 > end + pad), len(ends))
        if level == len(ends):
            ends.append(x1)
        else:
            ends[level] = x1
        levels.append(level)
    return levels


def _row_axes(figure: Figure) -> Axes:
    width = (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN
    return figure.add_axes((_LEFT_IN / _WIDTH_IN, 0.0, width, 0.1))


def _style_row(ax: Axes, name: str, left: dt.date, right: dt.date) -> None:
    format_date_axis(ax, left, right)
    ax.set_yticks([])
    ax.set_ylabel(name, rotation=0, ha="right", va="center", fontweight="bold", labelpad=10, linespacing=1.1)
    ax.spines["left"].set_visible(False)
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.8, zorder=0)
    ax.tick_params(axis="x", labelbottom=False, length=0)


def _therapy_row(ax: Axes, periods: TherapyPeriods, right: dt.date) -> None:
    ax.set_ylim(0, _THERAPY_ROW_IN)
    bar_y, bar_h = 0.62, 0.34
    for index, period in enumerate(periods.periods):
        x0, x1 = number(period.start), number(period_end(period, right))
        colour = CURRENT_TINT if period.current else THERAPY_TINTS[index % len(THERAPY_TINTS)]
        hatch = "//" if period.current and not period.start_recorded else None
        (bar,) = ax.barh(
            bar_y + bar_h / 2,
            x1 - x0,
            left=x0,
            height=bar_h,
            color=colour,
            edgecolor="#555555",
            hatch=hatch,
            hatchcolor=HATCH_COLOUR,
            linewidth=1,
        )
        bar.set_gid(f"line-bar-{period_id(period)}")
        width = pixel_width(ax, x0, x1) - 6
        heading = period_heading(period)
        inferred = "" if period.start_recorded else " (start not recorded)"
        title = ax.text(
            (x0 + x1) / 2, bar_y + bar_h / 2, heading, ha="center", va="center", fontsize=9.5, fontweight="bold"
        )
        title.set_gid(f"line-label-{period_id(period)}")
        short = "Now" if period.current else f"L{period.line}"
        candidates = [heading + inferred, heading, period_heading(period, long=False), period.label, short]
        fit_text(title, candidates, width, 1)
        drugs = ax.text(
            (x0 + x1) / 2, bar_y - 0.06, " + ".join(period.drugs), ha="center", va="top", fontsize=9, linespacing=1.15
        )
        drugs.set_gid(f"line-drugs-{period_id(period)}")
        fit_text(drugs, [" + ".join(period.drugs)], max(width, 90), 3)
        keep_inside(drugs, ax)
        if period.progressed and period.end is not None:
            end = number(period.end)
            (tick,) = ax.plot(
                [end, end],
                [bar_y - 0.04, bar_y + bar_h + 0.04],
                color=PROGRESSION_COLOUR,
                linewidth=3,
                solid_capstyle="butt",
            )
            tick.set_gid(f"line-progression-{period_id(period)}")
            text = ax.text(
                end,
                bar_y + bar_h + 0.06,
                "progression",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=PROGRESSION_COLOUR,
            )
            keep_inside(text, ax)


def _event_row(ax: Axes, row: Row) -> float:
    """Draw a row's marks and labels; returns the height in inches the row needs."""
    ax.set_ylim(0, 1)  # provisional; set to the row's height in inches below
    labels: list[Annotation] = []
    for mark in row.marks:
        x = number(mark.day)
        if mark.until is not None:
            (span,) = ax.plot(
                [x, number(mark.until)],
                [_MARK_Y_IN, _MARK_Y_IN],
                color=row.colour,
                linewidth=4,
                alpha=0.45,
                solid_capstyle="butt",
            )
            span.set_gid(f"{mark.gid}-duration")
        (point,) = ax.plot(
            [x],
            [_MARK_Y_IN],
            linestyle="none",
            marker=row.marker,
            markersize=13 if row.marker == "|" else 9,
            markeredgewidth=2 if row.marker == "|" else 1,
            color=PROGRESSION_COLOUR if mark.at_progression else row.colour,
            zorder=4,
        )
        point.set_gid(mark.gid + ("-at-progression" if mark.at_progression else ""))
        label = ax.annotate(
            mark.label,
            (x, _MARK_Y_IN),
            xytext=(0, 0),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=8.5,
            linespacing=1.15,
            bbox=LABEL_BOX,
            arrowprops=_LEADER,
        )
        label.set_gid(f"{mark.gid}-label")
        keep_inside(label, ax)
        labels.append(label)
    boxes = [text_box(label) for label in labels]
    levels = _levels([(box.x0, box.x1) for box in boxes])
    dpi = ax.get_figure().dpi  # type: ignore[union-attr]
    heights = [0.0] * (max(levels) + 1)
    for level, box in zip(levels, boxes):
        heights[level] = max(heights[level], box.height / dpi * _POINTS_PER_INCH)
    base = 9.0
    for level, label in zip(levels, labels):
        label.xyann = (0, base + sum(heights[:level]) + level * _LABEL_GAP_PT)
    needed_pt = base + sum(heights) + len(heights) * _LABEL_GAP_PT
    return _MARK_Y_IN + needed_pt / _POINTS_PER_INCH + 0.08


def _figure(case: Case, report: Report, periods: TherapyPeriods, rows: list[Row], notes: list[str]) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_IN, 4.0))
    dates = [p.start for p in periods.periods] + [p.end for p in periods.periods if p.end is not None]
    dates += [m.day for row in rows for m in row.marks] + [m.until for row in rows for m in row.marks if m.until]
    left, right = date_range(dates, open_ended=any(p.end is None for p in periods.periods))
    placed: list[tuple[Axes, float]] = []
    if periods.periods:
        ax = _row_axes(figure)
        _style_row(ax, "Lines of\ntherapy", left, right)
        ax.set_gid("row-therapy")
        _therapy_row(ax, periods, right)
        placed.append((ax, _THERAPY_ROW_IN))
    for row in rows:
        ax = _row_axes(figure)
        _style_row(ax, row.name, left, right)
        ax.set_gid(f"row-{row.key}")
        shade_periods(ax, periods.periods, right, row.key)
        mark_progressions(ax, periods.periods, row.key)
        placed.append((ax, _event_row(ax, row)))
    height = _TOP_IN + sum(h for _, h in placed) + _AXIS_IN + len(notes) * _NOTE_LINE_IN + 0.1
    figure.set_size_inches(_WIDTH_IN, height)
    top = _TOP_IN
    for ax, row_height in placed:
        ax.set_ylim(0, row_height)
        ax.set_position(
            (
                _LEFT_IN / _WIDTH_IN,
                1 - (top + row_height) / height,
                (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN,
                row_height / height,
            )
        )
        top += row_height
    placed[-1][0].tick_params(axis="x", labelbottom=True, length=3.5)
    notes_text(figure, notes, top + _AXIS_IN)
    return figure


def _description(periods: TherapyPeriods, rows: list[Row], not_placed: list[str]) -> str:
    parts = [f"{period_text(p)}." for p in periods.periods]
    for row in rows:
        items = "; ".join(f"{m.day.isoformat()} {' '.join(m.label.split())}" for m in row.marks)
        parts.append(f"{' '.join(row.name.split())}: {items}.")
    parts.extend(f"Not drawn: {item}." for item in [*periods.not_drawn, *not_placed])
    return " ".join(parts)


def treatment_timeline_svg(case: Case, report: Report) -> str | None:
    """The case's treatment timeline as inline SVG, or None when nothing in it is dated.

    Lines of therapy are bars from start to end with their drugs and best response (a
    line stopped for progression ends in a vermillion tick); adverse events (with the
    drug and grade, a bar to their resolution), HER2 tests (IHC and ISH results) and
    ctDNA samples are marks on rows below, the lines shaded behind them.
    """
    periods = therapy_periods(case)
    rows, not_placed = _rows(case, report)
    if not periods.periods and not rows:
        return None
    notes = [
        *(f"Not drawn: {item}" for item in [*periods.not_drawn, *not_placed]),
        *(n[0].upper() + n[1:] for n in periods.notes),
    ]
    raw = render_figure(lambda: _figure(case, report, periods, rows, notes))
    return finish_svg(
        raw,
        prefix="her2gc-timeline",
        title=f"Treatment timeline of patient {report.patient_id}",
        description=_description(periods, rows, not_placed),
        classes="her2gc-treatment-timeline",
    )
