"""Protein changes of a whole column to one form, HGVS short (``p.H1047R``), with pyarrow
compute and no Python loop: the column twin of :func:`her2gc.protein.normalise_protein_change`
(the rules and their sources are there; a test checks that both agree).
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.protein import (
    ACCESSION_PATTERN,
    CANONICAL,
    FS_X_PATTERN,
    LOWER_SUBSTITUTION_PATTERN,
    ONCOTATOR_FS_PATTERN,
    PARENTHESES_PATTERN,
    PREFIX_PATTERN,
    RESIDUE_PATTERN,
    THREE_TO_ONE,
    X_STOP_PATTERN,
    normalise_protein_change,
    residue,
)

__all__ = ["normalise_protein_array", "normalise_protein_change", "residue", "residue_array"]


def _not_final(column: pa.Array) -> pa.Array:
    """``NOT_FINAL_PATTERN`` without a regular-expression pass: ``fsX`` anywhere, or a digit then a
    final ``X`` (plain substring and slice kernels are ten times cheaper on 178k rows)."""
    digit_then_x = pc.and_(pc.ends_with(column, "X"), pc.utf8_is_digit(pc.utf8_slice_codeunits(column, -2, -1)))
    return pc.or_(pc.match_substring(column, "fsX"), digit_then_x)


def normalise_protein_array(values: pa.Array | pa.ChunkedArray) -> tuple[pa.Array, pa.Array]:
    """Normalised column and a boolean mask of values that are present but not protein changes.

    Values that are not protein changes come back null; the caller counts them.
    """
    column = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    column = pc.cast(column, pa.string())
    # Most MAF values are already canonical (HGVSp_Short): they skip the rewriting passes.
    done = pc.fill_null(
        pc.and_(pc.match_substring_regex(column, CANONICAL.pattern), pc.invert(_not_final(column))), False
    )
    if pc.all(done).as_py():
        return column, pa.array([False] * len(column), pa.bool_())
    if pc.any(done).as_py():
        rest, rest_invalid = normalise_protein_array(column.filter(pc.invert(done)))
        return _scatter(column, done, rest, rest_invalid)
    text = pc.utf8_trim_whitespace(column)
    text = pc.replace_substring_regex(text, ACCESSION_PATTERN, "", max_replacements=1)
    text = pc.replace_substring_regex(text, PREFIX_PATTERN, "", max_replacements=1)
    text = pc.replace_substring_regex(text, PARENTHESES_PATTERN, r"\1", max_replacements=1)
    lower = pc.fill_null(pc.match_substring_regex(text, LOWER_SUBSTITUTION_PATTERN), False)
    text = pc.if_else(lower, pc.utf8_upper(text), text)
    for three, one in THREE_TO_ONE:
        text = pc.replace_substring(text, three, one)
    text = pc.replace_substring_regex(text, X_STOP_PATTERN, r"\1*", max_replacements=1)
    text = pc.replace_substring(text, FS_X_PATTERN, "fs*")
    text = pc.replace_substring_regex(text, ONCOTATOR_FS_PATTERN, r"\1\2fs", max_replacements=1)
    result = pc.binary_join_element_wise(pa.scalar("p."), text, "")
    valid = pc.match_substring_regex(result, CANONICAL.pattern)
    present = pc.and_(pc.is_valid(column), pc.not_equal(pc.fill_null(pc.utf8_length(text), 0), 0))
    invalid = pc.and_(present, pc.invert(pc.fill_null(valid, False)))
    normalised = pc.if_else(pc.fill_null(valid, False), result, pa.scalar(None, pa.string()))
    if pc.any(invalid).as_py():
        # The rare spellings the vectorised pass does not cover (Oncotator forms) go through
        # the scalar rules once per distinct value.
        normalised, invalid = _fallback(column, normalised, invalid)
    return normalised, invalid


def _scatter(column: pa.Array, done: pa.Array, rest: pa.Array, rest_invalid: pa.Array) -> tuple[pa.Array, pa.Array]:
    """Put the rewritten values back among the ones that were already canonical."""
    position = pc.subtract(pc.cumulative_sum(pc.cast(pc.invert(done), pa.int64())), 1)
    normalised = pc.if_else(done, column, pc.take(rest, pc.max_element_wise(position, 0)))
    invalid = pc.if_else(done, False, pc.take(rest_invalid, pc.max_element_wise(position, 0)))
    return normalised, invalid


def _fallback(column: pa.Array, normalised: pa.Array, invalid: pa.Array) -> tuple[pa.Array, pa.Array]:
    leftovers = pc.unique(column.filter(invalid))
    fixed: list[str | None] = []
    for value in leftovers.to_pylist():
        try:
            fixed.append(normalise_protein_change(value))
        except ValueError:
            fixed.append(None)
    repaired = pc.take(pa.array(fixed, pa.string()), pc.index_in(column, value_set=leftovers))
    normalised = pc.coalesce(normalised, repaired)
    still_invalid = pc.and_(invalid, pc.is_null(repaired))
    return normalised, still_invalid


def residue_array(changes: pa.Array) -> pa.Array:
    """First affected residue (``H1047`` of ``p.H1047R``, ``E746`` of ``p.E746_A750del``) or null."""
    matched = pc.extract_regex(changes, RESIDUE_PATTERN)
    ref = pc.struct_field(matched, [0])
    pos = pc.struct_field(matched, [1])
    return pc.binary_join_element_wise(ref, pos, "")
