"""The genomics knowledge the sequencing readers use, in the shapes the vectorised
readers want: gene aliases and roles, gene spans per build, hotspot keys, the
variant-class vocabulary and the copy-number rules. Built once per knowledge base;
readers receive it and never hard-code a gene, a hotspot or a threshold.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from her2gc.errors import InputError
from her2gc.kb.schema import Gene
from her2gc.kb.schema_genomics import CopyNumberRules, Hotspot, VariantClasses
from her2gc.kb.vocabulary import Vocabulary

Build = Literal["GRCh37", "GRCh38"]
# Spelling conventions of genome builds (UCSC, GRC, Ensembl names), not clinical knowledge.
BUILD_ALIASES: dict[str, Build] = {
    "grch37": "GRCh37", "37": "GRCh37", "hg19": "GRCh37", "b37": "GRCh37", "grch37-lite": "GRCh37",
    "grch38": "GRCh38", "38": "GRCh38", "hg38": "GRCh38", "b38": "GRCh38",
}  # fmt: skip


def parse_build(value: str, where: str) -> Build:
    """``GRCh37`` or ``GRCh38`` from any common spelling; InputError naming ``where`` otherwise."""
    build = BUILD_ALIASES.get(str(value).strip().lower())
    if build is None:
        raise InputError(f"{where}: unknown genome build '{value}' (use GRCh37/hg19 or GRCh38/hg38)")
    return build


@dataclass(frozen=True)
class GeneSpan:
    symbol: str
    chrom: str
    start: int
    end: int


@dataclass(frozen=True)
class GenomicsKnowledge:
    """What the readers need from one knowledge base. Treat as read-only."""

    aliases: Mapping[str, str]  # upper-case symbol or alias -> HGNC symbol
    roles: Mapping[str, str]
    spans: Mapping[Build, tuple[GeneSpan, ...]]
    hotspot_residues: frozenset[str]  # GENE:RESIDUE, e.g. PIK3CA:H1047
    hotspot_changes: frozenset[str]  # GENE:p.CHANGE of exact hotspot changes
    variant_terms: Mapping[str, str]  # MAF / SO term, lower-case -> class
    skipped_terms: frozenset[str]
    copy_number: CopyNumberRules

    @property
    def symbols(self) -> frozenset[str]:
        return frozenset(self.aliases.values())

    def gene_spans(self, build: Build) -> tuple[GeneSpan, ...]:
        return self.spans.get(build, ())


def _spans(genes: Iterable[Gene], build: Build) -> tuple[GeneSpan, ...]:
    found = []
    for gene in genes:
        span = gene.grch37 if build == "GRCh37" else gene.grch38
        if span is not None:
            found.append(GeneSpan(gene.symbol, span.chrom, span.start, span.end))
    return tuple(found)


def build_genomics(
    genes: Mapping[str, Gene],
    hotspots: Iterable[Hotspot],
    classes: VariantClasses,
    copy_number: CopyNumberRules,
    vocabulary: Vocabulary,
) -> GenomicsKnowledge:
    hotspot_list = list(hotspots)
    terms: dict[str, str] = {}
    for cls, vocabulary_terms in classes.protein_altering.items():
        for term in [*vocabulary_terms.maf, *vocabulary_terms.so]:
            terms[term.lower()] = cls
    skipped = classes.not_protein_altering
    return GenomicsKnowledge(
        aliases=vocabulary.genes,
        roles={symbol: gene.role for symbol, gene in genes.items()},
        spans={build: _spans(genes.values(), build) for build in ("GRCh37", "GRCh38")},
        hotspot_residues=frozenset(f"{h.gene}:{r}" for h in hotspot_list for r in h.residues),
        hotspot_changes=frozenset(f"{h.gene}:{c}" for h in hotspot_list for c in h.changes),
        variant_terms=terms,
        skipped_terms=frozenset(t.lower() for t in [*skipped.maf, *skipped.so]),
        copy_number=copy_number,
    )
