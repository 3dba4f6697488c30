"""Load, validate, index and fingerprint the knowledge base.

Files are read once; every entry is validated by its schema and every
cross-reference (source, drug, regimen, trial ids) is checked, so a loaded
:class:`KnowledgeBase` is known to be whole.
"""

from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel

from her2gc._gc import gc_paused
from her2gc.errors import KnowledgeBaseError
from her2gc.kb import schema as s
from her2gc.kb import snapshot
from her2gc.kb.base import KnowledgeBase, kind_tables
from her2gc.kb.checks import dangling_references
from her2gc.kb.genomics import build_genomics
from her2gc.kb.schema_fhir import FhirCodes
from her2gc.kb.schema_genomics import CopyNumberRules, Hotspot, VariantClasses
from her2gc.kb.schema_model import load_model_annotations
from her2gc.kb.schema_resistance import assemble_resistance_knowledge, hotspots_from_entries
from her2gc.kb.schema_rules import Her2Rules, Ranking, SafetyRules
from her2gc.kb.validate import read_file, validate
from her2gc.kb.vocabulary import Vocabulary
from her2gc.kb.yamlio import DATA_DIR

M = TypeVar("M", bound=BaseModel)


def _entries(data_dir: Path, stem: str, model: type[M]) -> list[M]:
    """Entries of ``stem.yaml`` and ``stem_*.yaml`` (several curators, one kind)."""
    paths = sorted([*data_dir.glob(f"{stem}.yaml"), *data_dir.glob(f"{stem}_*.yaml")])
    items: list[M] = []
    for path in paths:
        for index, raw in enumerate(read_file(path) or []):
            items.append(validate(model, raw, f"{path.name}[{index}]"))
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
    """sha256 over every data file's name and bytes (the YAML files and the logical model), in name order."""
    digest = hashlib.sha256()
    for path in sorted([*data_dir.glob("*.yaml"), *data_dir.glob("*.bnet")]):
        digest.update(path.name.encode())
        digest.update(b"\0")
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _parts_from_yaml(data_dir: Path) -> dict[str, Any]:
    """Every file's entries, validated by their schemas (not yet cross-checked or indexed)."""
    from her2gc.kb.schema_resistance import load_ctdna_patterns, load_evidence_levels, load_mechanisms, load_ncrna

    model_path = data_dir / "model.yaml"
    model = load_model_annotations(model_path) if model_path.exists() else None
    return {
        "model": model,
        "model_bnet": _model_text(data_dir, model.bnet) if model is not None else None,
        "her2_rules": validate(Her2Rules, read_file(data_dir / "her2_rules.yaml"), "her2_rules.yaml"),
        "safety": validate(SafetyRules, read_file(data_dir / "safety.yaml"), "safety.yaml"),
        "ranking": validate(Ranking, read_file(data_dir / "ranking.yaml"), "ranking.yaml"),
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
        "variant_classes": validate(
            VariantClasses, read_file(data_dir / "variant_classes.yaml"), "variant_classes.yaml"
        ),
        "copy_number": validate(CopyNumberRules, read_file(data_dir / "copy_number.yaml"), "copy_number.yaml"),
        "fhir_codes": validate(FhirCodes, read_file(data_dir / "fhir_codes.yaml"), "fhir_codes.yaml"),
    }


def _assemble(parts: dict[str, Any], data_dir: Path, sha256: str) -> KnowledgeBase:
    """The indexed knowledge base from validated entries."""
    resistance = assemble_resistance_knowledge(
        parts["mechanisms"],
        parts["ncrna"],
        parts["ctdna_patterns"],
        parts["evidence_levels"],
        hotspots_from_entries(parts["hotspots"]),
    )
    drugs = _index(parts["drugs"], "id", "drug")
    genes = _index(parts["genes"], "symbol", "gene")
    vocabulary = Vocabulary.build(
        sha256, ((d.id, d.aliases) for d in parts["drugs"]), ((g.symbol, g.aliases) for g in parts["genes"])
    )
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
        genes=genes,
        her2_rules=parts["her2_rules"],
        safety=parts["safety"],
        ranking=parts["ranking"],
        resistance=resistance,
        hotspots=tuple(parts["hotspots"]),
        variant_classes=parts["variant_classes"],
        copy_number=parts["copy_number"],
        model=parts["model"],
        model_bnet=parts["model_bnet"],
        vocabulary=vocabulary,
        fhir_codes=parts["fhir_codes"],
        genomics=build_genomics(genes, parts["hotspots"], parts["variant_classes"], parts["copy_number"], vocabulary),
        data_dir=data_dir,
        drug_classes={drug_id: drug.drug_class for drug_id, drug in drugs.items()},
    )
    return replace(kb, counts={kind: len(table) for kind, table in kind_tables(kb).items()})


def _load_checked(data_dir: Path) -> tuple[KnowledgeBase, dict[str, Any]]:
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


def load_kb() -> KnowledgeBase:
    """The packaged knowledge base, validated.

    Call it once, at the edge (command line, service worker, cohort run) and pass the
    result in. The first load validates the files and writes a snapshot of the
    validated entries (``her2gc.kb.snapshot``); later processes with the same files
    start from it.
    """
    sha256 = fingerprint(DATA_DIR)
    with gc_paused():
        parts, refused = snapshot.read(sha256)
        if parts is not None:
            try:
                return _assemble(parts, DATA_DIR, sha256)
            except (KeyError, TypeError, AttributeError, ValueError, KnowledgeBaseError):
                refused = "the knowledge-base snapshot has the wrong shape"
    if refused is not None:
        # Said once: the rebuilt snapshot replaces the refused one.
        sys.stderr.write(f"her2gc: {refused}; rebuilt from the validated knowledge-base files\n")
    kb, parts = _load_checked(DATA_DIR)
    snapshot.write(sha256, parts)
    return kb


def _model_text(data_dir: Path, name: str) -> str:
    try:
        return (data_dir / name).read_text(encoding="utf-8")
    except OSError as exc:
        raise KnowledgeBaseError(f"model.yaml: bnet: cannot read {name} ({exc.strerror or exc})") from None
