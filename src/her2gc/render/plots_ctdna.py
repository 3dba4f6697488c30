"""The ctDNA trend: plasma ERBB2 copy number and the VAF of each plasma variant over time,
with the lines of therapy shaded and progression marked.

Reading it: seed 002 compares the plasma ERBB2 copy number at progression with the
baseline (above baseline: primary resistance; below: HER2 loss under therapy), and
seed 001 follows new plasma mutations at progression; the picture puts those
measurements against the lines of therapy so that a board sees both at once. The
pattern itself is the report's (``resistance.ctdna_pattern``); the plot only shows data.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from her2gc.case import Case
from her2gc.render.plots_axes import (
    date_range,
    fit_text,
    format_date_axis,
    mark_progressions,
    notes_text,
    number,
    period_end,
    period_id,
    pixel_width,
    shade_periods,
)
from her2gc.render.plots_data import (
    PlasmaPoint,
    PlasmaSeries,
    TherapyPeriods,
    case_dates,
    period_heading,
    period_text,
    plasma_series,
    therapy_periods,
)
from her2gc.render.plots_svg import (
    FIGURE_WIDTH_IN,
    LABEL_BOX,
    PLOT_LEFT_IN,
    PLOT_RIGHT_IN,
    PROGRESSION_COLOUR,
    SERIES_COLOURS,
    SERIES_MARKERS,
    SMALL_FONT_PT,
    finish_svg,
    render_figure,
    slug,
    text_colour,
)
from her2gc.report import Report

if TYPE_CHECKING:
    import datetime as dt

    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

_WIDTH_IN, _LEFT_IN, _RIGHT_IN = FIGURE_WIDTH_IN, PLOT_LEFT_IN, PLOT_RIGHT_IN
_BAND_IN, _PANEL_IN, _TITLE_GAP_IN, _AXIS_IN, _NOTE_LINE_IN = 0.55, 2.0, 0.42, 0.5, 0.17


def _axes(figure: Figure, top_in: float, height_in: float) -> Axes:
    height = figure.get_figheight()
    width = (_WIDTH_IN - _LEFT_IN - _RIGHT_IN) / _WIDTH_IN
    return figure.add_axes((_LEFT_IN / _WIDTH_IN, 1 - (top_in + height_in) / height, width, height_in / height))


def _band(ax: Axes, periods: TherapyPeriods, right: dt.date) -> None:
    """The strip above the panels that names each shaded line of therapy."""
    ax.set_ylim(0, 1)
    ax.set_yticks([])
    for spine in ax.spines.values():
        spine.set_visible(False)
    shade_periods(ax, periods.periods, right, "band")
    mark_progressions(ax, periods.periods, "band")
    for period in periods.periods:
        x0, x1 = number(period.start), number(period_end(period, right))
        # no line break inside the heading: "Line 3 · PR" stays whole, the drugs may wrap
        name = period_heading(period, long=False).replace(" ", "\u00a0")
        text = ax.text((x0 + x1) / 2, 0.5, name, ha="center", va="center", fontsize=SMALL_FONT_PT, linespacing=1.15)
        text.set_gid(f"therapy-label-{period_id(period)}")
        short = "Now" if period.current else f"L{period.line}"
        candidates = [f"{name}: {' + '.join(period.drugs)}", name, period.label, short]
        fit_text(text, candidates, pixel_width(ax, x0, x1) - 4)
    ax.set_title("Lines of therapy", fontsize=9.5, fontweight="bold", loc="left", pad=3)


def _plot_series(ax: Axes, points: Sequence[PlasmaPoint], gid: str, index: int, label: str, as_percent: bool) -> None:
    xs = [number(p.date) for p in points]
    ys = [p.value * 100 if as_percent else p.value for p in points]
    colour, marker = SERIES_COLOURS[index % len(SERIES_COLOURS)], SERIES_MARKERS[index % len(SERIES_MARKERS)]
    (line,) = ax.plot(
        xs, ys, marker=marker, color=colour, markersize=7, linewidth=1.8, label=label, zorder=4, clip_on=False
    )
    line.set_gid(gid)
    for position, (x, y) in enumerate(zip(xs, ys, strict=False), start=1):
        value = f"{y:.3g}%" if as_percent else f"{y:.3g}"
        text = ax.annotate(
            value,
            (x, y),
            xytext=(0, 9),
            textcoords="offset points",
            ha="center",
            va="bottom",
            fontsize=SMALL_FONT_PT,
            color=text_colour(colour),
            bbox=LABEL_BOX,
            zorder=6,
        )
        text.set_gid(f"{gid}-value-{position}")
    at_progression = [(x, y) for x, y, p in zip(xs, ys, points, strict=False) if p.at_progression]
    if at_progression:
        (ring,) = ax.plot(
            [x for x, _ in at_progression],
            [y for _, y in at_progression],
            linestyle="none",
            marker="o",
            markersize=14,
            markerfacecolor="none",
            markeredgecolor=PROGRESSION_COLOUR,
            markeredgewidth=2,
            zorder=5,
            clip_on=False,  # a ring at 0 % stays whole
            label="sample at progression",
        )
        ring.set_gid(f"{gid}-at-progression")


def _legend(ax: Axes) -> None:
    from matplotlib.lines import Line2D

    handles, labels = ax.get_legend_handles_labels()
    # the series first, then the marks that mean the same in every series
    ordered = sorted(zip(labels, handles, strict=False), key=lambda pair: pair[0] == "sample at progression")
    unique = dict(ordered)
    if any((line.get_gid() or "").startswith("progression-") for line in ax.get_lines()):
        unique["line stopped: progression"] = Line2D(
            [], [], color=PROGRESSION_COLOUR, linestyle=(0, (4, 2)), linewidth=1.6
        )
    legend = ax.legend(
        unique.values(), unique.keys(), loc="upper left", bbox_to_anchor=(1.02, 1.0), frameon=False, borderaxespad=0
    )
    legend.set_gid(f"{ax.get_gid()}-legend")


def _panel(
    ax: Axes, periods: TherapyPeriods, right: dt.date, left: dt.date, name: str, title: str, ylabel: str, last: bool
) -> None:
    ax.set_gid(f"panel-{name}")
    shade_periods(ax, periods.periods, right, name)
    mark_progressions(ax, periods.periods, name)
    ax.set_title(title, pad=6)
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", color="#dddddd", linewidth=0.8, zorder=1)
    format_date_axis(ax, left, right, labelled=last)


def _figure(series: PlasmaSeries, periods: TherapyPeriods, dates: list[dt.date]) -> Figure:
    from matplotlib.figure import Figure

    panels = [name for name, present in (("copy-number", series.copy_number), ("vaf", series.vaf)) if present]
    notes = [
        *(f"Not drawn: {item}" for item in periods.not_drawn),
        *(note[0].upper() + note[1:] for note in periods.notes),
    ]
    height = 0.2 + _BAND_IN + len(panels) * (_TITLE_GAP_IN + _PANEL_IN) + _AXIS_IN + len(notes) * _NOTE_LINE_IN + 0.1
    figure = Figure(figsize=(_WIDTH_IN, height))
    left, right = date_range(dates, open_ended=any(p.end is None for p in periods.periods))
    band = _axes(figure, 0.2, _BAND_IN)
    format_date_axis(band, left, right, labelled=False)
    _band(band, periods, right)
    top = 0.2 + _BAND_IN
    axes: list[Axes] = []
    for number_of_panel, name in enumerate(panels, start=1):
        last = number_of_panel == len(panels)
        ax = _axes(figure, top + _TITLE_GAP_IN, _PANEL_IN)
        top += _TITLE_GAP_IN + _PANEL_IN
        axes.append(ax)
        if name == "copy-number":
            _panel(ax, periods, right, left, name, "Plasma ERBB2 copy number", "copy number", last)
            _plot_series(ax, series.copy_number, "ctdna-erbb2-copy-number", 0, "ERBB2 copy number", as_percent=False)
            ax.set_ylim(0, max(p.value for p in series.copy_number) * 1.3 or 1)
        else:
            _panel(ax, periods, right, left, name, "Plasma variant allele fraction (VAF)", "VAF (%)", last)
            for index, (label, points) in enumerate(series.vaf.items()):
                _plot_series(ax, points, f"ctdna-vaf-{slug(label)}", index + 1, label, as_percent=True)
            ax.set_ylim(0, max(p.value for points in series.vaf.values() for p in points) * 130 or 1)
        _legend(ax)
    notes_text(figure, notes, top + _AXIS_IN)
    return figure


def _points_text(points: Sequence[PlasmaPoint], as_percent: bool) -> str:
    def value(point: PlasmaPoint) -> str:
        shown = f"{point.value * 100:.3g}%" if as_percent else f"{point.value:g}"
        return f"{shown} on {point.date.isoformat()}" + (" (at progression)" if point.at_progression else "")

    return ", ".join(value(p) for p in points)


def _description(series: PlasmaSeries, periods: TherapyPeriods, report: Report) -> str:
    parts = []
    if series.copy_number:
        parts.append(f"Plasma ERBB2 copy number: {_points_text(series.copy_number, False)}.")
    for label, points in series.vaf.items():
        parts.append(f"{label} VAF: {_points_text(points, True)}.")
    parts.extend(f"{period_text(p)}." for p in periods.periods)
    parts.extend(f"Not drawn: {item}." for item in periods.not_drawn)
    parts.append(f"The report reads the copy-number pattern as {report.resistance.ctdna_pattern.replace('_', ' ')}.")
    return " ".join(parts)


def ctdna_trend_svg(case: Case, report: Report) -> str | None:
    """The ctDNA trend of the case as inline SVG, or None when the case has no plasma data.

    One panel for the ERBB2 copy number and one for the VAF of each plasma variant
    (``ctdna[].variants`` and dated plasma ``alterations``), each drawn only when there is
    something to show; the lines of therapy are shaded and named in a strip on top, a
    dashed line marks a line stopped for progression, and a ring marks a sample taken at
    progression (``timing: progression``).
    """
    series = plasma_series(case)
    if series.empty:
        return None
    periods = therapy_periods(case)
    raw = render_figure(lambda: _figure(series, periods, case_dates(case, periods)))
    return finish_svg(
        raw,
        prefix="her2gc-ctdna",
        title=f"ctDNA trend of patient {report.patient_id}",
        description=_description(series, periods, report),
        classes="her2gc-ctdna-trend",
    )
