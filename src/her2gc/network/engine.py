"""Attractor analysis of a logical model under perturbations.

Two analyses, both delegated to established engines (no home-made solver):

* :func:`trap_space_attractors` (the default, used by every screen): the
  minimal trap spaces of the perturbed network inside the subspace fixed by the
  perturbations and the initial input values. These are exactly the attractors
  of the most permissive semantics reachable from that partial initial state
  (Paulevé 2020), and every asynchronous attractor lies in one of them. They are
  computed by the Trappist method (Trinh 2023) on biobalm's Petri-net encoding
  (MIT), solved by clingo (ASP, MIT): one program per model, built once and
  solved under assumptions for each subspace (:mod:`her2gc.network.trapspaces`). Before the solver runs, the fixed values
  are percolated through the rules (three-valued propagation; Klarner 2015),
  which leaves most conditions fully determined and shrinks the rest; the
  solver's answers are cached by the percolated subspace, which many drug sets
  share.
* :func:`reachable_attractors` (exact, asynchronous): the attractors reachable
  from one fully specified initial state, by symbolic (BDD) reachability in
  biodivine-aeon (MIT). Used for models with memory, such as the von der Heyde
  2014 long-term models, where the initial state matters.

An attractor is returned as a mapping node -> 1, 0 or ``None`` (the node
oscillates / is free inside the attractor).
"""

from __future__ import annotations

import threading
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

from her2gc.errors import ComputationLimitError, InputError
from her2gc.network.bitwise import BitModel, percolate_batch
from her2gc.network.expr import Kleene, kleene_function, to_text
from her2gc.network.lru import Lru

if TYPE_CHECKING:
    import concurrent.futures

    from her2gc.network.bnet import LogicalModel
    from her2gc.network.trapspaces import Transition, TrapSpaceProgram

# The solvers (clingo, biodivine-aeon) are imported by the functions that call them: many
# perturbations are decided by percolation alone, and a command that never reaches a
# solver does not pay for loading them.

Attractor = Mapping[str, int | None]
DEFAULT_CACHE_SIZE = 65536


class SolverCache:
    """What the analyses remember between calls, owned by the caller (thread-safe).

    Percolation results by perturbation (a screen's prefetch and its sequential pass
    share them), the solver's trap spaces by percolated subspace (many drug sets share
    one), each model's rules compiled for percolation, its Petri-net encoding (made
    when a subspace is first left open) and its solver programs (one per thread using
    it at the same time). Keyed by the model's sha256, so one cache can serve several
    models.
    """

    def __init__(self, size: int = DEFAULT_CACHE_SIZE) -> None:
        self.percolations = Lru(size)
        self.remainders = Lru(size)
        self._compiled: dict[str, _Compiled] = {}
        self._bit_models: dict[str, BitModel] = {}
        self._transitions: dict[str, tuple[Transition, ...]] = {}
        self._idle_programs: dict[str, list[TrapSpaceProgram]] = {}
        self._lock = threading.Lock()

    def compiled(self, model: LogicalModel) -> _Compiled:
        compiled = self._compiled.get(model.sha256)
        if compiled is None:
            compiled = _compile(model)
            with self._lock:
                self._compiled[model.sha256] = compiled
        return compiled

    def bit_model(self, model: LogicalModel) -> BitModel:
        """The model's rules compiled for percolating a batch of perturbations at once."""
        compiled = self._bit_models.get(model.sha256)
        if compiled is None:
            compiled = BitModel.of(model)
            with self._lock:
                self._bit_models[model.sha256] = compiled
        return compiled

    def transitions(self, model: LogicalModel) -> tuple[Transition, ...]:
        transitions = self._transitions.get(model.sha256)
        if transitions is None:
            from her2gc.network.trapspaces import petri_transitions

            transitions = petri_transitions(model)
            with self._lock:
                self._transitions[model.sha256] = transitions
        return transitions

    @contextmanager
    def program(self, model: LogicalModel) -> Iterator[TrapSpaceProgram]:
        """A solver program of ``model`` for this thread alone, returned to the pool after."""
        with self._lock:
            idle = self._idle_programs.setdefault(model.sha256, [])
            program = idle.pop() if idle else None
        if program is None:
            from her2gc.network.trapspaces import TrapSpaceProgram

            program = TrapSpaceProgram(model.nodes, self.transitions(model))
        try:
            yield program
        finally:
            with self._lock:
                idle.append(program)


def _percolated(model: LogicalModel, fixed: Mapping[str, int], cache: SolverCache) -> dict[str, int]:
    key = (model.sha256, frozenset(fixed.items()))
    state = cache.percolations.get(key)
    if state is None:
        check_nodes(model, fixed, "a perturbation")
        state = percolate(model, fixed, cache)
        cache.percolations.put(key, state)
    return state  # type: ignore[return-value]


def check_nodes(model: LogicalModel, values: Mapping[str, int], what: str) -> None:
    """Every node named in a perturbation or state must exist, with a 0/1 value."""
    for node, value in values.items():
        if node not in model.rules:
            raise InputError(f"{model.name}: {what} names node {node!r}, which the model does not define")
        if value not in (0, 1):
            raise InputError(f"{model.name}: {what} sets {node} to {value!r} (expected 0 or 1)")


@dataclass(frozen=True)
class _Compiled:
    """What percolation needs of a model, built once: who reads whom, and the rules as functions."""

    readers: Mapping[str, tuple[str, ...]]
    rules: Mapping[str, Kleene]


def _compile(model: LogicalModel) -> _Compiled:
    readers: dict[str, list[str]] = {node: [] for node in model.nodes}
    for node in model.nodes:
        for regulator in model.regulators(node):
            readers[regulator].append(node)
    return _Compiled(
        readers={node: tuple(nodes) for node, nodes in readers.items()},
        rules={node: kleene_function(rule) for node, rule in model.rules.items()},
    )


def percolate(model: LogicalModel, fixed: Mapping[str, int], cache: SolverCache | None = None) -> dict[str, int]:
    """Propagate fixed values through the rules until nothing more is determined.

    ``fixed`` nodes keep their value whatever their rule says (a perturbation);
    any other node whose rule evaluates to a constant under three-valued logic
    is fixed too (Klarner 2015). The result is a trap space holding every
    attractor reachable from the fixed subspace.
    """
    compiled = (cache or SolverCache(1)).compiled(model)
    readers, rules = compiled.readers, compiled.rules
    state = dict(fixed)
    queue = [node for node in model.nodes if node not in state]
    queued = set(queue)
    while queue:
        node = queue.pop()
        queued.discard(node)
        if node in state:
            continue
        value = rules[node](state)
        if value is None:
            continue
        state[node] = value
        for reader in readers[node]:
            if reader not in state and reader not in queued:
                queue.append(reader)
                queued.add(reader)
    return state


def _percolate_all(model: LogicalModel, fixed_sets: Sequence[Mapping[str, int]], cache: SolverCache) -> None:
    """Percolate every perturbation not in ``cache`` yet, all in one bit-parallel pass."""
    missing: dict[frozenset[tuple[str, int]], Mapping[str, int]] = {}
    for fixed in fixed_sets:
        items = frozenset(fixed.items())
        if items not in missing and cache.percolations.get((model.sha256, items)) is None:
            check_nodes(model, fixed, "a perturbation")
            missing[items] = fixed
    if len(missing) < 2:
        return  # one perturbation: the plain percolation is as quick
    states = percolate_batch(cache.bit_model(model), list(missing.values())).states()
    for items, state in zip(missing, states, strict=True):
        cache.percolations.put((model.sha256, items), state)


def _solve_batch(
    nodes: tuple[str, ...], transitions: tuple[Transition, ...], states: list[dict[str, int]]
) -> list[tuple[dict[str, int], ...]]:
    """Several subspaces in one task: a process executor ships the encoding once and builds one program per batch."""
    from her2gc.network.trapspaces import TrapSpaceProgram

    program = TrapSpaceProgram(nodes, transitions)
    return [program.minimal(state) for state in states]


def prefetch(
    model: LogicalModel,
    fixed_sets: Sequence[Mapping[str, int]],
    timeout_s: float,
    cache: SolverCache,
    executor: concurrent.futures.Executor | None = None,
    workers: int = 2,
    min_batch: int = 8,
) -> None:
    """Solve the trap spaces of many perturbations at once on the caller's executor.

    Screens ask for dozens of perturbations; after percolation each distinct remainder
    is one independent solver call, so they are split into ``workers`` batches and
    their answers put in ``cache``, which the sequential screen then reads. Without an
    executor, or for a small batch, nothing is done here (the screen solves as it
    goes): the caller owns concurrency. Raises ``TimeoutError`` past ``timeout_s``.
    """
    import concurrent.futures  # here: a stored screen is read without it

    _percolate_all(model, fixed_sets, cache)
    pending: dict[tuple[str, frozenset[tuple[str, int]]], dict[str, int]] = {}
    for fixed in fixed_sets:
        state = _percolated(model, fixed, cache)
        if len(state) == len(model.nodes):
            continue
        key = (model.sha256, frozenset(state.items()))
        if key not in pending and cache.remainders.get(key) is None:
            pending[key] = state
    if executor is None or workers < 2 or len(pending) < min_batch:
        return
    transitions = cache.transitions(model)
    items = list(pending.items())
    batches = [items[i::workers] for i in range(workers)]
    futures = [
        executor.submit(_solve_batch, model.nodes, transitions, [value for _, value in batch])
        for batch in batches
        if batch
    ]
    _, waiting = concurrent.futures.wait(futures, timeout=timeout_s)
    if waiting:
        for future in waiting:
            future.cancel()
        raise TimeoutError(f"solver calls ran past {timeout_s:g} s")
    for batch, future in zip([b for b in batches if b], futures, strict=True):
        for (key, _), remainder in zip(batch, future.result(), strict=True):
            cache.remainders.put(key, remainder)


def trap_space_attractors(
    model: LogicalModel, fixed: Mapping[str, int], cache: SolverCache | None = None
) -> tuple[dict[str, int | None], ...]:
    """Minimal trap spaces of ``model`` with ``fixed`` nodes held at their values.

    Inputs (``x, x``) that ``fixed`` leaves open are free: every value of them is
    explored, as the most permissive semantics does from a partial state. ``cache``
    keeps the work for later calls (a throw-away one is used when none is given).
    """
    cache = cache or SolverCache(1024)
    state = _percolated(model, fixed, cache)
    if len(state) == len(model.nodes):
        return (dict(state),)
    free = [node for node in model.nodes if node not in state]
    key = (model.sha256, frozenset(state.items()))
    remainder = cache.remainders.get(key)
    if remainder is None:
        with cache.program(model) as program:
            remainder = program.minimal(state)
        cache.remainders.put(key, remainder)
    attractors = []
    for space in remainder:  # type: ignore[attr-defined]
        attractor: dict[str, int | None] = dict(state)
        for node in free:
            attractor[node] = space.get(node)
        attractors.append(attractor)
    return tuple(attractors)


def _perturbed_bnet(model: LogicalModel, overrides: Mapping[str, int]) -> str:
    lines = ["targets, factors"]
    for node in model.nodes:
        rule = str(overrides[node]) if node in overrides else to_text(model.rules[node])
        lines.append(f"{node}, {rule}")
    return "\n".join(lines) + "\n"


def reachable_attractors(
    model: LogicalModel,
    overrides: Mapping[str, int],
    initial: Mapping[str, int],
    max_nodes: int,
) -> tuple[dict[str, int | None], ...]:
    """Asynchronous attractors reachable from ``initial`` with ``overrides`` held.

    ``initial`` may be partial: then the attractors reachable from any matching
    state are returned. Exact symbolic reachability grows with the state space,
    so networks larger than ``max_nodes`` are refused with a clear error.
    """

    check_nodes(model, overrides, "a perturbation")
    check_nodes(model, initial, "the initial state")
    if len(model.nodes) > max_nodes:
        raise ComputationLimitError(
            f"{model.name}: exact reachability is limited to {max_nodes} nodes "
            f"(the model has {len(model.nodes)}); use the trap-space analysis instead"
        )
    import biodivine_aeon as aeon

    network = aeon.BooleanNetwork.from_bnet(_perturbed_bnet(model, overrides)).infer_valid_graph()
    graph = aeon.AsynchronousGraph(network)
    start = {**initial, **overrides}
    initial_set = graph.mk_subspace({k: bool(v) for k, v in start.items()})
    reached = aeon.Reachability.reach_fwd(graph, initial_set)
    found = aeon.Attractors.attractors(graph, reached)
    results = []
    for attractor in found:
        space = attractor.vertices().enclosing_named_subspace() or {}
        results.append({node: (int(space[node]) if node in space else None) for node in model.nodes})
    return tuple(results)
