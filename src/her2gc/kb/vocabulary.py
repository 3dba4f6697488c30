"""Spellings of drugs and genes: aliases to lower-case INN and HGNC symbols.

The alias tables come from the knowledge base (``drugs*.yaml``, ``genes.yaml``), so a
case is normalised with exactly the names the rest of the product knows.
"""

from __future__ import annotations

import functools


def _fold(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


@functools.cache
def drug_aliases() -> dict[str, str]:
    """Folded spelling (INN or alias) -> INN."""
    from her2gc.kb.loader import load_kb

    table: dict[str, str] = {}
    for inn, drug in load_kb().drugs.items():
        for spelling in (inn, *drug.aliases):
            table[_fold(spelling)] = inn
    return table


@functools.cache
def gene_aliases() -> dict[str, str]:
    """Upper-case symbol or alias -> HGNC symbol."""
    from her2gc.kb.loader import load_kb

    table: dict[str, str] = {}
    for symbol, gene in load_kb().genes.items():
        for spelling in (symbol, *gene.aliases):
            table[spelling.strip().upper()] = symbol
    return table


def normalise_drug(name: str) -> str:
    """Lower-case INN for a drug name or alias; ValueError if unknown."""
    inn = drug_aliases().get(_fold(name))
    if inn is None:
        raise ValueError(f"unknown drug '{name}' (use a lower-case INN or a known alias; see `her2gc kb show drug`)")
    return inn


def normalise_gene(symbol: str) -> str:
    """HGNC symbol for a gene symbol or alias; ValueError if unknown."""
    hgnc = gene_aliases().get(symbol.strip().upper())
    if hgnc is None:
        raise ValueError(f"unknown gene '{symbol}' (not an HGNC symbol or alias the knowledge base knows)")
    return hgnc


def is_known_gene(symbol: str) -> bool:
    return symbol.strip().upper() in gene_aliases()


def fold_drug_name(name: str) -> str:
    """The spelling drug lookups use (case, spacing and underscores folded)."""
    return _fold(name)
