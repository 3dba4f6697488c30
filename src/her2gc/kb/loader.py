"""Load, validate, index and fingerprint the knowledge base.

Files are read once; every entry is validated by its schema and every
cross-reference (source, drug, regimen, trial ids) is checked, so a loaded
:class:`KnowledgeBase` is known to be whole.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import yaml
from pydantic import BaseModel, ValidationError

from her2gc.errors import KnowledgeBaseError
from her2gc.kb import schema as s
from her2gc.kb.schema_genomics import CopyNumberRules, Hotspot, VariantClasses
from her2gc.kb.schema_resistance import ResistanceKnowledge, build_resistance_knowledge
from her2gc.kb.schema_rules import Her2Rules, SafetyRules
from her2gc.kb.vocabulary import DATA_DIR
from her2gc.kb.yamlio import read_yaml

if TYPE_CHECKING:
    from her2gc.kb.schema_model import ModelAnnotations

M = TypeVar("M", bound=BaseModel)


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
    resistance: ResistanceKnowledge
    hotspots: tuple[Hotspot, ...]
    variant_classes: VariantClasses
    copy_number: CopyNumberRules
    data_dir: Path
    counts: Mapping[str, int] = field(default_factory=dict)
    drug_classes: Mapping[str, str] = field(default_factory=dict)

    @property
    def model(self) -> ModelAnnotations | None:
        """The logical model's annotations (``model.yaml``), read on first use: only the
        mechanistic model and ``kb check`` need them, not every evaluation."""
        return _model_annotations(self.data_dir)

    def entry(self, kind: str, entry_id: str) -> BaseModel:
        """One entry by kind and id, for ``her2gc kb show``."""
        table = _kind_tables(self).get(kind)
        if table is None:
            raise KeyError(f"unknown kind '{kind}' (one of {', '.join(sorted(_kind_tables(self)))})")
        if entry_id not in table:
            raise KeyError(f"no {kind} with id '{entry_id}'")
        entry: BaseModel = table[entry_id]
        return entry


def _kind_tables(kb: KnowledgeBase) -> dict[str, Mapping[str, Any]]:
    tables: dict[str, Mapping[str, Any]] = {
        "source": kb.sources,
        "drug": kb.drugs,
        "regimen": kb.regimens,
        "trial": kb.trials,
        "approval": {a.id: a for a in kb.approvals},
        "recommendation": {r.id: r for r in kb.recommendations},
        "contraindication": {c.id: c for c in kb.contraindications},
        "gene": kb.genes,
    }
    tables["mechanism"] = {m.id: m for m in kb.resistance.mechanisms}
    tables["ncrna"] = {n.id: n for n in kb.resistance.ncrna}
    return tables


def _read_yaml(path: Path) -> Any:
    try:
        return read_yaml(path)
    except yaml.YAMLError as exc:
        raise KnowledgeBaseError(f"{path.name}: malformed YAML ({exc})") from None


def _validate(model: type[M], data: Any, where: str) -> M:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{where}: {loc}: {first['msg']}") from None


def _entries(data_dir: Path, stem: str, model: type[M]) -> list[M]:
    """Entries of ``stem.yaml`` and ``stem_*.yaml`` (several curators, one kind)."""
    paths = sorted([*data_dir.glob(f"{stem}.yaml"), *data_dir.glob(f"{stem}_*.yaml")])
    items: list[M] = []
    for path in paths:
        for index, raw in enumerate(_read_yaml(path) or []):
            items.append(_validate(model, raw, f"{path.name}[{index}]"))
    return items


def _index(items: Iterable[Any], key: str, kind: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for item in items:
        item_id = getattr(item, key)
        if item_id in table:
            raise KnowledgeBaseError(f"duplicate {kind} id '{item_id}'")
        table[item_id] = item
    return table


def fingerprint(data_dir: Path) -> str:
    """sha256 over every data file's name and bytes, in name order."""
    digest = hashlib.sha256()
    for path in sorted(data_dir.glob("*.yaml")):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _model_annotations(data_dir: Path) -> ModelAnnotations | None:
    from her2gc.kb.schema_model import load_model_annotations

    path = data_dir / "model.yaml"
    return load_model_annotations(path) if path.exists() else None


def load_kb_from(data_dir: Path) -> KnowledgeBase:
    """Load and validate the knowledge base in ``data_dir``; KnowledgeBaseError if invalid."""
    her2_rules = _validate(Her2Rules, _read_yaml(data_dir / "her2_rules.yaml"), "her2_rules.yaml")
    safety = _validate(SafetyRules, _read_yaml(data_dir / "safety.yaml"), "safety.yaml")
    kb = KnowledgeBase(
        version=her2_rules.version,
        sha256=fingerprint(data_dir),
        sources=_index(_entries(data_dir, "sources", s.Source), "id", "source"),
        drugs=_index(_entries(data_dir, "drugs", s.Drug), "id", "drug"),
        regimens=_index(_entries(data_dir, "regimens", s.Regimen), "id", "regimen"),
        trials=_index(_entries(data_dir, "trials", s.Trial), "id", "trial"),
        approvals=tuple(_entries(data_dir, "approvals", s.Approval)),
        recommendations=tuple(_entries(data_dir, "recommendations", s.Recommendation)),
        contraindications=tuple(_entries(data_dir, "contraindications", s.Contraindication)),
        clinical_notes=tuple(_entries(data_dir, "clinical_notes", s.ClinicalNote)),
        genes=_index(_entries(data_dir, "genes", s.Gene), "symbol", "gene"),
        her2_rules=her2_rules,
        safety=safety,
        resistance=build_resistance_knowledge(data_dir),
        hotspots=tuple(_entries(data_dir, "hotspots", Hotspot)),
        variant_classes=_validate(VariantClasses, _read_yaml(data_dir / "variant_classes.yaml"), "variant_classes.yaml"),
        copy_number=_validate(CopyNumberRules, _read_yaml(data_dir / "copy_number.yaml"), "copy_number.yaml"),
        data_dir=data_dir,
    )
    counts = {kind: len(table) for kind, table in _kind_tables(kb).items()}
    drug_classes = {drug_id: drug.drug_class for drug_id, drug in kb.drugs.items()}
    kb = KnowledgeBase(**{**kb.__dict__, "counts": counts, "drug_classes": drug_classes})
    from her2gc.kb.checks import dangling_references

    problems = dangling_references(kb)
    if problems:
        raise KnowledgeBaseError(f"{len(problems)} dangling reference(s); first: {problems[0]}")
    return kb


@functools.cache
def load_kb() -> KnowledgeBase:
    """The packaged knowledge base, validated (loaded once per process)."""
    return load_kb_from(DATA_DIR)
