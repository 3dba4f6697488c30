from __future__ import annotations

import pyarrow as pa
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from her2gc.readers.protein import THREE_TO_ONE, normalise_protein_array, normalise_protein_change

SPELLINGS = {
    "p.H1047R": "p.H1047R",
    "H1047R": "p.H1047R",
    "p.His1047Arg": "p.H1047R",
    "p.(His1047Arg)": "p.H1047R",
    "ENSP00000263967.3:p.His1047Arg": "p.H1047R",
    "h1047r": "p.H1047R",
    "R213X": "p.R213*",
    "p.Arg213Ter": "p.R213*",
    "p.R213*": "p.R213*",
    "p.Leu1234PhefsTer5": "p.L1234Ffs*5",
    "L1234fsX5": "p.L1234fs*5",
    "p.Glu746_Ala750del": "p.E746_A750del",
    "p.Tyr772_Ala775dup": "p.Y772_A775dup",
    "p.A775_G776insYVMA": "p.A775_G776insYVMA",
    "p.X1234_splice": "p.X1234_splice",
    "p.SG302fs": "p.S302fs",  # Oncotator (Firehose MAF)
    "p.RD45del": "p.R45_D46del",
    "p.108_109LL>L": "p.L108_L109delinsL",
    "p.=": "p.=",
}


@pytest.mark.parametrize(("text", "expected"), sorted(SPELLINGS.items()))
def test_spellings_normalise(text: str, expected: str) -> None:
    assert normalise_protein_change(text) == expected


@pytest.mark.parametrize("junk", ["", "c.3140A>G", "junk", "p.-138fs", "p.108_110LL>L", "p.H1047"])
def test_junk_is_a_value_error(junk: str) -> None:
    with pytest.raises(ValueError):
        normalise_protein_change(junk)


def test_array_and_scalar_agree_on_examples() -> None:
    values = [*SPELLINGS, "junk", None, "", "p.-138fs"]
    normalised, invalid = normalise_protein_array(pa.array(values, pa.string()))
    for value, got, bad in zip(values, normalised.to_pylist(), invalid.to_pylist(), strict=False):
        if value in SPELLINGS:
            assert got == SPELLINGS[value] and not bad
        else:
            assert got is None
            assert bad == bool(value)


AMINO = st.sampled_from([one for _, one in THREE_TO_ONE if one not in "*X"] + [three for three, _ in THREE_TO_ONE])
CHANGE = st.builds(
    lambda ref, pos, alt, prefix: f"{prefix}{ref}{pos}{alt}",
    AMINO, st.integers(1, 5000), st.one_of(AMINO, st.just("*"), st.just("fs"), st.just("del"), st.just("X")),
    st.sampled_from(["", "p.", "P."]),
)  # fmt: skip


@settings(max_examples=300, deadline=None)
@given(CHANGE)
def test_normalisation_is_idempotent(text: str) -> None:
    once = normalise_protein_change(text)
    assert normalise_protein_change(once) == once


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.text(max_size=30), CHANGE))
def test_junk_only_raises_value_error_and_array_agrees(text: str) -> None:
    try:
        scalar: str | None = normalise_protein_change(text)
    except ValueError:
        scalar = None
    normalised, _ = normalise_protein_array(pa.array([text], pa.string()))
    assert normalised.to_pylist() == [scalar]
