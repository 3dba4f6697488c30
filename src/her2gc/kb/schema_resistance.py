"""Schemas of the resistance knowledge: ``mechanisms.yaml``, ``ncrna.yaml``,
``ctdna_patterns.yaml`` and ``evidence_levels.yaml``, their loaders, and
:func:`build_resistance_knowledge`, which validates the cross-references between
them and builds the alteration index that ``resistance.py`` looks up in O(1).

The facts come from seeds 000-003 (why anti-HER2 therapy fails); every entry names
its sources and, where a value is the project's own default rather than a source's,
says so with ``confirmed: false``.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
import typing
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from her2gc.errors import KnowledgeBaseError
from her2gc.kb.resistance_index import AlterationIndex, Hotspots, build_alteration_index, fold_ncrna_name
from her2gc.kb.schema import Escat, EvidenceSetting
from her2gc.kb.schema_genomics import Hotspot
from her2gc.kb.validate import read_file, validate, validate_list
from her2gc.terms import AlterationKind, MechanismClass, NcrnaClass

StrategyStatus = Literal["approved", "in_trials", "preclinical"]
CtdnaPatternId = Literal[
    "rising", "falling", "molecular_response", "stable", "emergent_alterations", "insufficient_data"
]
Direction = Literal["up", "down"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class GeneIndicator(_Entry):
    """A genomic or expression finding that indicates a mechanism.

    For ``mut`` the protein change must match ``protein_changes`` (exact), start at
    one of ``residues`` (missense or in-frame), be a hotspot of ``hotspots.yaml``
    (``hotspot_class: activating_hotspot``), or be any change (``any_protein_change``,
    for tumour suppressors, where the contract defines ``mut`` as inactivating).
    """

    gene: str
    kinds: list[AlterationKind] = Field(min_length=1)
    protein_changes: list[str] = Field(default_factory=list)
    residues: list[str] = Field(default_factory=list, description="reference residue, e.g. 'L755'")
    hotspot_class: Literal["activating_hotspot"] | None = None
    any_protein_change: bool = False
    min_copy_number: float | None = Field(default=None, ge=0)
    source: Literal["tissue", "plasma", "any"] = "any"
    confirmed: bool = True
    note: str | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _mutations_are_specified(self) -> Self:
        has_filter = (
            bool(self.protein_changes or self.residues) or self.hotspot_class is not None or self.any_protein_change
        )
        if "mut" in self.kinds and not has_filter:
            needs = "protein_changes, residues, hotspot_class or any_protein_change"
            raise ValueError(f"{self.gene}: a 'mut' indicator needs {needs}")
        if "mut" not in self.kinds and has_filter:
            raise ValueError(f"{self.gene}: protein filters apply to kind 'mut' only")
        return self


class Her2EventIndicator(_Entry):
    """A HER2 event decided by the HER2 step and passed in by the engine."""

    her2_event: Literal["loss_after_therapy", "heterogeneous"]


class NcrnaIndicator(_Entry):
    """An ncRNA expression finding (always a preclinical hypothesis)."""

    ncrna: str = Field(description="id in ncrna.yaml")
    direction: Direction


class CtdnaIndicator(_Entry):
    """A plasma ERBB2 copy-number pattern (ctdna_patterns.yaml)."""

    ctdna_pattern: Literal["rising", "falling", "stable", "emergent_alterations"]


Indicator = GeneIndicator | Her2EventIndicator | NcrnaIndicator | CtdnaIndicator


class Affect(_Entry):
    """Drugs (INN) or drug classes whose benefit a mechanism reduces, and how."""

    drugs: list[str] = Field(default_factory=list)
    drug_classes: list[str] = Field(default_factory=list, description="class labels as the engine passes them")
    how: str
    confirmed: bool = True

    @model_validator(mode="after")
    def _names_something(self) -> Self:
        if not self.drugs and not self.drug_classes:
            raise ValueError("an affect names drugs or drug_classes")
        return self


class Strategy(_Entry):
    """A way around a mechanism that a seed names, with its development status."""

    id: str
    description: str
    drug_class: str
    drugs: list[str] = Field(default_factory=list)
    drugs_named_by_seed: bool = Field(description="false: the seed names the class; the drugs are examples of it")
    status: StrategyStatus
    escat: Escat
    escat_basis: str
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)


class Mechanism(_Entry):
    """One resistance mechanism (``mechanisms.yaml``)."""

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, defer_build=True
    )

    id: str
    name: str
    class_: MechanismClass = Field(alias="class")
    indicators: list[Indicator] = Field(default_factory=list)
    unmatchable_reason: str | None = Field(default=None, description="why a mechanism without indicators is kept")
    affects: list[Affect] = Field(min_length=1)
    resistance_level: str
    level_basis: str
    evidence_setting: EvidenceSetting
    setting_note: str | None = None
    strategies: list[Strategy] = Field(default_factory=list)
    actions: list[str] = Field(default_factory=list, description="action ids of ctdna_patterns.yaml")
    sources: list[str] = Field(min_length=1)
    seed_quote: str
    confirmed: bool = True

    @model_validator(mode="after")
    def _indicated_or_explained(self) -> Self:
        if not self.indicators and not self.unmatchable_reason:
            raise ValueError(f"mechanism {self.id}: give indicators, or unmatchable_reason")
        return self


class NcrnaEntry(_Entry):
    """One non-coding RNA and what it does to trastuzumab sensitivity (``ncrna.yaml``)."""

    id: str
    name: str
    aliases: list[str] = Field(default_factory=list)
    type: Literal["miRNA", "lncRNA", "circRNA"]
    targets: list[str] = Field(
        default_factory=list, description="genes, miRNAs or proteins it acts on; empty if not stated"
    )
    pathway: str
    mechanism_class: NcrnaClass
    effect: str = Field(description="what the seed says it does")
    resistance_direction: Direction | None = Field(
        description="expression change that causes resistance; null if not stated"
    )
    direction_basis: Literal["stated", "inferred_from_sensitising_effect", "not_stated"]
    tumour_shown: Literal["breast", "gastric", "not_stated"]
    tumour_note: str
    evidence_setting: Literal["preclinical"] = "preclinical"
    affects: list[Affect] = Field(min_length=1)
    strategies: list[Strategy] = Field(default_factory=list)
    sources: list[str] = Field(min_length=1)
    seed_quote: str

    @model_validator(mode="after")
    def _direction_matches_basis(self) -> Self:
        if (self.resistance_direction is None) != (self.direction_basis == "not_stated"):
            raise ValueError(
                f"ncrna {self.id}: resistance_direction is null exactly when direction_basis is not_stated"
            )
        return self


class ResistanceAction(_Entry):
    id: str
    text: str
    sources: list[str] = Field(min_length=1)
    confirmed: bool = True


class CtdnaMargin(_Entry):
    """How far the latest ERBB2 copy number must move from baseline to count as a change."""

    relative_change: float = Field(gt=0, description="fraction of the baseline copy number")
    min_absolute_change: float = Field(
        ge=0, description="copies; a floor so that a near-zero baseline is not noise-driven"
    )
    confirmed: bool
    basis: str
    sources: list[str] = Field(min_length=1)


class CtdnaTimingRule(_Entry):
    """How a timepoint's timing is derived from the treatment history when the case does not say."""

    progression_window_days_before: int = Field(ge=0)
    progression_window_days_after: int = Field(ge=0)
    confirmed: bool
    basis: str
    sources: list[str] = Field(min_length=1)


class CtdnaPattern(_Entry):
    id: CtdnaPatternId
    definition: str
    interpretation: str
    actions: list[str]
    actions_at_progression: list[str] | None = None
    actions_at_progression_after_response: list[str] | None = None
    seed_quote: str | None = None
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)


class CtdnaRules(_Entry):
    """``ctdna_patterns.yaml``: margins, which pattern wins when several apply, patterns, actions."""

    margin: CtdnaMargin
    timing: CtdnaTimingRule
    precedence: list[Literal["rising", "falling", "molecular_response", "stable", "emergent_alterations"]] = Field(
        min_length=5, max_length=5
    )
    precedence_basis: str
    precedence_confirmed: bool
    patterns: list[CtdnaPattern] = Field(min_length=5)
    actions: list[ResistanceAction] = Field(min_length=1)


class LevelMeaning(_Entry):
    level: str
    meaning: str


class ResistanceLevel(_Entry):
    level: str
    meaning: str
    use_when: str
    oncokb: str
    amp_asco_cap: str
    civic: str


class LevelMapping(_Entry):
    escat: Escat
    oncokb: str
    amp_asco_cap: str
    civic: str
    note: str | None = None


class NcrnaFindingLevel(_Entry):
    """The level every ncRNA-only finding takes: the seeds report them from preclinical work."""

    level: str
    evidence_setting: EvidenceSetting
    basis: str
    sources: list[str] = Field(min_length=1)


class EvidenceLevels(_Entry):
    """``evidence_levels.yaml``: the level vocabularies and the one mapping the report uses."""

    escat: list[LevelMeaning] = Field(min_length=10)
    oncokb: list[LevelMeaning] = Field(min_length=7)
    amp_asco_cap_tiers: list[LevelMeaning] = Field(min_length=4)
    amp_asco_cap_evidence: list[LevelMeaning] = Field(min_length=4)
    civic: list[LevelMeaning] = Field(min_length=5)
    resistance_levels: list[ResistanceLevel] = Field(min_length=1, description="strongest first")
    mapping: list[LevelMapping]
    mapping_confirmed: bool
    mapping_basis: str
    ncrna_findings: NcrnaFindingLevel
    sources: list[str] = Field(min_length=1)

    def _row(self, escat: str) -> LevelMapping:
        for row in self.mapping:
            if row.escat == escat:
                return row
        raise KeyError(f"no mapping row for ESCAT level '{escat}'")

    def oncokb_level_for(self, escat: str) -> str:
        """OncoKB-style level of an ESCAT level, by the documented mapping."""
        return self._row(escat).oncokb

    def amp_tier_for(self, escat: str) -> str:
        """AMP/ASCO/CAP tier and evidence level of an ESCAT level, by the documented mapping."""
        return self._row(escat).amp_asco_cap

    def resistance_rank(self, level: str) -> int:
        """0 for the strongest resistance level; used to order findings."""
        return [row.level for row in self.resistance_levels].index(level)


def load_mechanisms(path: Path) -> list[Mechanism]:
    """The mechanisms of ``mechanisms.yaml``, validated."""
    return validate_list(Mechanism, path)


def load_ncrna(path: Path) -> list[NcrnaEntry]:
    """The ncRNAs of ``ncrna.yaml``, validated."""
    return validate_list(NcrnaEntry, path)


def load_ctdna_patterns(path: Path) -> CtdnaRules:
    """The ctDNA rules of ``ctdna_patterns.yaml``, validated."""
    return validate(CtdnaRules, read_file(path), path.name)


def load_evidence_levels(path: Path) -> EvidenceLevels:
    """The level vocabularies and mapping of ``evidence_levels.yaml``, validated."""
    return validate(EvidenceLevels, read_file(path), path.name)


def load_hotspots(path: Path) -> Hotspots:
    """Hotspot residues and exact changes per gene from ``hotspots.yaml``, validated by its
    schema; a missing file leaves the lists in mechanisms.yaml in force."""
    if not path.exists():
        return Hotspots()
    return hotspots_from_entries(validate_list(Hotspot, path))


def hotspots_from_entries(entries: Sequence[Hotspot]) -> Hotspots:
    """Per-gene residue and change sets from validated hotspot entries."""
    residues: dict[str, set[str]] = {}
    changes: dict[str, set[str]] = {}
    for entry in entries:
        residues.setdefault(entry.gene, set()).update(r.upper() for r in entry.residues)
        changes.setdefault(entry.gene, set()).update(entry.changes)
    return Hotspots(
        residues={gene: frozenset(values) for gene, values in residues.items()},
        changes={gene: frozenset(values) for gene, values in changes.items()},
    )


@dataclass(frozen=True)
class ResistanceKnowledge:
    """Everything ``resistance.py`` needs, validated and indexed. Treat as read-only."""

    mechanisms: tuple[Mechanism, ...]
    ncrna: tuple[NcrnaEntry, ...]
    ctdna_patterns: CtdnaRules
    evidence_levels: EvidenceLevels
    index: AlterationIndex
    mechanisms_by_id: dict[str, Mechanism] = field(default_factory=dict)
    ncrna_by_name: dict[str, NcrnaEntry] = field(default_factory=dict)  # folded name or alias -> entry
    mechanisms_by_ncrna: dict[tuple[str, str], tuple[str, ...]] = field(default_factory=dict)
    actions_by_id: dict[str, ResistanceAction] = field(default_factory=dict)


def _problems(
    mechanisms: list[Mechanism], ncrna: list[NcrnaEntry], rules: CtdnaRules, levels: EvidenceLevels
) -> list[str]:
    """Ids that one resistance file names and another does not define."""
    level_ids = {row.level for row in levels.resistance_levels}
    escat_ids = [row.level for row in levels.escat]
    ncrna_by_id = {entry.id: entry for entry in ncrna}
    action_ids = {action.id for action in rules.actions}
    problems = [
        f"evidence_levels.mapping lacks ESCAT {e}" for e in escat_ids if e not in {r.escat for r in levels.mapping}
    ]
    if levels.ncrna_findings.level not in level_ids:
        problems.append(f"evidence_levels.ncrna_findings: unknown level '{levels.ncrna_findings.level}'")
    pattern_ids = {pattern.id for pattern in rules.patterns}
    problems += [f"ctdna_patterns: no pattern '{p}'" for p in typing.get_args(CtdnaPatternId) if p not in pattern_ids]
    problems += [
        f"ctdna pattern {p.id}: unknown action '{a}'" for p in rules.patterns for a in p.actions if a not in action_ids
    ]
    for mechanism in mechanisms:
        where = f"mechanism {mechanism.id}"
        if mechanism.resistance_level not in level_ids:
            problems.append(f"{where}: unknown resistance_level '{mechanism.resistance_level}'")
        problems += [f"{where}: unknown action '{a}'" for a in mechanism.actions if a not in action_ids]
        for indicator in mechanism.indicators:
            if isinstance(indicator, NcrnaIndicator):
                entry = ncrna_by_id.get(indicator.ncrna)
                if entry is None:
                    problems.append(f"{where}: unknown ncrna '{indicator.ncrna}'")
                elif entry.resistance_direction != indicator.direction:
                    wrong = f"causes resistance when {entry.resistance_direction}, not {indicator.direction}"
                    problems.append(f"{where}: ncrna '{entry.id}' {wrong}")
    for kind, items in (("mechanism", mechanisms), ("ncrna", ncrna)):
        seen: set[str] = set()
        for item in items:
            if item.id in seen:
                problems.append(f"duplicate {kind} id '{item.id}'")
            seen.add(item.id)
    return problems


def _ncrna_names(ncrna: list[NcrnaEntry]) -> dict[str, NcrnaEntry]:
    table: dict[str, NcrnaEntry] = {}
    for entry in ncrna:
        for spelling in (entry.id, entry.name, *entry.aliases):
            folded = fold_ncrna_name(spelling)
            if folded in table and table[folded].id != entry.id:
                raise KnowledgeBaseError(
                    f"ncrna.yaml: name '{spelling}' belongs to both {table[folded].id} and {entry.id}"
                )
            table[folded] = entry
    return table


def build_resistance_knowledge(data_dir: Path) -> ResistanceKnowledge:
    """Load the four resistance files from ``data_dir``, cross-check them, index them.

    ``hotspots.yaml`` (genomics) is merged into the ``mut`` indicators that name
    ``hotspot_class: activating_hotspot``; KnowledgeBaseError on any invalid entry or
    dangling id.
    """
    return assemble_resistance_knowledge(
        load_mechanisms(data_dir / "mechanisms.yaml"),
        load_ncrna(data_dir / "ncrna.yaml"),
        load_ctdna_patterns(data_dir / "ctdna_patterns.yaml"),
        load_evidence_levels(data_dir / "evidence_levels.yaml"),
        load_hotspots(data_dir / "hotspots.yaml"),
    )


def assemble_resistance_knowledge(
    mechanisms: Sequence[Mechanism],
    ncrna: Sequence[NcrnaEntry],
    rules: CtdnaRules,
    levels: EvidenceLevels,
    hotspots: Hotspots,
) -> ResistanceKnowledge:
    """Cross-check already validated resistance entries and build their indexes."""
    problems = _problems(list(mechanisms), list(ncrna), rules, levels)
    if problems:
        raise KnowledgeBaseError(f"{len(problems)} resistance knowledge problem(s); first: {problems[0]}")
    by_ncrna: dict[tuple[str, str], list[str]] = {}
    for mechanism in mechanisms:
        for indicator in mechanism.indicators:
            if isinstance(indicator, NcrnaIndicator):
                by_ncrna.setdefault((indicator.ncrna, indicator.direction), []).append(mechanism.id)
    return ResistanceKnowledge(
        mechanisms=tuple(mechanisms),
        ncrna=tuple(ncrna),
        ctdna_patterns=rules,
        evidence_levels=levels,
        index=build_alteration_index(
            [(m.id, i) for m in mechanisms for i in m.indicators if isinstance(i, GeneIndicator)], hotspots
        ),
        mechanisms_by_id={m.id: m for m in mechanisms},
        ncrna_by_name=_ncrna_names(list(ncrna)),
        mechanisms_by_ncrna={key: tuple(ids) for key, ids in by_ncrna.items()},
        actions_by_id={action.id: action for action in rules.actions},
    )
