"""Drug screens on a logical model: every single drug and combination of a panel.

The analysis of each drug set is the set of attractors reachable from the
patient's initial state with the drugs' perturbations applied
(:func:`her2gc.network.engine.trap_space_attractors`). Read-outs are scored as
in DrugLogics (Flobak 2015, 2023): a weighted sum of output nodes per attractor,
averaged over attractors, here scaled to 0-1 and turned round so that a higher
score means stronger growth inhibition. Synergy follows the "highest single
agent" (HSA) model used by DrugLogics: the gain of a combination over its best
proper subset (the best single drug for a pair).
"""

from __future__ import annotations

import itertools
import math
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from her2gc.errors import ComputationLimitError, InputError
from her2gc.network.bitwise import percolate_batch
from her2gc.network.bnet import LogicalModel
from her2gc.network.engine import SolverCache, check_nodes, prefetch, trap_space_attractors
from her2gc.network.results import Response, ScreenResult

if TYPE_CHECKING:
    import concurrent.futures

Attractors = tuple[Mapping[str, int | None], ...]


class ScreenLimits(Protocol):
    """The bounds a screen keeps to (``model.yaml``'s ``screen`` block has them)."""

    @property
    def max_drugs(self) -> int: ...
    @property
    def max_conditions(self) -> int: ...
    @property
    def time_limit_s(self) -> float: ...


@dataclass(frozen=True)
class ScreenSetup:
    """Everything a screen needs; built from model.yaml or from DrugLogics files."""

    model: LogicalModel
    panel: Mapping[str, Mapping[str, int]]
    weights: Mapping[str, float]
    synergy_weights: Mapping[str, float]
    proliferation: str | None
    synergy_margin: float
    max_drugs: int
    max_conditions: int
    time_limit_s: float


def node_value(attractor: Mapping[str, int | None], node: str) -> float:
    """A node's value in an attractor; a node that oscillates counts as 0.5."""
    value = attractor[node]
    return 0.5 if value is None else float(value)


def inhibition_score(attractors: Attractors, weights: Mapping[str, float]) -> float:
    """1 minus the mean weighted growth output, scaled to 0-1 by the weights' range."""
    low = sum(w for w in weights.values() if w < 0)
    high = sum(w for w in weights.values() if w > 0)
    span = (high - low) or 1.0
    growth = [(sum(weight * node_value(a, node) for node, weight in weights.items()) - low) / span for a in attractors]
    return round(1.0 - sum(growth) / len(growth), 6)


def off_fraction(attractors: Attractors, node: str) -> float:
    """Share of attractors where ``node`` is stably off."""
    return sum(1 for a in attractors if a[node] == 0) / len(attractors)


def response_from_fraction(fraction: float) -> Response:
    """Sensitive when no reachable attractor proliferates, resistant when all do."""
    if fraction >= 1.0:
        return "sensitive"
    if fraction <= 0.0:
        return "resistant"
    return "partial"


def response_from_score(score: float, untreated: float) -> Response:
    """For models without a proliferation node: judged against the untreated score.

    Resistant when the drugs do not beat the untreated model, sensitive when they
    reach the model's best possible score or close more than half the gap to it.
    """
    if score <= untreated + 1e-9:
        return "resistant"
    if score >= 1.0 - 1e-9 or (score - untreated) >= 0.5 * (1.0 - untreated):
        return "sensitive"
    return "partial"


def merge_perturbations(*layers: Mapping[str, int]) -> dict[str, int]:
    """Later layers override earlier ones (initial state < alterations < drugs)."""
    merged: dict[str, int] = {}
    for layer in layers:
        merged.update(layer)
    return merged


def drug_sets(panel: Sequence[str], max_drugs: int) -> list[tuple[str, ...]]:
    """Every set of 1..max_drugs drugs of the panel, in panel order."""
    return [combo for size in range(1, max_drugs + 1) for combo in itertools.combinations(panel, size)]


def check_limits(setup: ScreenSetup, panel_size: int, max_drugs: int) -> None:
    if max_drugs < 1:
        raise InputError(f"--max-drugs must be at least 1, got {max_drugs}")
    if max_drugs > setup.max_drugs:
        raise ComputationLimitError(f"--max-drugs {max_drugs} exceeds the screen limit of {setup.max_drugs}")
    count = sum(math.comb(panel_size, size) for size in range(1, max_drugs + 1))
    if count > setup.max_conditions:
        raise ComputationLimitError(
            f"a screen of {panel_size} drugs up to {max_drugs} at a time is {count} drug sets, "
            f"over the limit of {setup.max_conditions}; use fewer drugs or a smaller --max-drugs"
        )


def run_screen(
    setup: ScreenSetup,
    base: Mapping[str, int],
    max_drugs: int,
    cache: SolverCache | None = None,
    executor: concurrent.futures.Executor | None = None,
    workers: int = 2,
) -> list[ScreenResult]:
    """Screen every drug set of the panel on the model held at ``base``; best first.

    ``cache`` keeps solver work for later screens; ``executor`` (the caller's: a
    process pool at the command line, none inside a server thread or a Dask task)
    solves the independent trap-space problems in parallel first.

    Raises :class:`ComputationLimitError` when the screen is larger than the
    documented limits, or when it runs past the time limit (checked between
    drug sets, so the bound is the limit plus one analysis).
    """
    cache = cache or SolverCache()
    names = list(setup.panel)
    check_limits(setup, len(names), max_drugs)
    deadline = time.monotonic() + setup.time_limit_s
    combos = drug_sets(names, max_drugs)
    check_nodes(setup.model, base, "a perturbation")
    for name in names:
        check_nodes(setup.model, setup.panel[name], "a perturbation")
    conditions = [dict(base)] + [merge_perturbations(base, *(setup.panel[d] for d in combo)) for combo in combos]
    # Every drug set percolated in one pass; most leave no node open, and their one attractor
    # is read straight from the bits. Only the others go to the trap-space solver.
    percolated = percolate_batch(cache.bit_model(setup.model), conditions)
    try:
        open_conditions = [c for i, c in enumerate(conditions) if not percolated.determined(i)]
        prefetch(setup.model, open_conditions, setup.time_limit_s, cache, executor, workers)
    except TimeoutError:
        raise ComputationLimitError(f"the screen ran past its time limit of {setup.time_limit_s:g} s") from None

    def attractors_of(at: int) -> Attractors:
        if percolated.determined(at):
            return (percolated.view(at),)
        return trap_space_attractors(setup.model, conditions[at], cache)

    untreated = inhibition_score(attractors_of(0), setup.weights)
    scores: dict[tuple[str, ...], float] = {}
    rows: list[ScreenResult] = []
    for at, combo in enumerate(combos, start=1):
        if time.monotonic() > deadline:
            raise ComputationLimitError(
                f"the screen ran past its time limit of {setup.time_limit_s:g} s after {len(rows)} drug sets"
            )
        attractors = attractors_of(at)
        score = inhibition_score(attractors, setup.weights)
        scores[combo] = inhibition_score(attractors, setup.synergy_weights)
        fraction = off_fraction(attractors, setup.proliferation) if setup.proliferation else None
        response = response_from_fraction(fraction) if fraction is not None else response_from_score(score, untreated)
        synergy = None
        if len(combo) > 1:
            best_part = max(
                scores[part] for size in range(1, len(combo)) for part in itertools.combinations(combo, size)
            )
            synergy = round(scores[combo] - best_part, 6)
        rows.append(
            ScreenResult(
                drugs=combo,
                response=response,
                score=score,
                synergy=synergy,
                synergistic=None if synergy is None else synergy > setup.synergy_margin,
                proliferation_off_fraction=fraction,
                attractor_count=len(attractors),
            )
        )
    return sorted(rows, key=lambda r: (-r.score, -(r.synergy or 0.0), len(r.drugs), r.drugs))
