"""Loading .bnet models: valid files, gzip, and every kind of bad input."""

from __future__ import annotations

import gzip
from pathlib import Path

import pytest

from her2gc.errors import InputError
from her2gc.network import load_bnet
from her2gc.network.expr import And, Not, Var, parse_expression


def test_precedence_and_round_trip() -> None:
    assert parse_expression("a | b & !c") == parse_expression("a | (b & (!c))")
    model = load_bnet("targets, factors\nA, A\nB, A & !C | B\nC, !B\n")
    assert model.nodes == ("A", "B", "C")
    assert model.inputs == ("A",)
    assert load_bnet(model.to_bnet()).to_bnet() == model.to_bnet()
    assert model.rules["C"] == Not(Var("B"))
    assert isinstance(parse_expression("x & y & z"), And)


def test_gzip_file(tmp_path: Path) -> None:
    path = tmp_path / "m.bnet.gz"
    path.write_bytes(gzip.compress(b"targets, factors\nA, !B\nB, A\n"))
    assert load_bnet(path).nodes == ("A", "B")


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        ("A, B &\nB, A\n", "line 1: node A"),
        ("A, B\nB A\n", "line 2: expected 'node, update-function'"),
        ("A, B\nB, A\nA, !B\n", "line 3: node A is defined twice"),
        ("A, B\nB, C\n", "line 2: node C is used but never defined"),
        ("A-1, B\nB, A\n", "invalid node name"),
        ("A, (B\nB, A\n", "line 1: node A: expression ends too early"),
        ("# only a comment\n", "no node definitions"),
    ],
)
def test_malformed_models_name_the_line(text: str, fragment: str, tmp_path: Path) -> None:
    path = tmp_path / "bad.bnet"
    path.write_text(text)
    with pytest.raises(InputError) as caught:
        load_bnet(path)
    message = caught.value.one_line()
    assert str(path) in message and fragment in message
    assert "\n" not in message


def test_free_inputs_option() -> None:
    model = load_bnet("A, B & C\n", free_inputs=True)
    assert set(model.inputs) == {"B", "C"}


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="cannot read"):
        load_bnet(tmp_path / "absent.bnet")
