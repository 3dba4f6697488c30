"""Schemas of the rule files: HER2 testing (``her2_rules.yaml``) and dose management
(``safety.yaml``). The rules are thresholds and tables; the logic that applies them
lives in ``her2.py`` and ``safety.py``.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from her2gc.terms import CscoTier, IhcScore


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
    """When a rule applies; every field given must hold."""

    grade_min: int | None = None
    grade_max: int | None = None
    resolved: bool | None = None
    resolved_within_days: int | None = Field(default=None, description="resolution at most this many days after onset")
    resolved_after_days: int | None = Field(default=None, description="resolution more than this many days after onset")
    lvef_min_exclusive: float | None = None
    lvef_max_inclusive: float | None = None
    lvef_min_inclusive: float | None = None
    lvef_max_exclusive: float | None = None
    drop_min_inclusive: float | None = None
    drop_max_inclusive: float | None = None
    drop_min_exclusive: float | None = None
    drop_max_exclusive: float | None = None
    symptomatic: bool | None = None


class SafetyRule(_Entry):
    id: str
    drug: str
    event: Literal["ild", "neutropenia", "febrile_neutropenia", "thrombocytopenia", "lvef_decrease", "heart_failure"]
    when: SafetyCondition
    action: Literal["continue", "interrupt", "resume_same_dose", "reduce", "discontinue"]
    dose_steps_down: int = 0
    details: list[str] = Field(default_factory=list)
    confirmed: bool = True
    sources: list[str] = Field(min_length=1)


class SafetyRules(_Entry):
    dose_ladders: list[DoseLadder]
    rules: list[SafetyRule]


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
