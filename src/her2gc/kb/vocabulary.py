"""Spellings of drugs and genes: aliases to lower-case INN and HGNC symbols.

The alias tables are knowledge-base data (``drugs*.yaml``, ``genes.yaml``); this
module only reads them, once, so that parsing a case can normalise names without
loading the whole knowledge base.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

from her2gc.kb.yamlio import read_yaml

DATA_DIR = Path(str(resources.files("her2gc.kb") / "data"))


def _fold(name: str) -> str:
    return " ".join(name.strip().lower().replace("_", " ").split())


def _read_entries(pattern: str) -> list[dict[str, Any]]:
    entries: list[dict[str, Any]] = []
    for path in sorted(DATA_DIR.glob(pattern)):
        loaded = read_yaml(path) or []
        entries.extend(loaded)
    return entries


@functools.cache
def drug_aliases() -> dict[str, str]:
    """Folded spelling (INN or alias) -> INN."""
    table: dict[str, str] = {}
    for entry in _read_entries("drugs*.yaml"):
        inn = str(entry["id"])
        for spelling in [inn, *(entry.get("aliases") or [])]:
            table[_fold(str(spelling))] = inn
    return table


@functools.cache
def gene_aliases() -> dict[str, str]:
    """Upper-case symbol or alias -> HGNC symbol."""
    table: dict[str, str] = {}
    for entry in _read_entries("genes.yaml"):
        symbol = str(entry["symbol"])
        for spelling in [symbol, *(entry.get("aliases") or [])]:
            table[str(spelling).strip().upper()] = symbol
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
