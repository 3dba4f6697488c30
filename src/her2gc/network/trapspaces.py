"""Minimal trap spaces by the Trappist encoding, built once per model in clingo.

Trappist (Trinh 2023, "Trap spaces of Boolean networks are conflict-free siphons of
their Petri net encoding") finds the minimal trap spaces of a network as the maximal
conflict-free siphons of its Petri net: a place ``b1_x`` (``b0_x``) in the siphon means
that ``x`` is fixed at 0 (1). biobalm (MIT) builds the Petri net (one transition per
implicant of each update, :func:`petri_transitions`) and writes the encoding as an ASP
program for clingo with the domain heuristic that enumerates the maximal models
(``--heuristic=Domain --enum-mode=domRec --dom-mod=3,16``).

A screen asks for the minimal trap spaces of one network inside many subspaces (one per
drug set, after percolation). biobalm would translate and ground a new program for each
subspace, which costs far more than solving it. :class:`TrapSpaceProgram` builds the
same siphon rules once for the whole model, each rule guarded by an atom that says
whether its transition still exists, and answers each subspace in the same solver,
under assumptions:

* a transition of a fixed node, or one whose condition contradicts a fixed value, can
  never fire inside the subspace: its guard is assumed false (the rule is dropped);
* the places of fixed nodes are assumed false, so each remaining rule's disjunction is
  over the places of free nodes only, exactly the program of the reduced Petri net.

The models of each solve are therefore those of the program that biobalm's
``trappist(problem="min")`` grounds for the reduced net, with the same heuristic; the
tests compare the two on every subspace of the AGS screen, on random perturbations of
the AGS and published ErbB models and on the HER2 model's drug sets.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import biodivine_aeon as aeon
import clingo

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


def variable_to_place(variable: str, positive: bool) -> str:
    """biobalm's place names: ``b1_x`` holds the token when ``x`` is 1, ``b0_x`` when it is 0."""
    return f"b{int(positive)}_{variable}"


def _dnf_clauses(bdd: aeon.Bdd) -> Iterator[dict[aeon.BddVariable, bool]]:
    """The clauses of biobalm's DNF of ``bdd`` (``optimized_recursive_dnf_generator``, MIT).

    Restated from biobalm 0.4.3 so that the command line need not import biobalm's
    package (which loads networkx, about 0.2 s); the tests check that the transitions
    equal those of biobalm's ``network_to_petrinet``. It splits on the variable whose
    two restrictions are smallest together, recursively, true branch first.
    """
    if bdd.is_false():
        return
    if bdd.is_true():
        yield {}
        return
    support = sorted(bdd.support_set())
    best_var, best_size = support[0], 10 * len(bdd)
    for var in support:
        size = len(bdd.r_restrict({var: True})) + len(bdd.r_restrict({var: False}))
        if size < best_size:
            best_var, best_size = var, size
    for value in (True, False):
        for clause in _dnf_clauses(bdd.r_restrict({best_var: value})):
            clause[best_var] = value
            yield clause


def petri_transitions(model: LogicalModel) -> tuple[Transition, ...]:
    """The model's Petri-net encoding as biobalm's ``network_to_petrinet`` makes it.

    The same steps without the graph object: for each variable ``x`` with update ``f``,
    one transition up per clause of biobalm's DNF of ``f & !x`` and one down per clause
    of ``!f & x``, reading the clause's other literals (tested against biobalm's own
    translation in the tests).
    """
    network = aeon.BooleanNetwork.from_bnet(model.to_bnet()).infer_valid_graph()
    context = aeon.SymbolicContext(network)
    names = context.bdd_variable_set()
    transitions = []
    for variable in network.variables():
        name = network.get_variable_name(variable)
        function = network.get_update_function(variable)
        if function is None:  # an input without a function has no transitions
            continue
        update, current = context.mk_update_function(function), context.mk_network_variable(variable)
        for up, implicants in ((True, update.l_and(current.l_not())), (False, update.l_not().l_and(current))):
            for clause in _dnf_clauses(implicants):
                reads = ((names.get_variable_name(var), int(value)) for var, value in clause.items())
                transitions.append(Transition(name, up, tuple(sorted(read for read in reads if read[0] != name))))
    return tuple(transitions)


class TrapSpaceProgram:
    """The ground siphon program of one model in one clingo solver; not thread-safe (one user at a time).

    The rules are those biobalm's ``trappist`` writes as text, added as ground rules
    through clingo's backend (nothing to parse or ground): for every node ``x`` the
    choices ``{b1_x}. {b0_x}.`` and ``:- b1_x, b0_x.``; for every transition, which
    moves a token from its source place to its target place when its read places hold
    tokens, ``source; reads :- target, guard.`` with ``guard`` a choice atom that each
    solve assumes true (the transition exists) or false. The places are the only shown
    atoms, so the domain heuristic acts on them alone.
    """

    def __init__(self, nodes: Sequence[str], transitions: Sequence[Transition]) -> None:
        self.transitions = tuple(transitions)
        control = clingo.Control(_CLINGO_OPTIONS)
        places: dict[str, tuple[int, int]] = {}  # node -> (atom of b1_node, atom of b0_node)
        self._meaning: dict[clingo.Symbol, tuple[str, int]] = {}
        with control.backend() as backend:
            for node in nodes:
                one, zero = (
                    clingo.Function(variable_to_place(node, True)),
                    clingo.Function(variable_to_place(node, False)),
                )
                places[node] = (backend.add_atom(one), backend.add_atom(zero))
                backend.add_rule([places[node][0]], choice=True)
                backend.add_rule([places[node][1]], choice=True)
                backend.add_rule([], list(places[node]))
                # A positive place in the siphon fixes its variable at 0 (Trappist's convention).
                self._meaning[one], self._meaning[zero] = (node, 0), (node, 1)
            self._guards = []
            for transition in self.transitions:
                source, target = places[transition.var][::-1] if transition.up else places[transition.var]
                reads = [places[var][0 if value else 1] for var, value in transition.reads]
                guard = backend.add_atom()
                backend.add_rule([guard], choice=True)
                backend.add_rule([source, *reads], [target, guard])
                self._guards.append(guard)
        control.ground([("base", [])])
        self._control = control
        self._places = places
        # Setting node=value removes the node's own transitions and those that need the other value.
        blocked: dict[tuple[str, int], list[int]] = {(node, value): [] for node in nodes for value in (0, 1)}
        for index, transition in enumerate(self.transitions):
            blocked[(transition.var, 0)].append(index)
            blocked[(transition.var, 1)].append(index)
            for var, value in transition.reads:
                blocked[(var, 1 - value)].append(index)
        self._blocked = {key: tuple(indices) for key, indices in blocked.items()}

    def minimal(self, state: Mapping[str, int]) -> tuple[dict[str, int], ...]:
        """Minimal trap spaces inside the subspace ``state``: free node -> fixed value."""
        disabled: set[int] = set()
        for item in state.items():
            disabled.update(self._blocked[item])
        assumptions = [-guard if index in disabled else guard for index, guard in enumerate(self._guards)]
        assumptions += [-atom for node in state for atom in self._places[node]]
        meaning = self._meaning
        spaces: list[dict[str, int]] = []

        def keep(found: clingo.Model) -> None:
            spaces.append(dict(meaning[symbol] for symbol in found.symbols(shown=True)))

        self._control.solve(assumptions=assumptions, on_model=keep)
        return tuple(spaces)
