"""Axes pieces both time plots share: the date axis, the shaded lines of therapy, labels
that fit their space and do not overlap.

Figures use fixed margins (no automatic layout) so that a label's place measured while
building is the place it is drawn at: the overlap checks below rely on that.
"""

from __future__ import annotations

import datetime as dt
import math
import textwrap
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from her2gc.render.plots_data import TherapyPeriod
from her2gc.render.plots_svg import CURRENT_TINT, HATCH_COLOUR, PROGRESSION_COLOUR, SMALL_FONT_PT, THERAPY_TINTS, slug

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure
    from matplotlib.text import Text
    from matplotlib.transforms import Bbox

_ONE_DAY = dt.timedelta(days=1)


def date_range(dates: Sequence[dt.date], open_ended: bool) -> tuple[dt.date, dt.date]:
    """The x range: every date with a margin; more room on the right for a running therapy."""
    first, last = min(dates), max(dates)
    span = max((last - first).days, 30)
    left = first - dt.timedelta(days=max(round(span * 0.04), 7))
    right = last + dt.timedelta(days=max(round(span * (0.15 if open_ended else 0.04)), 21 if open_ended else 7))
    return left, right


_EPOCH = dt.date(1970, 1, 1)  # the date epoch the plots' settings give matplotlib


def number(day: dt.date) -> float:
    """matplotlib's date number of a day: days since 1970-01-01."""
    return float((day - _EPOCH).days)


def day_of(value: float) -> dt.date:
    return _EPOCH + dt.timedelta(days=math.floor(value + 0.5))


def format_date_axis(ax: Axes, left: dt.date, right: dt.date, labelled: bool = True) -> None:
    """The date range on the x axis; ISO dates (``2025-02`` on month starts) when ``labelled``,
    the same in every locale. Unlabelled axes get no ticks at all (ticks are the slow part
    of a matplotlib figure), their grid comes from :func:`date_grid`."""
    from matplotlib.dates import AutoDateLocator
    from matplotlib.ticker import FuncFormatter, NullLocator

    def label(value: float, _position: object) -> str:
        day = day_of(value)
        return day.strftime("%Y-%m") if day.day == 1 else day.isoformat()

    ax.set_xlim(number(left), number(right))
    if not labelled:
        ax.xaxis.set_major_locator(NullLocator())
        return
    locator: Any = AutoDateLocator  # untyped in matplotlib
    ax.xaxis.set_major_locator(locator(minticks=3, maxticks=8))
    ax.xaxis.set_major_formatter(FuncFormatter(label))


def date_grid(axes: Sequence[Axes], ticks: Sequence[float]) -> None:
    """Vertical grid lines at ``ticks`` (the labelled axis's dates) across each of ``axes``."""
    for ax in axes:
        ax.vlines(list(ticks), 0, 1, transform=ax.get_xaxis_transform(), colors="#e4e4e4", linewidth=0.8, zorder=0)


def period_end(period: TherapyPeriod, right: dt.date) -> dt.date:
    return period.end if period.end is not None else right


def period_id(period: TherapyPeriod) -> str:
    return slug(period.label)


def shade_periods(ax: Axes, periods: Sequence[TherapyPeriod], right: dt.date, panel: str) -> None:
    """One shaded span per line of therapy (id ``therapy-line-1-<panel>``); hatched where its start is inferred."""
    for index, period in enumerate(periods):
        colour = CURRENT_TINT if period.current else THERAPY_TINTS[index % len(THERAPY_TINTS)]
        span = ax.axvspan(
            number(period.start),
            number(period_end(period, right)),
            facecolor=colour,
            edgecolor="none",
            hatch="//" if period.current and not period.start_recorded else None,
            hatchcolor=HATCH_COLOUR,
            linewidth=0,
            zorder=0,
        )
        span.set_gid(f"therapy-{period_id(period)}-{panel}")


def mark_progressions(ax: Axes, periods: Sequence[TherapyPeriod], panel: str) -> None:
    """A dashed vertical line where a line of therapy stopped for progression."""
    for period in periods:
        if period.progressed and period.end is not None:
            line = ax.axvline(
                number(period.end), color=PROGRESSION_COLOUR, linestyle=(0, (4, 2)), linewidth=1.6, zorder=2
            )
            line.set_gid(f"progression-{period_id(period)}-{panel}")


def pixel_width(ax: Axes, x0: float, x1: float) -> float:
    """Width in display units of the data interval [x0, x1] on ``ax``."""
    left, _ = ax.transData.transform((x0, 0))
    right, _ = ax.transData.transform((x1, 0))
    return float(right - left)


def text_box(text: Text) -> Bbox:
    return text.get_window_extent()


def fit_text(text: Text, candidates: Sequence[str], max_width: float, max_lines: int = 3) -> bool:
    """Set ``text`` to the first candidate that fits ``max_width`` (wrapped to ``max_lines``).

    Returns False when not even the last candidate fits (it is left set, to be moved).
    """
    for candidate in candidates:
        for width in [len(candidate), *range(len(candidate) - 3, 7, -3)]:
            wrapped = textwrap.fill(candidate, width=width, break_long_words=False)
            if wrapped.count("\n") >= max_lines:
                break
            text.set_text(wrapped)
            if text_box(text).width <= max_width:
                return True
    text.set_text(candidates[-1])
    return False


def overlaps(box: Bbox, placed: Sequence[Bbox], pad: float = 3.0) -> bool:
    return any(
        box.x0 < other.x1 + pad and other.x0 < box.x1 + pad and box.y0 < other.y1 and other.y0 < box.y1
        for other in placed
    )


def keep_inside(text: Text, ax: Axes) -> None:
    """Shift a centred label's alignment so that it stays within the axes horizontally."""
    box, frame = text_box(text), ax.get_window_extent()
    if box.x1 > frame.x1:
        text.set_horizontalalignment("right")
    elif box.x0 < frame.x0:
        text.set_horizontalalignment("left")


def notes_text(figure: Figure, lines: Sequence[str], top_in: float) -> None:
    """Small print under the plot, ``top_in`` inches from the figure's top, for what is
    not drawn or was placed without a date."""
    if not lines:
        return
    text = "\n".join(textwrap.fill(line, 120) for line in lines)
    y = 1 - top_in / figure.get_figheight()
    note = figure.text(0.01, y, text, fontsize=SMALL_FONT_PT, color="#444444", va="top", ha="left", linespacing=1.3)
    note.set_gid("plot-notes")
