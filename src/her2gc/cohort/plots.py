"""The summary's figures as SVG text, drawn by matplotlib (imported here only, when needed).

Deterministic output: a fixed ``svg.hashsalt`` (element ids), no creation date in the
metadata, text kept as text (``svg.fonttype = none``, so the page's font is used and the
file stays small). Every figure is drawn on its own ``Figure`` (no pyplot state).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from her2gc.cohort.survival import Comparison

PALETTE = ("#1f6fb2", "#d9822b", "#2e9d5b", "#c2404a", "#7b5ea7", "#8c6d46", "#d36fb0", "#6b7b8c")
# Mechanism classes of mechanisms.yaml; an unknown class is drawn grey.
CLASS_COLOURS = {
    "on_target": "#7b5ea7",
    "bypass_receptor": "#c2404a",
    "downstream": "#d9822b",
    "cell_cycle": "#2e9d5b",
    "immune_escape": "#1f6fb2",
    "emt": "#8c6d46",
    "metabolism": "#d36fb0",
    "stemness": "#17a2b8",
    "heterogeneity": "#6b7b8c",
}
RC: Any = {  # matplotlib rc settings (typed Any: rc_context types its keys as literals)
    "svg.hashsalt": "her2gc-cohort-summary",
    "svg.fonttype": "none",
    "font.family": "DejaVu Sans",
    "font.size": 9,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 10,
    "axes.titleweight": "bold",
}


def _svg(figure: Any) -> str:
    import matplotlib

    buffer = io.StringIO()
    with matplotlib.rc_context(RC):
        figure.savefig(buffer, format="svg", metadata={"Date": None})
    text = buffer.getvalue()
    start = text.find("<svg")
    return text[start:] if start >= 0 else text


def _figure(width: float, height: float) -> Any:
    import matplotlib

    with matplotlib.rc_context(RC):
        from matplotlib.figure import Figure

        return Figure(figsize=(width, height), layout="constrained")


def bars(
    counts: Mapping[str, int], title: str, xlabel: str = "patients", colours: Mapping[str, str] | None = None
) -> str:
    """Horizontal bars, one per category, in the order given, with the count written at the end."""
    import matplotlib

    with matplotlib.rc_context(RC):
        labels = list(counts)
        figure = _figure(5.2, 0.32 * len(labels) + 0.9)
        axes = figure.add_subplot()
        values = [counts[k] for k in labels]
        axes.barh(range(len(labels)), values, color=[(colours or {}).get(k, PALETTE[0]) for k in labels])
        axes.set_yticks(range(len(labels)), labels)
        axes.invert_yaxis()
        axes.set_xlabel(xlabel)
        axes.set_title(title, loc="left")
        top = max(values) if values else 1
        for i, v in enumerate(values):
            axes.text(v + top * 0.01, i, f"{v:,}", va="center", fontsize=8)
        axes.set_xlim(0, top * 1.15 + 1)
        return _svg(figure)


def options_by_line(shares: Mapping[int, Mapping[str, float]], title: str) -> str:
    """Share of patients offered each regimen, one panel per decision line (two per row)."""
    import math

    import matplotlib

    with matplotlib.rc_context(RC):
        lines = sorted(shares)
        columns = min(len(lines), 2)
        grid_rows = math.ceil(len(lines) / columns)
        bars_high = max((len(shares[line]) for line in lines), default=1)
        figure = _figure(5.6 * columns, (0.3 * bars_high + 1.0) * grid_rows + 0.3)
        for position, line in enumerate(lines, start=1):
            axes = figure.add_subplot(grid_rows, columns, position)
            regimens = list(shares[line])
            values = [100 * shares[line][r] for r in regimens]
            axes.barh(range(len(regimens)), values, color=PALETTE[(position - 1) % len(PALETTE)])
            axes.set_yticks(range(len(regimens)), regimens)
            axes.invert_yaxis()
            axes.set_xlim(0, 110)
            axes.set_xlabel("% of patients decided at this line")
            axes.set_title(f"line {line}", loc="left")
            for i, v in enumerate(values):
                axes.text(v + 1, i, f"{v:.0f}%", va="center", fontsize=8)
        figure.suptitle(title, x=0.01, ha="left", fontweight="bold", fontsize=10)
        return _svg(figure)


def oncoprint(
    mechanisms: Sequence[str],
    classes: Mapping[str, str],
    patterns: Sequence[tuple[tuple[bool, ...], int]],
    total: int,
    title: str,
) -> str:
    """Mechanisms (rows) by tumours (columns), sorted so that like tumours sit together.

    A sorted oncoprint is a run of blocks of identical columns; each block is drawn once
    with the width of its patient count, so the figure stays small for any cohort size.
    """
    import matplotlib
    from matplotlib.patches import Patch, Rectangle

    with matplotlib.rc_context(RC):
        figure = _figure(7.6, 0.28 * len(mechanisms) + 1.5)
        axes = figure.add_subplot()
        x = 0
        for pattern, count in patterns:
            for row, present in enumerate(pattern):
                colour = CLASS_COLOURS.get(classes.get(mechanisms[row], ""), "#555555") if present else "#e8e8e8"
                # Edges in the fill colour: no hairline seams between neighbouring blocks.
                axes.add_patch(Rectangle((x, row + 0.1), count, 0.8, facecolor=colour, edgecolor=colour, linewidth=0.4))
            x += count
        axes.set_xlim(0, max(total, 1))
        axes.set_ylim(len(mechanisms), 0)
        frequencies = [sum(c for p, c in patterns if p[i]) for i in range(len(mechanisms))]
        axes.set_yticks(
            [i + 0.5 for i in range(len(mechanisms))],
            [f"{m}  {100 * f / max(total, 1):.0f}%" for m, f in zip(mechanisms, frequencies, strict=False)],
        )
        axes.set_xlabel(f"{total:,} tumours")
        axes.set_xticks([])
        axes.spines["left"].set_visible(False)
        axes.spines["bottom"].set_visible(False)
        axes.tick_params(axis="y", length=0)
        shown = sorted({classes.get(m, "") for m in mechanisms})
        handles = [Patch(color=CLASS_COLOURS.get(c, "#555555"), label=c.replace("_", " ") or "other") for c in shown]
        axes.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, fontsize=8)
        axes.set_title(title, loc="left")
        return _svg(figure)


def kaplan_meier(comparison: Comparison) -> str:
    """Step curves with censoring marks, the log-rank p, and the numbers at risk beneath."""
    import matplotlib

    with matplotlib.rc_context(RC):
        figure = _figure(6.4, 3.4 + 0.22 * len(comparison.curves))
        grid = figure.add_gridspec(2, 1, height_ratios=[4, 0.45 + 0.25 * len(comparison.curves)])
        axes = figure.add_subplot(grid[0])
        for index, curve in enumerate(comparison.curves):
            colour = PALETTE[index % len(PALETTE)]
            median = "not reached" if curve.median is None else f"{curve.median:g} mo"
            label = f"{curve.label} (n={curve.n}, events {curve.events}, median {median})"
            axes.step(curve.times, curve.survival, where="post", color=colour, linewidth=1.6, label=label)
            if curve.censored:
                axes.plot(
                    [t for t, _ in curve.censored], [s for _, s in curve.censored], "|", color=colour, markersize=6
                )
        p_text = (
            "log-rank p not computable" if comparison.logrank_p is None else f"log-rank p = {comparison.logrank_p:.3g}"
        )
        axes.set_title(p_text, loc="left")
        axes.set_ylim(0, 1.02)
        axes.set_xlim(0, max(comparison.longest, comparison.ticks[-1]) * 1.02 or 1.0)
        axes.set_xticks(comparison.ticks)
        axes.set_xlabel("months")
        axes.set_ylabel("probability")
        axes.legend(loc="upper right", frameon=False, fontsize=8)
        table = figure.add_subplot(grid[1], sharex=axes)
        table.set_ylim(len(comparison.curves) - 0.5, -0.5)
        for row, curve in enumerate(comparison.curves):
            for tick, count in zip(comparison.ticks, curve.at_risk, strict=False):
                table.text(
                    tick, row, str(count), ha="center", va="center", fontsize=8, color=PALETTE[row % len(PALETTE)]
                )
        table.set_yticks(range(len(comparison.curves)), [c.label for c in comparison.curves])
        table.set_title("number at risk", loc="left", fontsize=8, fontweight="normal")
        table.tick_params(axis="y", length=0, pad=16)
        table.tick_params(axis="x", length=0, labelbottom=False)
        for side in ("left", "bottom"):
            table.spines[side].set_visible(False)
        return _svg(figure)
