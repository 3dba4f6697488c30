"""Spellings of drugs and genes: aliases to lower-case INN and HGNC symbols.

A :class:`Vocabulary` is built from one knowledge base (``drugs*.yaml``, ``genes.yaml``)
and handed to whatever normalises names (the case, the readers, the model), so a case is
normalised with exactly the names that knowledge base knows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass


def fold_drug_name(name: str) -> str:
    """The spelling drug lookups use (case, spacing and underscores folded)."""
    return " ".join(name.strip().lower().replace("_", " ").split())


def fold_gene_symbol(symbol: str) -> str:
    return symbol.strip().upper()


@dataclass(frozen=True)
class Vocabulary:
    """Folded spelling -> INN for drugs, upper-case symbol or alias -> HGNC for genes."""

    id: str  # the sha256 of the knowledge base it was built from
    drugs: Mapping[str, str]
    genes: Mapping[str, str]

    @classmethod
    def build(
        cls, kb_sha256: str, drugs: Iterable[tuple[str, Iterable[str]]], genes: Iterable[tuple[str, Iterable[str]]]
    ) -> Vocabulary:
        drug_table: dict[str, str] = {}
        for inn, aliases in drugs:
            for spelling in (inn, *aliases):
                drug_table[fold_drug_name(spelling)] = inn
        gene_table: dict[str, str] = {}
        for symbol, aliases in genes:
            for spelling in (symbol, *aliases):
                gene_table[fold_gene_symbol(spelling)] = symbol
        return cls(id=kb_sha256, drugs=drug_table, genes=gene_table)

    def drug(self, name: str) -> str:
        """Lower-case INN for a drug name or alias; ValueError if unknown."""
        inn = self.drugs.get(fold_drug_name(name))
        if inn is None:
            raise ValueError(
                f"unknown drug '{name}' (use a lower-case INN or a known alias; see `her2gc kb show drug`)"
            )
        return inn

    def gene(self, symbol: str) -> str:
        """HGNC symbol for a gene symbol or alias; ValueError if unknown."""
        hgnc = self.genes.get(fold_gene_symbol(symbol))
        if hgnc is None:
            raise ValueError(f"unknown gene '{symbol}' (not an HGNC symbol or alias the knowledge base knows)")
        return hgnc

    def is_known_gene(self, symbol: str) -> bool:
        return fold_gene_symbol(symbol) in self.genes
