"""Schemas of the clinical knowledge-base files (``kb/data/*.yaml``).

Each entry has a stable ``id`` and the ids of its ``sources``. Numbers are stored
as the source reports them; ``her2gc kb check`` validates every cross-reference.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
from typing import Any, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

from her2gc.terms import CscoTier, Region

Escat = Literal["I-A", "I-B", "I-C", "II-A", "II-B", "III-A", "III-B", "IV", "V", "X", "not_applicable"]
EvidenceSetting = Literal["clinical_gastric", "clinical_other_tumour", "preclinical", "model_prediction"]
# What an approval entry may state; "not_recorded" and "label_not_applicable" are never entries.
ApprovalStatus = Literal["approved", "conditional", "not_approved", "trial_only"]
Her2Population = Literal["positive", "negative", "medium", "low", "none", "expressing"]
DrugClass = Literal[
    "adc",
    "monoclonal_antibody",
    "bispecific_antibody",
    "tyrosine_kinase_inhibitor",
    "small_molecule_inhibitor",
    "checkpoint_inhibitor",
    "antiangiogenic",
    "chemotherapy",
    "other",
]


class Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Sourced(Entry):
    sources: list[str] = Field(min_length=1)


class Source(Entry):
    id: str
    citation: str
    doi: str | None = None
    pmid: str | None = None
    url: str | None = None
    seed: str | None = Field(default=None, description="which seed document cites it, e.g. '002 ref 29'")
    note: str | None = None


class PrintedAdcRow(Entry):
    """One row of Tao & Huang 2026 Table 1 exactly as printed (Chinese)."""

    name: str
    structure: str
    dar: str
    approval: str
    toxicities: str


class GastricFigure(Entry):
    """A gastric-cancer figure the sources print for a drug (text as printed)."""

    trial: str = Field(description="the study as the source names it (not necessarily a trial id)")
    text: str
    sources: list[str] = Field(min_length=1)


class AdcStructure(Entry):
    antibody: str
    linker: str
    linker_cleavable: bool
    payload: str
    payload_class: str
    dar: str = Field(description="drug-to-antibody ratio as reported, e.g. '~8'")
    bystander_effect: bool | None = None
    in_seed_table: bool = Field(default=False, description="a row of Tao & Huang 2026 Table 1")
    printed: PrintedAdcRow | None = None
    dar_note: str | None = Field(default=None, description="where the review's text differs from the table")
    approval_text: str | None = Field(default=None, description="the table's approval column as printed")
    approval_note: str | None = Field(default=None, description="the approval column in English")
    toxicity_note: str | None = None
    gastric_figures: list[GastricFigure] = Field(default_factory=list, description="[]: none in the sources")
    confirmed: bool = True
    note: str | None = None
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _table_row_printed(self) -> Self:
        if self.in_seed_table and self.printed is None:
            raise ValueError("a row of the review's table needs printed")
        if self.printed is not None and self.printed.dar != self.dar:
            raise ValueError(f"dar '{self.dar}' differs from the printed '{self.printed.dar}'")
        return self


class Drug(Sourced):
    id: str = Field(description="lower-case INN")
    aliases: list[str] = Field(default_factory=list)
    drug_class: DrugClass
    targets: list[str] = Field(default_factory=list, description="HGNC symbols or named targets")
    anti_her2: bool = False
    mechanism: str | None = None
    adc: AdcStructure | None = None
    main_toxicities: list[str] = Field(default_factory=list)
    development_status: str | None = None


class LabelNotApplicable(Entry):
    """A guideline-standard regimen whose agents carry no gastric indication in some regions."""

    reason: str
    sources: list[str] = Field(min_length=1)


class Regimen(Sourced):
    id: str
    name: str
    drugs: list[str] = Field(min_length=1, description="the agents that define the regimen (INN)")
    chemotherapy_options: list[list[str]] = Field(default_factory=list, description="accepted chemotherapy backbones")
    dose: str | None = None
    note: str | None = None
    label_not_applicable: LabelNotApplicable | None = None


class TrialArm(Entry):
    id: str
    label: str
    regimen_id: str | None = None
    n: int | None = None
    her2_tiers: list[CscoTier] | None = Field(
        default=None, description="a cohort of one HER2 tier (its figures are shown for patients of that tier)"
    )


Endpoint = Literal[
    "orr_pct",
    "confirmed_orr_pct",
    "dcr_pct",
    "confirmed_dcr_pct",
    "cr_pct",
    "dor_months",
    "pfs_months",
    "os_months",
    "os_hr",
    "pfs_hr",
    "death_hr",
    "progression_hr",
    "pfs_rate_pct",
    "os_rate_pct",
    "progression_free_pct",
    "ild_pct",
    "grade3plus_ae_pct",
    "treatment_related_grade3plus_ae_pct",
    "ae_discontinuation_pct",
]


def _as_printed(value: Any) -> str | None:
    printed = getattr(value, "printed", None)  # a float read by the knowledge-base YAML loader
    if printed is None and isinstance(value, int) and not isinstance(value, bool):
        printed = str(value)
    return printed if isinstance(printed, str) else None


def _printed(data: Any) -> Any:
    """Keep numbers as the source prints them (``0.70``, ``11``) beside the values."""
    if not isinstance(data, dict):
        return data
    extra: dict[str, str] = {}
    if "printed" not in data and (text := _as_printed(data.get("value"))) is not None:
        extra["printed"] = text
    low, high = _as_printed(data.get("ci_low")), _as_printed(data.get("ci_high"))
    if "ci_printed" not in data and low is not None and high is not None:
        extra["ci_printed"] = f"{low}-{high}"
    return {**data, **extra} if extra else data


class TrialResult(Entry):
    endpoint: Endpoint
    arm: str
    comparator: str | None = None
    value: float
    printed: str | None = Field(default=None, description="the value as the source prints it")
    ci_printed: str | None = Field(default=None, description="the confidence interval as printed")
    ci_low: float | None = None
    ci_high: float | None = None
    p: str | None = Field(default=None, description="p value as reported, e.g. '0.0046', '<0.0001'")
    subgroup: str = "all"
    analysis: str | None = Field(default=None, description="only where the source names the analysis")
    timepoint: str | None = None
    note: str | None = None
    sources: list[str] = Field(min_length=1)

    _keep_printed = model_validator(mode="before")(_printed)


class Trial(Sourced):
    id: str
    name: str
    nct: str | None = None
    phase: str
    design: str
    lines: list[int] = Field(description="therapy lines studied; 3 means third or later")
    population: str
    her2_population: list[Her2Population]
    n: int | None = None
    status: Literal["reported", "ongoing"] = "reported"
    randomised: bool
    primary_endpoint: str
    primary_endpoint_met: bool | None = Field(description="null: not reported, single-arm or ongoing")
    arms: list[TrialArm] = Field(min_length=1)
    results: list[TrialResult] = Field(default_factory=list)
    note: str | None = None


class ApprovalConditions(Entry):
    pdl1_cps_min: float | None = None
    her2: list[Literal["positive", "medium", "low", "none"]] | None = None
    prior_drugs_any: list[str] | None = None
    prior_drugs_each_of: list[list[str]] | None = Field(
        default=None,
        description="one drug of each group must have been given (e.g. a fluoropyrimidine, a platinum, ...)",
    )
    min_prior_regimens: int | None = None
    max_prior_regimens: int | None = None
    cldn18_2_min_percent: float | None = Field(default=None, ge=0, le=100)


class Approval(Sourced):
    id: str
    region: Region
    regimen_id: str
    status: ApprovalStatus
    indication: str
    date: str | None = None
    conditions: ApprovalConditions = Field(default_factory=ApprovalConditions)
    confirmed: bool = True
    superseded_by: str | None = Field(
        default=None, description="the approval that replaced this one (kept for history)"
    )
    note: str | None = None


class Caution(Entry):
    """A caution an option carries, with its own sources."""

    id: str
    text: str
    sources: list[str] = Field(default_factory=list)
    confirmed: bool = True
    regions: list[Region] | None = Field(
        default=None, description="said only to patients in these regions (a caution about one region's label)"
    )


class Recommendation(Sourced):
    """When a regimen is an option for the line being decided, and how strongly."""

    id: str
    regimen_id: str
    lines: list[int] = Field(description="decision lines; 3 means third or later")
    her2_tiers: list[CscoTier]
    pdl1_cps_min: float | None = None
    pdl1_cps_max_exclusive: float | None = None
    requires_prior_drugs_any: list[str] = Field(default_factory=list)
    excludes_prior_drugs: list[str] = Field(default_factory=list)
    msi: list[Literal["MSS", "MSI-H", "unknown"]] | None = None
    cldn18_2_min_percent: float | None = Field(default=None, ge=0, le=100)
    regions: list[Region] | None = Field(
        default=None, description="only in these regions (the option exists nowhere else)"
    )
    category: Literal["preferred", "standard", "alternative", "investigational"]
    category_basis: str | None = None
    lines_beyond_trials: str | None = Field(
        default=None,
        description="why the rule's lines go beyond those its trials studied (e.g. the approvals name no line); "
        "`kb check` requires it for such a rule",
    )
    escat: Escat
    evidence_setting: EvidenceSetting
    trials: list[str] = Field(default_factory=list)
    endorsements: list[str] = Field(default_factory=list)
    priority: int = Field(description="lower ranks first among options of the same category")
    rationale: str
    cautions: list[Caution] = Field(default_factory=list)
    confirmed: bool = True

    @field_validator("cautions", mode="before")
    @classmethod
    def _plain_text_cautions(cls, value: Any, info: ValidationInfo) -> Any:
        # A caution written as plain text is numbered and rests on the recommendation's sources.
        if not isinstance(value, list):
            return value
        sources = (info.data or {}).get("sources", [])
        return [
            {"id": f"caution-{i + 1}", "text": c, "sources": sources} if isinstance(c, str) else c
            for i, c in enumerate(value)
        ]


class Contraindication(Sourced):
    id: str
    drug: str
    condition: Literal["ild_history", "lvef_below", "heart_failure"]
    threshold: float | None = None
    action: Literal["exclude", "demote", "caution"]
    text: str
    confirmed: bool = True


class ClinicalNote(Sourced):
    """A statement the report adds when a case matches, e.g. for MSI-H tumours."""

    id: str
    when_msi: list[Literal["MSS", "MSI-H", "unknown"]] | None = None
    when_pdl1_cps_below: float | None = None
    when_her2_tiers: list[CscoTier] | None = None
    text: str
    confirmed: bool = True


class GeneSpan(Entry):
    chrom: str
    start: int = Field(ge=1)
    end: int = Field(ge=1)


class Gene(Sourced):
    symbol: str
    hgnc_id: str
    aliases: list[str] = Field(default_factory=list)
    role: Literal["oncogene", "tumour_suppressor", "other"]
    grch37: GeneSpan | None = None
    grch38: GeneSpan | None = None
