"""The main engine (percolation + biobalm/Trappist minimal trap spaces) against
independent methods on small models: biodivine-aeon's symbolic (BDD) minimal
trap spaces, and mpbn's most permissive attractors when mpbn is installed."""

from __future__ import annotations

import itertools
import random
from pathlib import Path

import pytest

from her2gc.network import load_bnet
from her2gc.network.bnet import LogicalModel
from her2gc.network.engine import percolate, reachable_attractors, trap_space_attractors
from network_helpers import ERBB, shared


def _canonical(spaces: object) -> list[tuple[tuple[str, int], ...]]:
    return sorted(tuple(sorted((k, v) for k, v in s.items() if v is not None)) for s in spaces)  # type: ignore[attr-defined]


def _perturbed_text(model: LogicalModel, fixed: dict[str, int]) -> str:
    from her2gc.network.expr import to_text

    return "".join(f"{n}, {fixed[n] if n in fixed else to_text(model.rules[n])}\n" for n in model.nodes)


def _aeon_minimal_trap_spaces(model: LogicalModel, fixed: dict[str, int]) -> list[dict[str, int]]:
    import biodivine_aeon as aeon

    network = aeon.BooleanNetwork.from_bnet(_perturbed_text(model, fixed)).infer_valid_graph()
    context = aeon.SymbolicSpaceContext(network)
    graph = aeon.AsynchronousGraph(network, context)
    spaces = aeon.TrapSpaces.minimal_symbolic(context, graph)
    return [{k: int(v) for k, v in space.to_named_dict().items() if v is not None} for space in spaces.spaces()]


def _random_model(seed: int, size: int = 8) -> LogicalModel:
    rng = random.Random(seed)
    names = [f"x{i}" for i in range(size)]
    lines = []
    for name in names:
        regulators = rng.sample(names, rng.randint(1, 3))
        literals = [("!" if rng.random() < 0.4 else "") + r for r in regulators]
        ops = [rng.choice(["", "&", "|", ""]) or "&" for _ in literals[1:]]
        rule = literals[0] + "".join(f" {op} {lit}" for op, lit in zip(ops, literals[1:], strict=False))
        lines.append(f"{name}, {rule}")
    return load_bnet("\n".join(lines) + "\n")


@pytest.mark.parametrize("seed", range(12))
def test_random_models_agree_with_aeon(seed: int) -> None:
    model = _random_model(seed)
    fixed = {model.nodes[seed % len(model.nodes)]: seed % 2}
    assert _canonical(trap_space_attractors(model, fixed)) == _canonical(_aeon_minimal_trap_spaces(model, fixed))


@pytest.mark.parametrize("name", ["sahin2009_erbb_g1s", "vonderheyde2014_skbr3_long", "vonderheyde2014_bt474_long"])
def test_published_erbb_models_agree_with_aeon(name: str) -> None:
    model = load_bnet(shared(ERBB / f"{name}.bnet"), free_inputs=True)
    for values in itertools.islice(itertools.product((0, 1), repeat=len(model.inputs)), 4):
        fixed = dict(zip(model.inputs, values, strict=False))
        assert _canonical(trap_space_attractors(model, fixed)) == _canonical(_aeon_minimal_trap_spaces(model, fixed))


@pytest.mark.parametrize("seed", range(6))
def test_random_models_agree_with_mpbn(seed: int) -> None:
    mpbn = pytest.importorskip("mpbn", reason="mpbn (CeCILL, optional) is not installed")
    model = _random_model(100 + seed, size=10)
    fixed = {model.nodes[0]: 1, model.nodes[3]: 0}
    network = mpbn.MPBooleanNetwork(
        {n: (str(fixed[n]) if n in fixed else None) or _rule(model, n) for n in model.nodes}
    )
    expected = [{k: v for k, v in a.items() if v != "*"} for a in network.attractors()]
    assert _canonical(trap_space_attractors(model, fixed)) == _canonical(expected)


def _rule(model: LogicalModel, node: str) -> str:
    from her2gc.network.expr import to_text

    return to_text(model.rules[node])


def test_percolation_is_sound_on_her2_model() -> None:
    from support import her2_model

    model = her2_model().model
    state = percolate(model, her2_model().annotations.initial_state)
    attractors = trap_space_attractors(model, her2_model().annotations.initial_state)
    for attractor in attractors:
        assert all(attractor[node] == value for node, value in state.items())


def test_async_attractors_lie_in_trap_spaces(tmp_path: Path) -> None:
    model = load_bnet("A, !B\nB, !A\nC, A & !C | B\nD, C\n")
    spaces = trap_space_attractors(model, {})
    for attractor in reachable_attractors(model, {}, {}, max_nodes=10):
        fixed = {k: v for k, v in attractor.items() if v is not None}
        assert any(all(fixed.get(k) == v for k, v in s.items() if v is not None) for s in spaces)
