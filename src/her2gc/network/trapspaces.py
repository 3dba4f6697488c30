"""Minimal trap spaces by the Trappist encoding, grounded once per model in clingo.

Trappist (Trinh 2023, "Trap spaces of Boolean networks are conflict-free siphons of
their Petri net encoding") finds the minimal trap spaces of a network as the maximal
conflict-free siphons of its Petri net: a place ``b1_x`` (``b0_x``) in the siphon means
that ``x`` is fixed at 0 (1). biobalm (MIT) builds the Petri net (one transition per
implicant of each update, :func:`petri_transitions`) and writes the encoding as an ASP
program for clingo with the domain heuristic that enumerates the maximal models
(``--heuristic=Domain --enum-mode=domRec --dom-mod=3,16``).

A screen asks for the minimal trap spaces of one network inside many subspaces (one per
drug set, after percolation). biobalm would translate and ground a new program for each
subspace, which costs far more than solving it. :class:`TrapSpaceProgram` grounds the
same siphon rules once for the whole model, each rule guarded by an external atom that
says whether its transition still exists, and answers each subspace in the same solver:

* a transition of a fixed node, or one whose condition contradicts a fixed value, can
  never fire inside the subspace: its external is set false (the rule is dropped);
* the places of fixed nodes are assumed false, so each remaining rule's disjunction is
  over the places of free nodes only, exactly the program of the reduced Petri net.

The models of each solve are therefore those of the program that biobalm's
``trappist(problem="min")`` grounds for the reduced net, with the same heuristic; the
cross-check tests compare the two on every subspace of the AGS screen and of random
perturbations of the published models.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import biodivine_aeon as aeon
import clingo
from biobalm.petri_net_translation import (
    network_to_petrinet,
    place_to_variable,
    variable_to_place,
)

if TYPE_CHECKING:
    from her2gc.network.bnet import LogicalModel

# The options biobalm's Trappist passes to clingo for minimal trap spaces: all models,
# the domain heuristic preferring shown atoms true (maximal siphons), enumerated by it.
_CLINGO_OPTIONS = ["0", "--heuristic=Domain", "--enum-mode=domRec", "--dom-mod=3,16"]


@dataclass(frozen=True)
class Transition:
    """One Petri-net transition: ``var`` goes up (down) when every ``reads`` value holds."""

    var: str
    up: bool
    reads: tuple[tuple[str, int], ...]


def petri_transitions(model: LogicalModel) -> tuple[Transition, ...]:
    """The model's Petri-net encoding (biobalm: implicants of each update), as plain tuples."""

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
        transitions.append(Transition(var, up, tuple(sorted(reads))))
    return tuple(transitions)


def _siphon_program(nodes: Sequence[str], transitions: Sequence[Transition]) -> str:
    """Trappist's siphon rules for the whole net, transition ``i`` guarded by ``t(i)``."""
    lines = []
    for node in nodes:
        one, zero = variable_to_place(node, positive=True), variable_to_place(node, positive=False)
        lines += [f"{{{one}}}.", f"{{{zero}}}.", f":- {one}, {zero}.", f"#show {one}/0.", f"#show {zero}/0."]
    for index, transition in enumerate(transitions):
        # A siphon holding the place a transition fills holds one of the places it takes from.
        source = variable_to_place(transition.var, positive=not transition.up)
        target = variable_to_place(transition.var, positive=transition.up)
        reads = [variable_to_place(var, positive=bool(value)) for var, value in transition.reads]
        lines.append(f"#external t({index}).")
        lines.append(f"{'; '.join([source, *reads])} :- {target}, t({index}).")
    return "\n".join(lines) + "\n"


def _literals(control: clingo.Control) -> Callable[[clingo.Symbol], int]:
    """The program literal of a grounded atom (every place and guard is one: choice rules, externals)."""
    atoms = control.symbolic_atoms

    def literal(symbol: clingo.Symbol) -> int:
        atom = atoms[symbol]
        if atom is None:
            raise AssertionError(f"atom {symbol} is missing from the grounded program")
        return atom.literal

    return literal


class TrapSpaceProgram:
    """The grounded siphon program of one model; not thread-safe (one user at a time)."""

    def __init__(self, nodes: Sequence[str], transitions: Sequence[Transition]) -> None:
        self.transitions = tuple(transitions)
        control = clingo.Control(_CLINGO_OPTIONS)
        control.add("base", [], _siphon_program(nodes, self.transitions))
        control.ground([("base", [])])
        self._control = control
        # Program literals, looked up once: the solver is then driven by integers alone.
        literal = _literals(control)
        self._guards = [literal(clingo.Function("t", [clingo.Number(i)])) for i in range(len(self.transitions))]
        self._disabled = set(range(len(self.transitions)))  # externals start false
        # Setting node=value removes the node's own transitions and those that need the other value.
        blocked: dict[tuple[str, int], list[int]] = {(node, value): [] for node in nodes for value in (0, 1)}
        for index, transition in enumerate(self.transitions):
            blocked[(transition.var, 0)].append(index)
            blocked[(transition.var, 1)].append(index)
            for var, value in transition.reads:
                blocked[(var, 1 - value)].append(index)
        self._blocked = {key: tuple(indices) for key, indices in blocked.items()}
        self._places: dict[str, tuple[int, ...]] = {}
        self._meaning: dict[clingo.Symbol, tuple[str, int]] = {}
        for node in nodes:
            one, zero = clingo.Function(variable_to_place(node, True)), clingo.Function(variable_to_place(node, False))
            self._places[node] = (literal(one), literal(zero))
            # A positive place in the siphon fixes its variable at 0 (Trappist's convention).
            self._meaning[one], self._meaning[zero] = (node, 0), (node, 1)

    def minimal(self, state: Mapping[str, int]) -> tuple[dict[str, int], ...]:
        """Minimal trap spaces inside the subspace ``state``: free node -> fixed value."""
        control = self._control
        disabled: set[int] = set()
        for item in state.items():
            disabled.update(self._blocked[item])
        for index in self._disabled - disabled:
            control.assign_external(self._guards[index], True)
        for index in disabled - self._disabled:
            control.assign_external(self._guards[index], False)
        self._disabled = disabled
        assumptions = [-literal for node in state for literal in self._places[node]]
        meaning = self._meaning
        spaces = []
        with control.solve(assumptions=assumptions, yield_=True) as handle:
            for found in handle:
                spaces.append(dict(meaning[symbol] for symbol in found.symbols(shown=True)))
        return tuple(spaces)
