"""The genomics knowledge the readers use, taken from the validated knowledge base.

``genes.yaml`` (symbols, aliases, roles, spans), ``hotspots.yaml``, ``variant_classes.yaml``
and ``copy_number.yaml``, in the shapes the vectorised readers want. Readers never
hard-code a gene, a hotspot or a threshold.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any, Literal

from her2gc.errors import InputError
from her2gc.kb.loader import load_kb
from her2gc.kb.vocabulary import gene_aliases

Build = Literal["GRCh37", "GRCh38"]
BUILD_ALIASES: dict[str, Build] = {
    "grch37": "GRCh37", "37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "grch37-lite": "GRCh37",
    "grch38": "GRCh38", "38": "GRCh38", "hg38": "GRCh38", "b38": "GRCh38",
}  # fmt: skip


@dataclass(frozen=True)
class GeneSpan:
    symbol: str
    chrom: str
    start: int
    end: int


@functools.cache
def genes() -> tuple[dict[str, Any], ...]:
    """The knowledge base's genes as plain mappings."""
    return tuple(gene.model_dump(mode="json") for gene in load_kb().genes.values())


def alias_table() -> dict[str, str]:
    """Upper-case symbol or alias -> HGNC symbol."""
    return gene_aliases()


@functools.cache
def roles() -> dict[str, str]:
    return {str(e["symbol"]): str(e["role"]) for e in genes()}


def parse_build(value: str, where: str) -> Build:
    """``GRCh37`` or ``GRCh38`` from any common spelling; InputError naming ``where`` otherwise."""
    build = BUILD_ALIASES.get(str(value).strip().lower())
    if build is None:
        raise InputError(f"{where}: unknown genome build '{value}' (use GRCh37/hg19 or GRCh38/hg38)")
    return build


@functools.cache
def gene_spans(build: Build) -> tuple[GeneSpan, ...]:
    key = build.lower()
    return tuple(GeneSpan(str(e["symbol"]), str(e[key]["chrom"]), int(e[key]["start"]), int(e[key]["end"])) for e in genes() if e.get(key))


@functools.cache
def hotspot_keys() -> tuple[frozenset[str], frozenset[str]]:
    """``GENE:RESIDUE`` keys (``PIK3CA:H1047``) and ``GENE:p.CHANGE`` keys of exact hotspot changes."""
    residues: set[str] = set()
    changes: set[str] = set()
    for entry in load_kb().hotspots:
        residues.update(f"{entry.gene}:{r}" for r in entry.residues)
        changes.update(f"{entry.gene}:{c}" for c in entry.changes)
    return frozenset(residues), frozenset(changes)


@functools.cache
def variant_classes() -> tuple[dict[str, str], frozenset[str]]:
    """Term (MAF Variant_Classification or SO consequence, lower-case) -> class; and the skipped terms."""
    vocabulary = load_kb().variant_classes
    table: dict[str, str] = {}
    for cls, terms in vocabulary.protein_altering.items():
        for term in [*terms.maf, *terms.so]:
            table[term.lower()] = cls
    skipped = vocabulary.not_protein_altering
    return table, frozenset(t.lower() for t in [*skipped.maf, *skipped.so])


@functools.cache
def copy_number_defaults() -> dict[str, Any]:
    """``copy_number.yaml`` as a mapping (keys as in the file: ``del`` for deletions)."""
    return load_kb().copy_number.model_dump(mode="json", by_alias=True)
