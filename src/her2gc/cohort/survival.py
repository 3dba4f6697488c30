"""Kaplan-Meier curves and log-rank tests of a cohort's end points, split into groups.

Estimates only: the product-limit estimator per group (lifelines
``KaplanMeierFitter``), the (multivariate) log-rank test between groups, medians with
their confidence intervals, and numbers at risk. Nothing is fitted to the outcome (no
model, no cut-point chosen from the data). A split is shown only when at least two of
its groups have :data:`MIN_GROUP` patients with a time and an event status.

References: Kaplan EL, Meier P. J Am Stat Assoc 1958;53:457-481 (the estimator);
Mantel N. Cancer Chemother Rep 1966;50:163-170 (the log-rank test);
Davidson-Pilon C. lifelines. J Open Source Softw 2019;4(40):1317.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Sequence
from dataclasses import dataclass, field

MIN_GROUP = 5


@dataclass(frozen=True)
class Curve:
    label: str
    n: int
    events: int
    median: float | None
    median_ci: tuple[float | None, float | None]
    times: tuple[float, ...]
    survival: tuple[float, ...]
    at_risk: tuple[int, ...] = field(default=())  # at the comparison's ticks
    censored: tuple[tuple[float, float], ...] = field(default=())  # (time, survival) of censored follow-ups


@dataclass(frozen=True)
class Comparison:
    endpoint: str
    endpoint_label: str
    split: str
    curves: tuple[Curve, ...]
    logrank_p: float | None
    ticks: tuple[float, ...]
    excluded: int  # patients without time or event in this split
    longest: float = 0.0  # the longest follow-up shown


def _median_ci(fitter: object) -> tuple[float | None, float | None]:
    from lifelines.utils import median_survival_times

    table = median_survival_times(fitter.confidence_interval_)  # type: ignore[attr-defined]
    low, high = (float(v) for v in table.iloc[0].tolist())
    return (None if math.isinf(low) else round(low, 2), None if math.isinf(high) else round(high, 2))


def _ticks(maximum: float) -> tuple[float, ...]:
    """Round tick marks for the numbers at risk: about six over the follow-up."""
    if maximum <= 0:
        return (0.0,)
    raw = maximum / 6
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 2.5, 5, 10) if m * magnitude >= raw)
    return tuple(round(i * step, 6) for i in range(int(maximum // step) + 1))


def compare(
    endpoint: str,
    label: str,
    split: str,
    months: Sequence[float | None],
    events: Sequence[int | None],
    groups: Sequence[str | None],
    order: Sequence[str] | None = None,
) -> Comparison | None:
    """Kaplan-Meier curve per group and the log-rank p between them; None when fewer than
    two groups have :data:`MIN_GROUP` patients."""
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import multivariate_logrank_test

    rows = [
        (t, e, g)
        for t, e, g in zip(months, events, groups, strict=False)
        if t is not None and e is not None and g is not None and not math.isnan(t)
    ]
    counts: dict[str, int] = {}
    for _, _, g in rows:
        counts[g] = counts.get(g, 0) + 1
    kept = [g for g in (order or sorted(counts)) if counts.get(g, 0) >= MIN_GROUP]
    if len(kept) < 2:
        return None
    rows = [r for r in rows if r[2] in kept]
    excluded = len(months) - len(rows)
    longest = max(t for t, _, _ in rows)
    ticks = _ticks(longest)
    curves = []
    for group in kept:
        times = [t for t, _, g in rows if g == group]
        observed = [e for _, e, g in rows if g == group]
        fitter = KaplanMeierFitter().fit(times, observed, label=group)
        timeline = fitter.survival_function_.index.to_list()
        survival = fitter.survival_function_[group].to_list()
        median = float(fitter.median_survival_time_)
        at_risk = tuple(sum(1 for t in times if t >= tick) for tick in ticks)
        table = fitter.event_table
        censored_at = [
            float(t) for t, n in zip(table.index.to_list(), table["censored"].to_list(), strict=False) if n > 0
        ]
        # The curve's value at a censored time: the last step at or before it.
        steps = [bisect.bisect_right(timeline, t) - 1 for t in censored_at]
        censored = tuple((round(t, 6), round(float(survival[i]), 6)) for t, i in zip(censored_at, steps, strict=False))
        curves.append(
            Curve(
                label=group,
                n=len(times),
                events=int(sum(observed)),
                median=None if math.isinf(median) else round(median, 2),
                median_ci=_median_ci(fitter),
                times=tuple(round(float(x), 6) for x in timeline),
                survival=tuple(round(float(s), 6) for s in survival),
                at_risk=at_risk,
                censored=censored,
            )
        )
    test = multivariate_logrank_test([r[0] for r in rows], [r[2] for r in rows], [r[1] for r in rows])
    p_value = float(test.p_value)
    p = None if math.isnan(p_value) else p_value
    return Comparison(endpoint, label, split, tuple(curves), p, ticks, excluded, round(float(longest), 6))
