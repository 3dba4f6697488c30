"""The validated knowledge base as one read-only object, indexed by id.

Built by :mod:`her2gc.kb.loader`; everything below the edges receives it (or the
slice a component needs) as an argument and never loads it itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from her2gc.kb import schema as s
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.kb.schema_fhir import FhirCodes
from her2gc.kb.schema_genomics import CopyNumberRules, Hotspot, VariantClasses
from her2gc.kb.schema_model import ModelAnnotations
from her2gc.kb.schema_resistance import ResistanceKnowledge
from her2gc.kb.schema_rules import Her2Rules, Ranking, SafetyRules
from her2gc.kb.vocabulary import Vocabulary


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated knowledge base, indexed by id. Treat as read-only."""

    version: str
    sha256: str
    sources: Mapping[str, s.Source]
    drugs: Mapping[str, s.Drug]
    regimens: Mapping[str, s.Regimen]
    trials: Mapping[str, s.Trial]
    approvals: tuple[s.Approval, ...]
    recommendations: tuple[s.Recommendation, ...]
    contraindications: tuple[s.Contraindication, ...]
    clinical_notes: tuple[s.ClinicalNote, ...]
    genes: Mapping[str, s.Gene]
    her2_rules: Her2Rules
    safety: SafetyRules
    ranking: Ranking
    resistance: ResistanceKnowledge
    hotspots: tuple[Hotspot, ...]
    variant_classes: VariantClasses
    copy_number: CopyNumberRules
    model: ModelAnnotations | None
    model_bnet: str | None
    vocabulary: Vocabulary
    genomics: GenomicsKnowledge
    fhir_codes: FhirCodes
    data_dir: Path
    counts: Mapping[str, int] = field(default_factory=dict)
    drug_classes: Mapping[str, str] = field(default_factory=dict)

    def entry(self, kind: str, entry_id: str) -> BaseModel:
        """One entry by kind and id (ids and drug aliases matched case-insensitively)."""
        tables = kind_tables(self)
        table = tables.get(kind)
        if table is None:
            raise KeyError(f"unknown kind '{kind}' (one of {', '.join(sorted(tables))})")
        entry: BaseModel | None = table.get(entry_id)
        if entry is None:
            entry = _folded_lookup(self, kind, table, entry_id)
        if entry is None:
            raise KeyError(f"no {kind} with id '{entry_id}'")
        return entry


def _folded_lookup(kb: KnowledgeBase, kind: str, table: Mapping[str, Any], entry_id: str) -> Any:
    """``kb show`` is typed by people: ids, drug aliases and gene aliases in any case."""
    if kind == "drug":
        inn = kb.vocabulary.drugs.get(" ".join(entry_id.strip().lower().replace("_", " ").split()))
        if inn is not None:
            return table.get(inn)
    if kind == "gene":
        symbol = kb.vocabulary.genes.get(entry_id.strip().upper())
        if symbol is not None:
            return table.get(symbol)
    folded = entry_id.strip().lower()
    matches = [value for key, value in table.items() if key.lower() == folded]
    return matches[0] if len(matches) == 1 else None


def kind_tables(kb: KnowledgeBase) -> dict[str, Mapping[str, Any]]:
    """Every kind of entry ``kb show`` can show, by id."""
    return {
        "source": kb.sources,
        "drug": kb.drugs,
        "regimen": kb.regimens,
        "trial": kb.trials,
        "approval": {a.id: a for a in kb.approvals},
        "recommendation": {r.id: r for r in kb.recommendations},
        "contraindication": {c.id: c for c in kb.contraindications},
        "gene": kb.genes,
        "mechanism": {m.id: m for m in kb.resistance.mechanisms},
        "ncrna": {n.id: n for n in kb.resistance.ncrna},
    }
