"""Cross-reference checks: every id an entry names must exist.

The walk is generic over the entry models, by field name: ``sources`` and
``*_sources`` name sources, ``drug``/``drugs``/``*_drugs*``/``drugs_all``/``chemotherapy_any`` name drugs (INN),
``regimen_id`` names a regimen, ``trials`` a trial, ``gene``/``genes`` a gene.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from her2gc.kb.schema import Approval, ClinicalNote, Contraindication, Recommendation

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase


def _strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, (list, tuple, set, frozenset)):
        for item in value:
            yield from _strings(item)


def _target_kind(field_name: str) -> str | None:
    if field_name == "sources" or field_name.endswith("_sources"):
        return "source"
    if (
        field_name in ("drug", "drugs", "chemotherapy_options", "drugs_all", "chemotherapy_any")
        or "_drugs" in field_name
        or field_name == "retest_drugs"
    ):
        return "drug"
    if field_name == "regimen_id":
        return "regimen"
    if field_name == "trials":
        return "trial"
    if field_name in ("gene", "genes"):
        return "gene"
    return None


def _references(entry: BaseModel, where: str) -> Iterator[tuple[str, str, str]]:
    """(kind, id, where) for every id the entry names, nested models included."""
    for name in type(entry).model_fields:
        value = getattr(entry, name)
        kind = _target_kind(name)
        if kind is not None and not isinstance(value, BaseModel):
            for ref in _strings(value):
                yield kind, ref, f"{where}.{name}"
        yield from _nested(value, f"{where}.{name}")


def _nested(value: Any, where: str) -> Iterator[tuple[str, str, str]]:
    if isinstance(value, BaseModel):
        yield from _references(value, where)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            yield from _nested(item, f"{where}[{index}]")
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _nested(item, f"{where}.{key}")


def _all_entries(kb: KnowledgeBase) -> Iterator[tuple[str, BaseModel]]:
    tables: tuple[tuple[str, Mapping[str, BaseModel]], ...] = (
        ("drug", kb.drugs), ("regimen", kb.regimens), ("trial", kb.trials), ("gene", kb.genes),
    )  # fmt: skip
    for kind, table in tables:
        for entry_id, entry in table.items():
            yield f"{kind} {entry_id}", entry
    lists: tuple[tuple[str, Sequence[Approval | Recommendation | Contraindication | ClinicalNote]], ...] = (
        ("approval", kb.approvals),
        ("recommendation", kb.recommendations),
        ("contraindication", kb.contraindications),
        ("clinical_note", kb.clinical_notes),
    )
    for kind, items in lists:
        for item in items:
            yield f"{kind} {item.id}", item
    yield "her2_rules", kb.her2_rules
    yield "safety", kb.safety
    yield "ranking", kb.ranking
    for index, hotspot in enumerate(kb.hotspots):
        yield f"hotspots[{index}]", hotspot
    yield "variant_classes", kb.variant_classes
    yield "copy_number", kb.copy_number
    for name in ("mechanisms", "ncrna", "ctdna_patterns", "evidence_levels"):
        for index, entry in enumerate(_as_list(getattr(kb.resistance, name))):
            yield f"{name}[{index}]", entry
    yield "fhir_codes", kb.fhir_codes
    annotations = kb.model
    if annotations is not None:
        yield "model", annotations


def _as_list(value: Any) -> list[BaseModel]:
    if isinstance(value, BaseModel):
        return [value]
    return [item for item in value if isinstance(item, BaseModel)] if isinstance(value, (list, tuple)) else []


def _trial_arm_problems(kb: KnowledgeBase) -> Iterator[str]:
    for trial in kb.trials.values():
        arms = {arm.id for arm in trial.arms}
        for index, result in enumerate(trial.results):
            for arm in (result.arm, result.comparator):
                if arm is not None and arm not in arms:
                    yield f"trial {trial.id}.results[{index}]: arm '{arm}' is not an arm of the trial"


def dangling_references(kb: KnowledgeBase) -> list[str]:
    """Every reference to an id that does not exist, as readable lines."""
    known = {
        "source": kb.sources,
        "drug": kb.drugs,
        "regimen": kb.regimens,
        "trial": kb.trials,
        "gene": kb.genes,
    }
    problems = [
        f"{where}: unknown {kind} '{ref}'"
        for label, entry in _all_entries(kb)
        for kind, ref, where in _references(entry, label)
        if ref not in known[kind]
    ]
    problems.extend(_trial_arm_problems(kb))
    return problems


# The CSCO tiers each trial population covers (HER2-negative: IHC 0, 1+, 2+/ISH-negative).
_POPULATION_TIERS = {
    "positive": {"high"},
    "negative": {"medium", "low", "none"},
    "medium": {"medium"},
    "low": {"low"},
    "none": {"none"},
    "expressing": {"high", "medium", "low"},
}


def eligibility_problems(kb: KnowledgeBase) -> list[str]:
    """Recommendations whose eligibility is wider than their evidence or their approvals.

    Every cited trial must have studied one of the recommendation's lines and a HER2
    population that covers its tiers; an approval in force in a region where the option is
    offered must cover the option's HER2 tiers, unless the option is investigational (then
    the approval is not what it rests on).
    """
    problems: list[str] = []
    for rec in kb.recommendations:
        for trial_id in rec.trials:
            trial = kb.trials.get(trial_id)
            if trial is None:
                continue
            covered = set().union(*(_POPULATION_TIERS[p] for p in trial.her2_population))
            wider = sorted(set(rec.her2_tiers) - covered)
            if wider:
                problems.append(
                    f"recommendation {rec.id}: tiers {', '.join(wider)} beyond trial {trial_id} ({', '.join(trial.her2_population)})"
                )
            if not set(rec.lines) & set(trial.lines) and rec.lines_beyond_trials is None:
                problems.append(
                    f"recommendation {rec.id}: lines {rec.lines} not studied by trial {trial_id} (lines {trial.lines})"
                )
        if rec.category == "investigational":
            continue
        for approval in kb.approvals:
            if (
                approval.regimen_id != rec.regimen_id
                or approval.superseded_by is not None
                or approval.conditions.her2 is None
            ):
                continue
            if rec.regions is not None and approval.region not in rec.regions:
                continue
            statuses = {"positive" if tier == "high" else tier for tier in rec.her2_tiers}
            beyond = sorted(statuses - set(approval.conditions.her2))
            if beyond and rec.confirmed:
                problems.append(
                    f"recommendation {rec.id}: HER2 {', '.join(beyond)} beyond approval {approval.id} "
                    f"({', '.join(approval.conditions.her2)}); mark it confirmed: false or narrow it"
                )
    return problems
