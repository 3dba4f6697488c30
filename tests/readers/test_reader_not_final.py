"""The vectorised stop-codon check agrees with the regular expression it replaces."""

from __future__ import annotations

import re

import pyarrow as pa
import pyarrow.compute as pc
from hypothesis import given, settings
from hypothesis import strategies as st

from her2gc.protein import NOT_FINAL_PATTERN as _NOT_FINAL
from her2gc.readers.protein import _not_final

SPELLINGS = st.one_of(
    st.none(),
    st.text(alphabet="pPRXfs*0123456789._>ALHdelins", max_size=12),
    st.sampled_from(["p.R130X", "p.R130*", "p.L10fsX5", "p.X12_splice", "p.K10X", "p.12X", "X", ""]),
)


@settings(deadline=None)
@given(st.lists(SPELLINGS, max_size=30))
def test_not_final_matches_regex(values: list[str | None]) -> None:
    got = pc.fill_null(_not_final(pa.array(values, pa.string())), False).to_pylist()
    assert got == [value is not None and re.search(_NOT_FINAL, value) is not None for value in values]
