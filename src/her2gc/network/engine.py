"""Attractor analysis of a logical model under perturbations.

Two analyses, both delegated to established engines (no home-made solver):

* :func:`trap_space_attractors` (the default, used by every screen): the
  minimal trap spaces of the perturbed network inside the subspace fixed by the
  perturbations and the initial input values. These are exactly the attractors
  of the most permissive semantics reachable from that partial initial state
  (Paulevé 2020), and every asynchronous attractor lies in one of them. They are
  computed by biobalm's Trappist solver (MIT; ASP with clingo, Trinh 2023).
  Before the solver runs, the fixed values are percolated through the rules
  (three-valued propagation; Klarner 2015), which leaves most conditions fully
  determined and shrinks the rest; the solver's answers are cached by the
  percolated subspace, which many drug sets share.
* :func:`reachable_attractors` (exact, asynchronous): the attractors reachable
  from one fully specified initial state, by symbolic (BDD) reachability in
  biodivine-aeon (MIT). Used for models with memory, such as the von der Heyde
  2014 long-term models, where the initial state matters.

An attractor is returned as a mapping node -> 1, 0 or ``None`` (the node
oscillates / is free inside the attractor).
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import TYPE_CHECKING

from her2gc.errors import ComputationLimitError, InputError
from her2gc.network.expr import evaluate, to_text

if TYPE_CHECKING:
    import networkx as nx

    from her2gc.network.bnet import LogicalModel

# The solvers (biobalm, clingo, biodivine-aeon, networkx) are imported by the functions that
# call them: many perturbations are decided by percolation alone, and a command that never
# reaches a solver does not pay for loading it.

Attractor = Mapping[str, int | None]
DEFAULT_CACHE_SIZE = 65536


class Lru:
    """A small thread-safe LRU map (in memory only: no pickled caches)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.items: OrderedDict[object, object] = OrderedDict()
        self.lock = threading.Lock()

    def get(self, key: object) -> object | None:
        with self.lock:
            if key not in self.items:
                return None
            self.items.move_to_end(key)
            return self.items[key]

    def put(self, key: object, value: object) -> None:
        with self.lock:
            self.items[key] = value
            self.items.move_to_end(key)
            while len(self.items) > self.size:
                self.items.popitem(last=False)


class SolverCache:
    """What the analyses remember between calls, owned by the caller (thread-safe).

    Percolation results by perturbation (a screen's prefetch and its sequential pass
    share them), the solver's trap spaces by percolated subspace (many drug sets share
    one), and each model's compiled structures. Keyed by the model's sha256, so one
    cache can serve several models.
    """

    def __init__(self, size: int = DEFAULT_CACHE_SIZE) -> None:
        self.percolations = Lru(size)
        self.remainders = Lru(size)
        self._compiled: dict[str, _Compiled] = {}
        self._lock = threading.Lock()

    def compiled(self, model: LogicalModel) -> _Compiled:
        compiled = self._compiled.get(model.sha256)
        if compiled is None:
            compiled = _compile(model)
            with self._lock:
                self._compiled[model.sha256] = compiled
        return compiled


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
class _Transition:
    """One Petri-net transition of the Trappist encoding: ``var`` goes up or down when ``reads`` hold."""

    name: str
    var: str
    up: bool
    reads: tuple[tuple[str, int], ...]


class _Compiled:
    """Per-model structures built once: who reads whom (for percolation), and the
    Petri-net encoding the solver needs (built on first use: percolation alone never does)."""

    def __init__(self, model: LogicalModel, readers: Mapping[str, tuple[str, ...]]) -> None:
        self.model = model
        self.readers = readers

    @cached_property
    def transitions(self) -> tuple[_Transition, ...]:
        return _petri_transitions(self.model)


def _petri_transitions(model: LogicalModel) -> tuple[_Transition, ...]:
    """The model's Petri-net encoding (biobalm: implicants of each update), as plain tuples."""

    import biodivine_aeon as aeon
    from biobalm.petri_net_translation import network_to_petrinet, place_to_variable

    net = network_to_petrinet(aeon.BooleanNetwork.from_bnet(model.to_bnet()).infer_valid_graph())
    transitions = []
    for node, data in net.nodes(data=True):
        if data.get("kind") != "transition":
            continue
        var, up = data["change"], data["direction"] == "up"
        reads = []
        for place in net.predecessors(node):
            name, positive = place_to_variable(place)
            if name != var:
                reads.append((name, int(positive)))
        transitions.append(_Transition(str(node), var, up, tuple(sorted(reads))))
    return tuple(transitions)


def _compile(model: LogicalModel) -> _Compiled:
    readers: dict[str, list[str]] = {node: [] for node in model.nodes}
    for node in model.nodes:
        for regulator in model.regulators(node):
            readers[regulator].append(node)
    return _Compiled(model, {node: tuple(nodes) for node, nodes in readers.items()})


def percolate(model: LogicalModel, fixed: Mapping[str, int], cache: SolverCache | None = None) -> dict[str, int]:
    """Propagate fixed values through the rules until nothing more is determined.

    ``fixed`` nodes keep their value whatever their rule says (a perturbation);
    any other node whose rule evaluates to a constant under three-valued logic
    is fixed too (Klarner 2015). The result is a trap space holding every
    attractor reachable from the fixed subspace.
    """
    readers = (cache or SolverCache(1)).compiled(model).readers
    state = dict(fixed)
    queue = [node for node in model.nodes if node not in state]
    queued = set(queue)
    while queue:
        node = queue.pop()
        queued.discard(node)
        if node in state:
            continue
        value = evaluate(model.rules[node], state)
        if value is None:
            continue
        state[node] = value
        for reader in readers[node]:
            if reader not in state and reader not in queued:
                queue.append(reader)
                queued.add(reader)
    return state


def _reduced_petri_net(transitions: tuple[_Transition, ...], state: Mapping[str, int], free: list[str]) -> nx.DiGraph:
    """The Petri net of the network restricted to the subspace ``state``.

    Transitions of fixed nodes, and transitions whose conditions contradict a
    fixed value, can never fire inside the subspace; conditions on fixed nodes
    always hold there. What remains is the encoding of the reduced network.
    """

    import networkx as nx
    from biobalm.petri_net_translation import variable_to_place

    net = nx.DiGraph()
    for var in free:
        net.add_node(variable_to_place(var, positive=True), kind="place")
        net.add_node(variable_to_place(var, positive=False), kind="place")
    for transition in transitions:
        if transition.var in state or any(state.get(var, value) != value for var, value in transition.reads):
            continue
        net.add_node(
            transition.name, kind="transition", change=transition.var, direction="up" if transition.up else "down"
        )
        net.add_edge(variable_to_place(transition.var, positive=not transition.up), transition.name)
        net.add_edge(transition.name, variable_to_place(transition.var, positive=transition.up))
        for var, value in transition.reads:
            if var not in state:
                place = variable_to_place(var, positive=bool(value))
                net.add_edge(place, transition.name)
                net.add_edge(transition.name, place)
    return net


def _solve_remainder(
    model: LogicalModel, state: Mapping[str, int], free: list[str], compiled: _Compiled
) -> tuple[dict[str, int], ...]:
    """Minimal trap spaces inside the subspace ``state``, by biobalm's Trappist solver."""

    from biobalm.trappist_core import trappist

    net = _reduced_petri_net(compiled.transitions, state, free)
    spaces = trappist(net, problem="min")
    return tuple({name: int(value) for name, value in space.items()} for space in spaces)


def _solve_batch(
    model: LogicalModel, compiled: _Compiled, batch: list[tuple[dict[str, int], list[str]]]
) -> list[tuple[dict[str, int], ...]]:
    """Several solver calls in one task, so a process executor ships the model once per batch."""
    return [_solve_remainder(model, state, free, compiled) for state, free in batch]


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
    pending: dict[tuple[str, frozenset[tuple[str, int]]], tuple[dict[str, int], list[str]]] = {}
    for fixed in fixed_sets:
        state = _percolated(model, fixed, cache)
        if len(state) == len(model.nodes):
            continue
        key = (model.sha256, frozenset(state.items()))
        if key not in pending and cache.remainders.get(key) is None:
            pending[key] = (state, [node for node in model.nodes if node not in state])
    if executor is None or workers < 2 or len(pending) < min_batch:
        return
    compiled = cache.compiled(model)
    items = list(pending.items())
    batches = [items[i::workers] for i in range(workers)]
    futures = [
        executor.submit(_solve_batch, model, compiled, [value for _, value in batch]) for batch in batches if batch
    ]
    _done, waiting = concurrent.futures.wait(futures, timeout=timeout_s)
    if waiting:
        for future in waiting:
            future.cancel()
        raise TimeoutError(f"solver calls ran past {timeout_s:g} s")
    for batch, future in zip([b for b in batches if b], futures, strict=False):
        for (key, _), remainder in zip(batch, future.result(), strict=False):
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
        remainder = _solve_remainder(model, state, free, cache.compiled(model))
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
