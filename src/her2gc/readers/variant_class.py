"""Variant classes: what a mutation does to the protein, from MAF / VEP / SnpEff terms.

Classes: ``activating_hotspot`` (missense or in-frame change at a hotspot of
``hotspots.yaml``), ``truncating``, ``missense``, ``inframe``, ``fusion``; copy-number and
expression calls add ``amplification``, ``deletion`` and ``over_expression``. Terms that do
not change the protein (silent, intronic, UTR...) are skipped and counted by the readers.
The vocabularies live in ``kb/data/variant_classes.yaml``.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.protein import residue, residue_array

KIND_OF_CLASS = {
    "activating_hotspot": "mut",
    "truncating": "mut",
    "missense": "mut",
    "inframe": "mut",
    "fusion": "fusion",
    "amplification": "amp",
    "deletion": "del",
    "over_expression": "over",
}
SKIP = "not_protein_altering"
UNKNOWN = "unknown_term"


def classify_term(term: str, genomics: GenomicsKnowledge) -> str:
    """Class of one MAF / SO term; ``&``-joined SO terms take the most severe one."""
    table, skipped = genomics.variant_terms, genomics.skipped_terms
    found = [table.get(part.strip().lower()) for part in term.replace(",", "&").split("&")]
    for cls in ("truncating", "fusion", "inframe", "missense"):
        if cls in found:
            return cls
    parts = {p.strip().lower() for p in term.replace(",", "&").split("&")}
    return SKIP if parts <= skipped else UNKNOWN


def classify_terms(terms: pa.Array, genomics: GenomicsKnowledge) -> pa.Array:
    """Vectorised :func:`classify_term` over a column (classifies each distinct term once)."""
    encoded = pc.dictionary_encode(terms, null_encoding="encode")
    distinct = encoded.dictionary.to_pylist()
    classes = pa.array([classify_term(t, genomics) if t is not None else UNKNOWN for t in distinct], pa.string())
    return pc.take(classes, encoded.indices)


def refine_hotspots(genes: pa.Array, changes: pa.Array, classes: pa.Array, genomics: GenomicsKnowledge) -> pa.Array:
    """``missense``/``inframe`` at a listed hotspot residue, or an exact listed change -> ``activating_hotspot``."""
    residues, exact = genomics.hotspot_residues, genomics.hotspot_changes
    hotspot_genes = sorted({key.split(":")[0] for key in residues | exact})
    candidate = pc.fill_null(pc.is_in(genes, value_set=pa.array(hotspot_genes, pa.string())), False)
    if not pc.any(candidate).as_py():
        return classes
    if pc.sum(candidate).as_py() < len(genes):
        # Only rows of hotspot genes need the residue regex; the rest keep their class.
        refined = refine_hotspots(
            genes.filter(candidate), changes.filter(candidate), classes.filter(candidate), genomics
        )
        position = pc.subtract(pc.cumulative_sum(pc.cast(candidate, pa.int64())), 1)
        return pc.if_else(candidate, pc.take(refined, pc.max_element_wise(position, 0)), classes)
    residue_key = pc.binary_join_element_wise(genes, residue_array(changes), ":")
    change_key = pc.binary_join_element_wise(genes, changes, ":")
    at_residue = pc.fill_null(pc.is_in(residue_key, value_set=pa.array(sorted(residues), pa.string())), False)
    is_exact = pc.fill_null(pc.is_in(change_key, value_set=pa.array(sorted(exact), pa.string())), False)
    eligible = pc.is_in(classes, value_set=pa.array(["missense", "inframe"]))
    hot = pc.or_(pc.and_(eligible, at_residue), is_exact)
    return pc.if_else(hot, pa.scalar("activating_hotspot"), classes)


def refine_hotspot(gene: str, change: str | None, cls: str, genomics: GenomicsKnowledge) -> str:
    """Scalar twin of :func:`refine_hotspots`."""
    if change is None:
        return cls
    residues, exact = genomics.hotspot_residues, genomics.hotspot_changes
    if f"{gene}:{change}" in exact:
        return "activating_hotspot"
    if cls in ("missense", "inframe") and f"{gene}:{residue(change)}" in residues:
        return "activating_hotspot"
    return cls
