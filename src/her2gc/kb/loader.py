"""Load, validate, index and fingerprint the knowledge base.

Files are read once; every entry is validated by its schema and every
cross-reference (source, drug, regimen, trial ids) is checked, so a loaded
:class:`KnowledgeBase` is known to be whole.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import BaseModel, ValidationError

from her2gc.errors import KnowledgeBaseError
from her2gc.kb import schema as s
from her2gc.kb.schema_genomics import CopyNumberRules, Hotspot, VariantClasses
from her2gc.kb.schema_resistance import ResistanceKnowledge, assemble_resistance_knowledge, hotspots_from_entries
from her2gc.kb.schema_rules import Her2Rules, SafetyRules
from her2gc.kb.yamlio import DATA_DIR, YamlSyntaxError, read_yaml

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
    except YamlSyntaxError as exc:
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


def _parts_from_yaml(data_dir: Path) -> dict[str, Any]:
    """Every file's entries, validated by their schemas (not yet cross-checked or indexed)."""
    from her2gc.kb.schema_resistance import load_ctdna_patterns, load_evidence_levels, load_mechanisms, load_ncrna

    return {
        "her2_rules": _validate(Her2Rules, _read_yaml(data_dir / "her2_rules.yaml"), "her2_rules.yaml"),
        "safety": _validate(SafetyRules, _read_yaml(data_dir / "safety.yaml"), "safety.yaml"),
        "sources": _entries(data_dir, "sources", s.Source),
        "drugs": _entries(data_dir, "drugs", s.Drug),
        "regimens": _entries(data_dir, "regimens", s.Regimen),
        "trials": _entries(data_dir, "trials", s.Trial),
        "approvals": _entries(data_dir, "approvals", s.Approval),
        "recommendations": _entries(data_dir, "recommendations", s.Recommendation),
        "contraindications": _entries(data_dir, "contraindications", s.Contraindication),
        "clinical_notes": _entries(data_dir, "clinical_notes", s.ClinicalNote),
        "genes": _entries(data_dir, "genes", s.Gene),
        "mechanisms": load_mechanisms(data_dir / "mechanisms.yaml"),
        "ncrna": load_ncrna(data_dir / "ncrna.yaml"),
        "ctdna_patterns": load_ctdna_patterns(data_dir / "ctdna_patterns.yaml"),
        "evidence_levels": load_evidence_levels(data_dir / "evidence_levels.yaml"),
        "hotspots": _entries(data_dir, "hotspots", Hotspot),
        "variant_classes": _validate(VariantClasses, _read_yaml(data_dir / "variant_classes.yaml"), "variant_classes.yaml"),
        "copy_number": _validate(CopyNumberRules, _read_yaml(data_dir / "copy_number.yaml"), "copy_number.yaml"),
    }


def _assemble(parts: dict[str, Any], data_dir: Path, sha256: str) -> KnowledgeBase:
    """The indexed knowledge base from validated entries."""
    resistance = assemble_resistance_knowledge(
        parts["mechanisms"], parts["ncrna"], parts["ctdna_patterns"], parts["evidence_levels"], hotspots_from_entries(parts["hotspots"])
    )
    drugs = _index(parts["drugs"], "id", "drug")
    kb = KnowledgeBase(
        version=parts["her2_rules"].version,
        sha256=sha256,
        sources=_index(parts["sources"], "id", "source"),
        drugs=drugs,
        regimens=_index(parts["regimens"], "id", "regimen"),
        trials=_index(parts["trials"], "id", "trial"),
        approvals=tuple(parts["approvals"]),
        recommendations=tuple(parts["recommendations"]),
        contraindications=tuple(parts["contraindications"]),
        clinical_notes=tuple(parts["clinical_notes"]),
        genes=_index(parts["genes"], "symbol", "gene"),
        her2_rules=parts["her2_rules"],
        safety=parts["safety"],
        resistance=resistance,
        hotspots=tuple(parts["hotspots"]),
        variant_classes=parts["variant_classes"],
        copy_number=parts["copy_number"],
        data_dir=data_dir,
        drug_classes={drug_id: drug.drug_class for drug_id, drug in drugs.items()},
    )
    return replace(kb, counts={kind: len(table) for kind, table in _kind_tables(kb).items()})


def _load_checked(data_dir: Path) -> tuple[KnowledgeBase, dict[str, Any]]:
    from her2gc.kb.checks import dangling_references

    parts = _parts_from_yaml(data_dir)
    kb = _assemble(parts, data_dir, fingerprint(data_dir))
    problems = dangling_references(kb)
    if problems:
        raise KnowledgeBaseError(f"{len(problems)} dangling reference(s); first: {problems[0]}")
    return kb, parts


def load_kb_from(data_dir: Path) -> KnowledgeBase:
    """Load and validate the knowledge base in ``data_dir`` (schemas and cross-references);
    KnowledgeBaseError if invalid."""
    return _load_checked(data_dir)[0]


@functools.cache
def load_kb() -> KnowledgeBase:
    """The packaged knowledge base, validated (loaded once per process).

    The first load validates the files and writes a snapshot of the validated entries
    (``her2gc.kb.snapshot``); later processes with the same files start from it.
    """
    from her2gc import gc_paused
    from her2gc.kb import snapshot

    sha256 = fingerprint(DATA_DIR)
    with gc_paused():
        parts = snapshot.read(sha256)
        if parts is not None:
            return _assemble(parts, DATA_DIR, sha256)
    kb, parts = _load_checked(DATA_DIR)
    snapshot.write(sha256, parts)
    return kb
