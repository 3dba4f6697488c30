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
    notes_text,
    number,
    period_end,
    period_id,
    pixel_width,
    text_box,
)
from her2gc.render.plots_data import (
    TherapyPeriods,
    adverse_event_label,
    case_dates,
    dated_adverse_events,
    dated_her2_tests,
    her2_test_label,
    period_heading,
    period_text,
    plasma_samples,
    therapy_periods,
)
from her2gc.render.plots_labels import label_levels
from her2gc.render.plots_svg import (
    CURRENT_TINT,
    FIGURE_WIDTH_IN,
    HATCH_COLOUR,
    LABEL_BOX,
    OKABE_ITO,
    PLOT_LEFT_IN,
    PLOT_RIGHT_IN,
    PROGRESSION_COLOUR,
    SMALL_FONT_PT,
    THERAPY_TINTS,
    finish_svg,
    render_figure,
    text_colour,
)
from her2gc.report import Report

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Annotation

_WIDTH_IN, _LEFT_IN, _RIGHT_IN = FIGURE_WIDTH_IN, PLOT_LEFT_IN, PLOT_RIGHT_IN
_TOP_IN, _AXIS_IN, _NOTE_LINE_IN = 0.15, 0.45, 0.17
_THERAPY_ROW_IN = 1.2
_MARK_Y_IN = 0.22  # height of an event's mark above its row's floor
_LABEL_GAP_PT = 3.0
_LABEL_INSET_PT = 2.0  # a label's box starts just right of its mark, clear of the leader
_POINTS_PER_INCH = 72.0


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


def _row_name(ax: Axes, name: str, top: float, height: float) -> None:
    from matplotlib.transforms import blended_transform_factory

    where = blended_transform_factory(ax.transAxes, ax.transData)
    ax.text(
        -0.015, top + height / 2, name, transform=where, ha="right", va="center", fontweight="bold", linespacing=1.1
    )


def _shade(ax: Axes, periods: TherapyPeriods, right: dt.date, top: float, height: float, key: str) -> None:
    """The lines of therapy shaded behind a row (id ``therapy-line-1-<row>``), progression dashed."""
    from matplotlib.patches import Rectangle

    for index, period in enumerate(periods.periods):
        x0, x1 = number(period.start), number(period_end(period, right))
        colour = CURRENT_TINT if period.current else THERAPY_TINTS[index % len(THERAPY_TINTS)]
        hatch = "//" if period.current and not period.start_recorded else None
        span = Rectangle((x0, top), x1 - x0, height, facecolor=colour, edgecolor="none", hatch=hatch, linewidth=0)
        span.set_hatchcolor(HATCH_COLOUR)
        span.set_zorder(0)
        span.set_gid(f"therapy-{period_id(period)}-{key}")
        ax.add_patch(span)
        if period.progressed and period.end is not None:
            end = number(period.end)
            (line,) = ax.plot(
                [end, end],
                [top, top + height],
                color=PROGRESSION_COLOUR,
                linestyle=(0, (4, 2)),
                linewidth=1.6,
                zorder=2,
            )
            line.set_gid(f"progression-{period_id(period)}-{key}")


def _therapy_row(ax: Axes, periods: TherapyPeriods, right: dt.date, top: float) -> float:
    """Bars of the lines of therapy, named, with their drugs below; returns the row's height."""
    bar_top, bar_h = top + 0.3, 0.34
    for index, period in enumerate(periods.periods):
        x0, x1 = number(period.start), number(period_end(period, right))
        colour = CURRENT_TINT if period.current else THERAPY_TINTS[index % len(THERAPY_TINTS)]
        hatch = "//" if period.current and not period.start_recorded else None
        (bar,) = ax.barh(
            bar_top + bar_h / 2,
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
            (x0 + x1) / 2, bar_top + bar_h / 2, heading, ha="center", va="center", fontsize=9.5, fontweight="bold"
        )
        title.set_gid(f"line-label-{period_id(period)}")
        short = "Now" if period.current else f"L{period.line}"
        fit_text(
            title, [heading + inferred, heading, period_heading(period, long=False), period.label, short], width, 1
        )
        drugs = ax.text(
            (x0 + x1) / 2,
            bar_top + bar_h + 0.06,
            " + ".join(period.drugs),
            ha="center",
            va="top",
            fontsize=SMALL_FONT_PT,
            linespacing=1.15,
        )
        drugs.set_gid(f"line-drugs-{period_id(period)}")
        fit_text(drugs, [" + ".join(period.drugs)], max(width, 90), 3)
        keep_inside(drugs, ax)
        if period.progressed and period.end is not None:
            end = number(period.end)
            (tick,) = ax.plot(
                [end, end],
                [bar_top - 0.04, bar_top + bar_h + 0.04],
                color=PROGRESSION_COLOUR,
                linewidth=3,
                solid_capstyle="butt",
            )
            tick.set_gid(f"line-progression-{period_id(period)}")
            text = ax.text(
                end,
                bar_top - 0.06,
                "progression",
                ha="center",
                va="bottom",
                fontsize=SMALL_FONT_PT,
                color=text_colour(PROGRESSION_COLOUR),
            )
            keep_inside(text, ax)
    return _THERAPY_ROW_IN


def _event_row(ax: Axes, row: Row, top: float) -> float:
    """A row's marks with their labels stacked in levels; returns the row's height in inches.

    The axis runs downwards in inches, so each row is placed under the ones before it
    once its labels' widths (which depend only on the figure's width) have been measured.
    """
    labels: list[Annotation] = []
    frame = ax.get_window_extent()
    for mark in row.marks:
        # A label starts at its mark and runs right (left of it near the right edge), so a
        # leader down from a raised label passes left of every later label below it.
        label = ax.annotate(
            mark.label,
            (number(mark.day), top),
            xytext=(_LABEL_INSET_PT, 0),
            textcoords="offset points",
            ha="left",
            va="bottom",
            fontsize=SMALL_FONT_PT,
            linespacing=1.15,
            bbox=LABEL_BOX,
            zorder=5,
        )
        label.set_gid(f"{mark.gid}-label")
        if text_box(label).x1 > frame.x1:
            label.set_horizontalalignment("right")
            label.xyann = (-_LABEL_INSET_PT, 0)
        labels.append(label)
    boxes = [text_box(label) for label in labels]
    anchors = [float(ax.transData.transform((number(mark.day), top))[0]) for mark in row.marks]
    levels = label_levels([(box.x0, box.x1) for box in boxes], anchors)
    dpi = ax.get_figure().dpi  # type: ignore[union-attr]
    heights = [0.0] * (max(levels) + 1)
    for level, box in zip(levels, boxes, strict=False):
        heights[level] = max(heights[level], box.height / dpi * _POINTS_PER_INCH)
    base = 9.0
    needed_in = (base + sum(heights) + len(heights) * _LABEL_GAP_PT) / _POINTS_PER_INCH
    height = needed_in + _MARK_Y_IN + 0.08
    mark_y = top + height - _MARK_Y_IN
    for mark, level, label in zip(row.marks, levels, labels, strict=False):
        x = number(mark.day)
        offset = base + sum(heights[:level]) + level * _LABEL_GAP_PT
        label.xy = (x, mark_y)
        label.xyann = (label.xyann[0], offset)
        if level:  # a leader from a raised label down to its mark
            (leader,) = ax.plot(
                [x, x],
                [mark_y - 7 / _POINTS_PER_INCH, mark_y - offset / _POINTS_PER_INCH],
                color="#8a8a8a",
                linewidth=0.7,
                zorder=3,
            )
            leader.set_gid(f"{mark.gid}-leader")
        if mark.until is not None:
            (span,) = ax.plot(
                [x, number(mark.until)],
                [mark_y, mark_y],
                color=row.colour,
                linewidth=4,
                alpha=0.45,
                solid_capstyle="butt",
            )
            span.set_gid(f"{mark.gid}-duration")
        (point,) = ax.plot(
            [x],
            [mark_y],
            linestyle="none",
            marker=row.marker,
            markersize=13 if row.marker == "|" else 9,
            markeredgewidth=2 if row.marker == "|" else 1,
            color=PROGRESSION_COLOUR if mark.at_progression else row.colour,
            zorder=4,
        )
        point.set_gid(mark.gid + ("-at-progression" if mark.at_progression else ""))
    return height


def _figure(periods: TherapyPeriods, rows: list[Row], notes: list[str], dates: list[dt.date]) -> Figure:
    from matplotlib.figure import Figure

    figure = Figure(figsize=(_WIDTH_IN, 4.0))
    left, right = date_range(dates, open_ended=any(p.end is None for p in periods.periods))
    width = (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN
    ax = figure.add_axes((_LEFT_IN / _WIDTH_IN, 0.1, width, 0.8))
    ax.set_gid("timeline")
    format_date_axis(ax, left, right)
    ax.set_yticks([])
    ax.spines["left"].set_visible(False)
    # Provisional: an annotation outside the axes measures as empty, so the range holds
    # every row while labels are measured; the real range is set below.
    ax.set_ylim(100, 0)
    top = 0.0
    if periods.periods:
        height = _therapy_row(ax, periods, right, top)
        _row_name(ax, "Lines of\ntherapy", top, height)
        top += height
    for row in rows:
        height = _event_row(ax, row, top)
        _shade(ax, periods, right, top, height, row.key)
        _row_name(ax, row.name, top, height)
        ax.axhline(top, color="#bbbbbb", linewidth=0.8, zorder=1)
        top += height
    ax.set_ylim(top, 0)  # inches from the top of the first row, downwards
    figure_height = _TOP_IN + top + _AXIS_IN + len(notes) * _NOTE_LINE_IN + 0.1
    figure.set_size_inches(_WIDTH_IN, figure_height)
    ax.set_position((_LEFT_IN / _WIDTH_IN, 1 - (_TOP_IN + top) / figure_height, width, top / figure_height))
    ax.grid(axis="x", color="#e4e4e4", linewidth=0.8, zorder=0)
    _legend(ax, periods, rows)
    notes_text(figure, notes, _TOP_IN + top + _AXIS_IN)
    return figure


def _legend(ax: Axes, periods: TherapyPeriods, rows: Sequence[Row]) -> None:
    """What each kind of mark means, beside the plot; only the kinds the case has."""
    from matplotlib.artist import Artist
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    entries: list[tuple[str, Artist]] = []
    if periods.periods:
        entries.append(("line of therapy", Patch(facecolor=THERAPY_TINTS[0], edgecolor="#555555")))
    if any(not p.start_recorded for p in periods.periods):
        entries.append(("start not recorded", Patch(facecolor=CURRENT_TINT, edgecolor="#555555", hatch="//")))
    if any(p.progressed for p in periods.periods):
        entries.append(
            ("stopped: progression", Line2D([], [], color=PROGRESSION_COLOUR, linestyle=(0, (4, 2)), linewidth=1.6))
        )
    kinds = {
        "adverse-events": "adverse event",
        "her2-tests": "HER2 test",
        "ctdna": "ctDNA sample",
    }
    for row in rows:
        marker_size = 13 if row.marker == "|" else 8
        entries.append(
            (
                kinds[row.key],
                Line2D([], [], linestyle="none", marker=row.marker, color=row.colour, markersize=marker_size),
            )
        )
        if any(m.until for m in row.marks):
            entries.append(("until resolved", Line2D([], [], color=row.colour, linewidth=4, alpha=0.45)))
        if any(m.at_progression for m in row.marks):
            entries.append(
                (
                    "sample at progression",
                    Line2D([], [], linestyle="none", marker=row.marker, color=PROGRESSION_COLOUR, markersize=13),
                )
            )
    legend = ax.legend(
        [artist for _, artist in entries],
        [name for name, _ in entries],
        loc="upper left",
        bbox_to_anchor=(1.02, 1.0),
        frameon=False,
        borderaxespad=0,
    )
    legend.set_gid("timeline-legend")


def _description(periods: TherapyPeriods, rows: list[Row], not_placed: list[str]) -> str:
    parts = [f"{period_text(p)}." for p in periods.periods]
    for row in rows:
        items = "; ".join(f"{m.day.isoformat()} {', '.join(m.label.splitlines())}" for m in row.marks)
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
    raw = render_figure(lambda: _figure(periods, rows, notes, case_dates(case, periods)))
    return finish_svg(
        raw,
        prefix="her2gc-timeline",
        title=f"Treatment timeline of patient {report.patient_id}",
        description=_description(periods, rows, not_placed),
        classes="her2gc-treatment-timeline",
    )
