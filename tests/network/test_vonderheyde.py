"""The von der Heyde 2014 long-term ERBB models (BT474, HCC1954, SKBR3) under
their own drug nodes (trastuzumab, pertuzumab, erlotinib) and state.

These models have memory (self-loops), so the exact analysis is used:
asynchronous attractors reachable from the all-active initial state with the
growth stimulus on (biodivine-aeon). What the models encode, as computed:
- HCC1954 (PIK3CA-mutant, trastuzumab-resistant in the paper's data): cyclin D1
  stays on under every drug and combination -> resistant.
- BT474: pertuzumab or erlotinib (which act on ERBB1/ERBB3 in the model) let
  AKT switch off in some reachable attractors; trastuzumab switches ERBB2 off
  but AKT, ERK and the cell-cycle read-outs stay as untreated (AKT is held by
  ERBB1/ERBB3 and its own memory).
- SKBR3: no drug changes the downstream read-outs (AKT, ERK, p70S6K stay on).
Each answer is cross-checked: every asynchronous attractor lies inside a
minimal trap space of the main engine.
"""

from __future__ import annotations

import itertools

import pytest

from her2gc.network import load_bnet
from her2gc.network.engine import reachable_attractors, trap_space_attractors
from network_helpers import ERBB, shared

DRUGS = ("v_trastuzumab", "v_pertuzumab", "v_erlotinib")
READOUTS = ("v_AKT", "v_ERK1_2", "v_p70S6K", "v_CyclinD1", "v_CyclinB1", "v_RB")


def _run(
    name: str, drugs: tuple[str, ...]
) -> tuple[tuple[dict[str, int | None], ...], tuple[dict[str, int | None], ...]]:
    model = load_bnet(shared(ERBB / f"{name}.bnet"), free_inputs=True)
    inputs = {node: (1 if node in drugs else 0) if node in DRUGS else 1 for node in model.inputs}
    reached = reachable_attractors(model, inputs, dict.fromkeys(model.nodes, 1), max_nodes=40)
    return reached, trap_space_attractors(model, inputs)


def _states(attractors: tuple[dict[str, int | None], ...]) -> list[dict[str, int | None]]:
    """The downstream read-outs of each attractor, to compare conditions."""
    return [{k: a[k] for k in READOUTS} for a in attractors]


def _inside(attractor: dict[str, int | None], space: dict[str, int | None]) -> bool:
    return all(attractor[node] == value for node, value in space.items() if value is not None)


COMBOS = [c for k in range(4) for c in itertools.combinations(DRUGS, k)]


@pytest.mark.parametrize("drugs", COMBOS)
def test_hcc1954_is_resistant_to_every_anti_erbb_drug(drugs: tuple[str, ...]) -> None:
    reached, spaces = _run("vonderheyde2014_hcc1954_long", drugs)
    assert all(a["v_CyclinD1"] == 1 for a in reached)
    assert all(any(_inside(a, s) for s in spaces) for a in reached)


def test_bt474_akt_responds_to_pertuzumab_and_erlotinib_not_trastuzumab() -> None:
    untreated, _ = _run("vonderheyde2014_bt474_long", ())
    assert all(a["v_AKT"] == 1 for a in untreated)
    for drug in ("v_pertuzumab", "v_erlotinib"):
        reached, spaces = _run("vonderheyde2014_bt474_long", (drug,))
        assert any(a["v_AKT"] == 0 for a in reached)
        assert all(any(_inside(a, s) for s in spaces) for a in reached)
    trastuzumab, _ = _run("vonderheyde2014_bt474_long", ("v_trastuzumab",))
    assert all(a["v_ERBB2"] == 0 for a in trastuzumab)
    assert _states(trastuzumab) == _states(untreated)


def test_skbr3_reached_state_is_unchanged_by_the_drugs() -> None:
    untreated, _ = _run("vonderheyde2014_skbr3_long", ())
    for drugs in COMBOS[1:]:
        reached, spaces = _run("vonderheyde2014_skbr3_long", drugs)
        assert _states(reached) == _states(untreated)
        assert all(any(_inside(a, s) for s in spaces) for a in reached)
