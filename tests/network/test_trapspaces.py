"""The once-built Trappist program against biobalm's own ``trappist`` on the reduced
Petri net of every subspace (the AGS screen's conditions, random perturbations of the
AGS and published ErbB models, the HER2 model's drug sets for random profiles), and the
Petri-net encoding against biobalm's ``network_to_petrinet``."""

from __future__ import annotations

import itertools
import random
from collections.abc import Iterable, Mapping
from pathlib import Path

import biodivine_aeon as aeon
import networkx as nx
import pytest
from biobalm.petri_net_translation import (
    network_to_petrinet,
    place_to_variable,
    variable_to_place,
)
from biobalm.trappist_core import trappist

from her2gc.network import SolverCache, load_bnet
from her2gc.network.bnet import LogicalModel
from her2gc.network.druglogics import read_drug_panel
from her2gc.network.engine import percolate
from her2gc.network.trapspaces import Transition, TrapSpaceProgram, petri_transitions
from network_helpers import AGS, ERBB, shared


def _reduced_petri_net(transitions: Iterable[Transition], state: Mapping[str, int], free: list[str]) -> nx.DiGraph:
    """biobalm's encoding restricted to ``state``: dead transitions dropped, fixed reads always hold."""
    net = nx.DiGraph()
    for var in free:
        net.add_node(variable_to_place(var, positive=True), kind="place")
        net.add_node(variable_to_place(var, positive=False), kind="place")
    for index, transition in enumerate(transitions):
        if transition.var in state or any(state.get(var, value) != value for var, value in transition.reads):
            continue
        name = f"t{index}"
        net.add_node(name, kind="transition", change=transition.var, direction="up" if transition.up else "down")
        net.add_edge(variable_to_place(transition.var, positive=not transition.up), name)
        net.add_edge(name, variable_to_place(transition.var, positive=transition.up))
        for var, value in transition.reads:
            if var not in state:
                place = variable_to_place(var, positive=bool(value))
                net.add_edge(place, name)
                net.add_edge(name, place)
    return net


def _biobalm_transitions(model: LogicalModel) -> list[Transition]:
    """The transitions of biobalm's own Petri-net object, in its order."""
    net = network_to_petrinet(aeon.BooleanNetwork.from_bnet(model.to_bnet()).infer_valid_graph())
    transitions = []
    for node, data in net.nodes(data=True):
        if data["kind"] == "transition":
            reads = [place_to_variable(place) for place in net.predecessors(node)]
            reads_other = tuple(sorted((name, int(positive)) for name, positive in reads if name != data["change"]))
            transitions.append(Transition(data["change"], data["direction"] == "up", reads_other))
    return transitions


@pytest.mark.parametrize(
    "path",
    [
        AGS / "ags_flobak2015.bnet",
        *(ERBB / f"{n}.bnet" for n in ("sahin2009_erbb_g1s", "samaga2009_egfr_erbb", "helikar2013_erbb_225")),
    ],
    ids=lambda p: p.stem,
)
def test_petri_encoding_is_biobalms(path: Path) -> None:
    model = load_bnet(shared(path), free_inputs=True)
    assert list(petri_transitions(model)) == _biobalm_transitions(model)


def test_petri_encoding_of_the_her2_model_is_biobalms() -> None:
    from support import her2_model

    model = her2_model().model
    assert list(petri_transitions(model)) == _biobalm_transitions(model)


def _canonical(spaces: Iterable[Mapping[str, int]]) -> list[tuple[tuple[str, int], ...]]:
    return sorted(tuple(sorted(space.items())) for space in spaces)


def _agree(model: LogicalModel, conditions: list[dict[str, int]], seed: int = 0) -> int:
    """Solve every open subspace in shuffled order with one program; compare each with biobalm."""
    cache = SolverCache()
    transitions = petri_transitions(model)
    states = [s for s in (percolate(model, c, cache) for c in conditions) if len(s) < len(model.nodes)]
    program = TrapSpaceProgram(model.nodes, transitions)
    order = list(range(len(states)))
    random.Random(seed).shuffle(order)
    for index in order:
        state = states[index]
        free = [node for node in model.nodes if node not in state]
        expected = trappist(_reduced_petri_net(transitions, state, free), problem="min")
        assert _canonical(program.minimal(state)) == _canonical(expected), state
    return len(states)


def test_every_ags_screen_condition() -> None:
    model = load_bnet(shared(AGS / "ags_flobak2015.bnet"))
    panel = read_drug_panel(shared(AGS / "flobak2015_drugpanel"), model)
    conditions = (
        [{}] + [dict(panel[d]) for d in panel] + [{**panel[a], **panel[b]} for a, b in itertools.combinations(panel, 2)]
    )
    assert _agree(model, conditions) == 29


def test_random_perturbations_of_ags() -> None:
    model = load_bnet(shared(AGS / "ags_flobak2015.bnet"))
    rng = random.Random(7)
    conditions = [{n: rng.randint(0, 1) for n in rng.sample(model.nodes, rng.randint(1, 4))} for _ in range(20)]
    assert _agree(model, conditions, seed=1) > 15


@pytest.mark.parametrize(
    "name", ["sahin2009_erbb_g1s", "samaga2009_egfr_erbb", "vonderheyde2014_bt474_long", "zanudo2017_breast_resistance"]
)
def test_published_erbb_models(name: str) -> None:
    model = load_bnet(shared(ERBB / f"{name}.bnet"), free_inputs=True)
    rng = random.Random(len(name))
    inputs = list(model.inputs)
    conditions = [
        {
            **{i: rng.randint(0, 1) for i in inputs},
            **{n: rng.randint(0, 1) for n in rng.sample(model.nodes, rng.randint(0, 4))},
        }
        for _ in range(15)
    ]
    assert _agree(model, conditions, seed=2) > 0


def test_her2_model_drug_sets() -> None:
    from support import her2_model

    annotated = her2_model()
    rng = random.Random(3)
    alterations, drugs = list(annotated.alterations.values()), list(annotated.panel.values())
    conditions = []
    for _ in range(60):
        condition = dict(annotated.annotations.initial_state)
        for layer in rng.sample(alterations, rng.randint(0, 3)) + rng.sample(drugs, rng.randint(0, 2)):
            condition.update(layer)
        conditions.append(condition)
    _agree(annotated.model, conditions, seed=3)


def test_programs_are_reused_and_give_the_same_answers() -> None:
    model = load_bnet("A, !B\nB, !A\nC, A & !C | B\nD, C\n")
    transitions = petri_transitions(model)
    program = TrapSpaceProgram(model.nodes, transitions)
    first = [_canonical(program.minimal(state)) for state in ({}, {"A": 1}, {"B": 1}, {})]
    # A=1, B=0 leaves C = !C oscillating, and D with it.
    assert first[0] == first[3] == [(("A", 0), ("B", 1), ("C", 1), ("D", 1)), (("A", 1), ("B", 0))]
    assert first[1] == [(("B", 0),)]
    assert first[2] == [(("A", 0), ("C", 1), ("D", 1))]
