"""Schemas of the rule files: HER2 testing (``her2_rules.yaml``) and dose management
(``safety.yaml``). The rules are thresholds and tables; the logic that applies them
lives in ``her2.py`` and ``safety.py``.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
from typing import Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from her2gc.kb.schema import DrugClass
from her2gc.terms import AdverseEventKind, CscoTier, IhcScore, ImmuneOrgan, InfusionSymptom


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class IhcCriterion(_Entry):
    """A score is given when the stain matches one of these intensity/pattern pairs."""

    score: IhcScore
    intensities: list[Literal["faint", "weak_moderate", "strong"]]
    patterns: list[Literal["complete", "basolateral", "lateral", "partial"]]
    description: str


class SpecimenQuantity(_Entry):
    """How much staining makes a specimen count: a share of cells, or a cluster."""

    specimen: Literal["biopsy", "resection", "cytology"]
    min_percent_cells: float | None = None
    min_cluster_cells: int | None = None
    confirmed: bool = True
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class IshRule(_Entry):
    ratio_threshold: float = Field(description="HER2/CEP17 ratio at or above which ISH is amplified")
    signals_rule_threshold: float = Field(description="mean HER2 signals per cell counted as amplified")
    signals_rule_default_on: bool
    signals_rule_confirmed: bool
    sources: list[str] = Field(min_length=1)
    signals_rule_sources: list[str] = Field(min_length=1)


class TierRow(_Entry):
    """One row of a classification: IHC score and ISH state -> binary call and CSCO tier."""

    ihc: IhcScore | None
    ish: Literal["amplified", "not_amplified", "not_done", "any"]
    binary: Literal["positive", "negative", "equivocal"]
    csco_tier: Literal["high", "medium", "low", "none", "unknown"]
    csco_tier_candidates: list[CscoTier] = Field(
        default_factory=list, description="the tiers still possible (pending ISH)"
    )
    note: str | None = None
    discordant: bool = Field(
        default=False, description="IHC and ISH disagree on this row: the pathologist reviews both"
    )
    sources: list[str] = Field(min_length=1)


class ActionText(_Entry):
    id: str
    text: str
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)


class Her2Rules(_Entry):
    id: str
    version: str
    ihc_criteria: list[IhcCriterion]
    specimen_quantities: list[SpecimenQuantity]
    ish: IshRule
    classification: list[TierRow]
    min_biopsy_fragments: int
    heterogeneity_note: str
    retest_drugs: list[str] = Field(description="anti-HER2 drugs after which HER2 is re-tested on progression")
    retest_note: str
    sources: list[str] = Field(min_length=1)
    heterogeneity_sources: list[str] = Field(min_length=1)
    retest_sources: list[str] = Field(min_length=1)
    actions: list[ActionText] = Field(min_length=1)
    anti_her2_option_cautions: list[ActionText] = Field(
        default_factory=list,
        description="caution for an anti-HER2 option, by the HER2 action or flag id that raises it",
    )

    def option_caution(self, caution_id: str) -> ActionText | None:
        return next((c for c in self.anti_her2_option_cautions if c.id == caution_id), None)


class DoseLadder(_Entry):
    id: str
    drug: str
    tumour: str
    levels_mg_per_kg: list[float] = Field(min_length=1, description="starting dose first")
    below_lowest: Literal["discontinue"]
    schedule: str
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class SafetyCondition(_Entry):
    """When a rule applies; every field given must hold.

    A condition on something the adverse event does not give does not hold: an unknown
    value is neither true nor false, and a duration needs its dates (never today's date).
    """

    grade_min: int | None = None
    grade_max: int | None = None
    resolved: bool | None = None
    resolved_within_days: int | None = Field(default=None, description="resolution at most this many days after onset")
    resolved_after_days: int | None = Field(default=None, description="resolution more than this many days after onset")
    weeks_since_onset_min_exclusive: float | None = Field(
        default=None, description="(assessed - onset) in weeks is more than this (a persistent event)"
    )
    lvef_min_exclusive: float | None = None
    lvef_max_inclusive: float | None = None
    lvef_min_inclusive: float | None = None
    lvef_max_exclusive: float | None = None
    drop_min_inclusive: float | None = None
    drop_max_inclusive: float | None = None
    drop_min_exclusive: float | None = None
    drop_max_exclusive: float | None = None
    lvef_below_lln: bool | None = None
    suspensions_min_exclusive: int | None = Field(
        default=None, description="dosing suspended for cardiomyopathy more than this many times, counting this one"
    )
    symptomatic: bool | None = None
    symptom: list[InfusionSymptom] | None = Field(default=None, description="one of these is among the symptoms")
    urine_protein_min_inclusive: float | None = Field(default=None, description="g/24 h")
    urine_protein_min_exclusive: float | None = Field(default=None, description="g/24 h")
    urine_protein_max_inclusive: float | None = Field(default=None, description="g/24 h")
    urine_protein_max_exclusive: float | None = Field(default=None, description="g/24 h")
    occurrence_min: int | None = Field(
        default=None, ge=1, description="at least the N-th event of this drug and kind in the case, in list order"
    )
    nephrotic_syndrome: bool | None = None
    controlled: bool | None = None
    organs: list[ImmuneOrgan] | None = Field(default=None, description="the organ of an immune-mediated reaction")
    recurrent: bool | None = None
    liver_tumour_involvement: bool | None = None
    ast_alt_x_uln_min_exclusive: float | None = None
    ast_alt_x_uln_max_inclusive: float | None = None
    bilirubin_x_uln_min_exclusive: float | None = None
    bilirubin_x_uln_max_inclusive: float | None = None
    diagnosis: Literal["suspected", "confirmed"] | None = None


SafetyActionKind = Literal["continue", "interrupt", "withhold", "resume_same_dose", "reduce", "discontinue"]


class SafetyRule(_Entry):
    """One label rule: for an event of a drug (or of every drug of a class rule) under a condition."""

    id: str
    drug: str | None = None
    drugs: list[str] = Field(default_factory=list, description="a class rule: every one of these drugs")
    event: AdverseEventKind
    when: SafetyCondition
    action: SafetyActionKind
    dose_steps_down: int = Field(default=0, ge=0, description="the dose after this action, in ladder levels down")
    resume_dose_steps_down: int = Field(
        default=0, ge=0, description="withhold: the dose to resume at once resolved, in ladder levels down"
    )
    details: list[str] = Field(default_factory=list)
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _one_drug_field(self) -> Self:
        if (self.drug is None) == (not self.drugs):
            raise ValueError("give exactly one of drug and drugs")
        if self.resume_dose_steps_down and self.action != "withhold":
            raise ValueError("resume_dose_steps_down applies to action withhold only")
        return self

    def applies_to(self, drug: str) -> bool:
        return drug == self.drug or drug in self.drugs


class NoRuleInSources(_Entry):
    """Events of a drug for which no source read gives a dose rule: said, never left silent."""

    id: str
    drug: str
    events: list[AdverseEventKind | Literal["any"]] = Field(min_length=1, description="any: every event of the drug")
    toxicities: list[str] = Field(min_length=1)
    text: str = Field(description='what the report says; contains "no dose rule in the sources"')
    confirmed: bool = False
    sources: list[str] = Field(min_length=1)

    @field_validator("text")
    @classmethod
    def _says_so(cls, text: str) -> str:
        if "no dose rule in the sources" not in text:
            raise ValueError('the text must say "no dose rule in the sources"')
        return text

    def covers(self, drug: str, event: str) -> bool:
        return drug == self.drug and ("any" in self.events or event in self.events)


class RiskFigure(_Entry):
    label: str
    value: str = Field(description="as printed")
    n: str | None = None


class TumourRate(_Entry):
    tumour: str
    value: str = Field(description="as printed")
    note: str | None = None


class TrialRate(_Entry):
    trial: str
    arm: str
    value: str = Field(description="as printed")
    sources: list[str] = Field(min_length=1)


class DrugRisk(_Entry):
    """The printed figures of a drug's key risk; ``text`` is a caution of every option with the drug."""

    id: str
    drug: str
    event: AdverseEventKind
    figures: list[RiskFigure] = Field(default_factory=list)
    rates_by_tumour: list[TumourRate] = Field(default_factory=list)
    table_range: str | None = None
    trial_rates: list[TrialRate] = Field(default_factory=list)
    comparison: str | None = None
    monitoring: str
    text: str
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)


class CombinationCaution(_Entry):
    """Figures for an option that combines agents with overlapping toxicity.

    It applies to an option when every condition it gives holds (see ``safety_cautions``).
    """

    id: str
    drugs_all: list[str] = Field(default_factory=list)
    chemotherapy_any: list[str] = Field(default_factory=list)
    drug_classes_any: list[DrugClass] = Field(default_factory=list)
    min_drugs: int | None = Field(default=None, ge=2, description="agents, counting the chemotherapy backbone")
    overlapping: list[str] = Field(default_factory=list)
    text: str
    figures: dict[str, str] = Field(default_factory=dict, description="as printed")
    confirmed: bool = True
    note: str | None = None
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _some_condition(self) -> Self:
        if not (self.drugs_all or self.chemotherapy_any or self.drug_classes_any or self.min_drugs):
            raise ValueError("a combination caution needs at least one condition")
        return self


class SafetyRules(_Entry):
    dose_ladders: list[DoseLadder]
    rules: list[SafetyRule]
    no_rule_in_sources: list[NoRuleInSources] = Field(default_factory=list)
    drug_risks: list[DrugRisk] = Field(default_factory=list)
    combination_cautions: list[CombinationCaution] = Field(default_factory=list)


class Ranking(_Entry):
    """``ranking.yaml``: the orders a report lists things in, strongest or preferred first."""

    category_order: list[Literal["preferred", "standard", "alternative", "investigational"]] = Field(min_length=4)
    category_basis: str
    approval_status_order: list[list[str]] = Field(min_length=1, description="groups of statuses that rank alike")
    approval_basis: str
    strategy_status_order: list[Literal["approved", "in_trials", "preclinical"]] = Field(min_length=3)
    strategy_basis: str
    her2_binary_order: list[Literal["negative", "equivocal", "positive"]] = Field(
        min_length=3, description="weakest first"
    )
    her2_tier_order: list[Literal["unknown", "none", "low", "medium", "high"]] = Field(
        min_length=5, description="weakest first"
    )
    her2_basis: str
    sources: list[str] = Field(min_length=1)

    def rank(self, order: list[str], value: str) -> int:
        """Position of ``value`` in ``order``; unknown values after every known one."""
        return order.index(value) if value in order else len(order)

    def approval_rank(self, status: str) -> int:
        """The group of an approval status (statuses in one group rank alike)."""
        return next(
            (i for i, group in enumerate(self.approval_status_order) if status in group),
            len(self.approval_status_order),
        )
