"""Percolation of many perturbations at once, one bit per perturbation.

A screen percolates a few hundred perturbations of one model (every drug set on one
alteration profile). :func:`~her2gc.network.engine.percolate` does one at a time, a rule
call per node; here each node holds two integers used as bit sets over the batch: bit ``i``
of ``true[n]`` says node ``n`` is fixed at 1 in perturbation ``i``, of ``false[n]`` at 0,
neither that it is still open. Kleene's three-valued and/or/not act on all perturbations
in one integer operation (``and``: true where every argument is true, false where any is
false; ``or`` the dual; ``not`` swaps the two sets), so a batch costs about what one
perturbation did.

The result is the same as :func:`percolate`'s for each perturbation: Kleene's operators
are monotone in the information order, so propagating from the fixed values until
nothing changes reaches the same least fixed point whatever the order (Klarner 2015).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from her2gc.network.expr import And, Const, Expr, Not, Or, Var

if TYPE_CHECKING:
    from her2gc.network.bnet import LogicalModel

# (true bits, false bits) of every node, by node index.
Bits = tuple[int, int]
BitRule = Callable[[list[int], list[int], int], Bits]


def _compile(expr: Expr, index: Mapping[str, int]) -> BitRule:
    """The rule as a function of the nodes' bit sets (``every`` = all bits of the batch)."""
    if isinstance(expr, Const):
        value = expr.value
        return lambda true, false, every: (every, 0) if value else (0, every)
    if isinstance(expr, Var):
        at = index[expr.name]
        return lambda true, false, every: (true[at], false[at])
    if isinstance(expr, Not):
        inner = _compile(expr.arg, index)

        def negation(true: list[int], false: list[int], every: int) -> Bits:
            is_true, is_false = inner(true, false, every)
            return is_false, is_true

        return negation
    parts = tuple(_compile(arg, index) for arg in expr.args)
    if isinstance(expr, And):

        def conjunction(true: list[int], false: list[int], every: int) -> Bits:
            is_true, is_false = every, 0
            for part in parts:
                part_true, part_false = part(true, false, every)
                is_true &= part_true
                is_false |= part_false
            return is_true, is_false

        return conjunction
    assert isinstance(expr, Or)

    def disjunction(true: list[int], false: list[int], every: int) -> Bits:
        is_true, is_false = 0, every
        for part in parts:
            part_true, part_false = part(true, false, every)
            is_true |= part_true
            is_false &= part_false
        return is_true, is_false

    return disjunction


@dataclass(frozen=True)
class BitModel:
    """A model's rules compiled for batches, and who reads whom (by node index)."""

    nodes: tuple[str, ...]
    rules: tuple[BitRule, ...]
    readers: tuple[tuple[int, ...], ...]
    index: Mapping[str, int]

    @classmethod
    def of(cls, model: LogicalModel) -> BitModel:
        index = {node: i for i, node in enumerate(model.nodes)}
        readers: list[list[int]] = [[] for _ in model.nodes]
        for node in model.nodes:
            for regulator in model.regulators(node):
                readers[index[regulator]].append(index[node])
        return cls(
            nodes=model.nodes,
            rules=tuple(_compile(model.rules[node], index) for node in model.nodes),
            readers=tuple(tuple(r) for r in readers),
            index=index,
        )


@dataclass(frozen=True)
class Percolated:
    """The percolated states of a batch: node ``n`` is 1 in perturbation ``i`` where bit ``i``
    of ``true[n]`` is set, 0 where that of ``false[n]`` is, open where neither."""

    compiled: BitModel
    true: tuple[int, ...]
    false: tuple[int, ...]
    size: int
    closed: int  # bits of the perturbations that leave no node open

    def determined(self, bit: int) -> bool:
        """Whether perturbation ``bit`` fixes every node (its one attractor is the state)."""
        return bool(self.closed >> bit & 1)

    def state(self, bit: int) -> dict[str, int]:
        """The percolated state of perturbation ``bit`` (the fixed and determined nodes)."""
        return _state_of(self.compiled.nodes, self.true, self.false, 1 << bit)

    def view(self, bit: int) -> Mapping[str, int]:
        """A fully determined state read from the bits, without building its dict."""
        return _StateView(self, bit)

    def states(self) -> list[dict[str, int]]:
        return [self.state(bit) for bit in range(self.size)]


class _StateView(Mapping[str, int]):
    """Node values of one determined perturbation, read on demand (a screen reads a few outputs)."""

    __slots__ = ("_batch", "_mask")

    def __init__(self, batch: Percolated, bit: int) -> None:
        self._batch = batch
        self._mask = 1 << bit

    def __getitem__(self, node: str) -> int:
        at = self._batch.compiled.index[node]
        if self._batch.true[at] & self._mask:
            return 1
        if self._batch.false[at] & self._mask:
            return 0
        raise KeyError(node)

    def __iter__(self) -> Iterator[str]:
        return iter(self._batch.compiled.nodes)

    def __len__(self) -> int:
        return len(self._batch.compiled.nodes)


def percolate_batch(compiled: BitModel, fixed_sets: Sequence[Mapping[str, int]]) -> Percolated:
    """The percolated state of each perturbation (as :func:`percolate` gives it, node order aside).

    The nodes of ``fixed_sets`` must exist and their values be 0 or 1 (checked by the caller).
    """
    size = len(compiled.nodes)
    index = compiled.index
    true = [0] * size
    false = [0] * size
    held = [0] * size  # bits where the node is a perturbation's: its rule is not read there
    for bit, fixed in enumerate(fixed_sets):
        mask = 1 << bit
        for node, value in fixed.items():
            at = index[node]
            held[at] |= mask
            if value:
                true[at] |= mask
            else:
                false[at] |= mask
    every = (1 << len(fixed_sets)) - 1
    queue = list(range(size))
    queued = [True] * size
    while queue:
        at = queue.pop()
        queued[at] = False
        open_bits = every & ~held[at] & ~(true[at] | false[at])
        if not open_bits:
            continue
        is_true, is_false = compiled.rules[at](true, false, every)
        gained_true, gained_false = is_true & open_bits, is_false & open_bits
        if not (gained_true or gained_false):
            continue
        true[at] |= gained_true
        false[at] |= gained_false
        for reader in compiled.readers[at]:
            if not queued[reader]:
                queue.append(reader)
                queued[reader] = True
    closed = every
    for at in range(size):
        closed &= true[at] | false[at]
    return Percolated(compiled, tuple(true), tuple(false), len(fixed_sets), closed)


def _state_of(nodes: tuple[str, ...], true: Sequence[int], false: Sequence[int], mask: int) -> dict[str, int]:
    state: dict[str, int] = {}
    for at, node in enumerate(nodes):
        if true[at] & mask:
            state[node] = 1
        elif false[at] & mask:
            state[node] = 0
    return state
