"""The report (``her2gc.report/1``): what a tumour board reads and audits.

Every section carries the trace of the rules that produced it, so a reader can ask
both "why this option" and "why not that one".
"""

# No `from __future__ import annotations`: pydantic would compile every field's annotation
# string again at import, which costs start-up time on every command.
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

REPORT_SCHEMA = "her2gc.report/1"


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)


class TraceItem(_Frozen):
    """One rule that fired (or was considered): its id, what it read, what it said."""

    rule: str
    inputs: dict[str, Any] = Field(default_factory=dict)
    conclusion: str
    sources: list[str] = Field(default_factory=list)
    confirmed: bool = True


class Warning(_Frozen):
    """An inconsistency or gap the engine noticed in the case (never silently ignored)."""

    code: str
    message: str
    fields: list[str] = Field(default_factory=list, description="case field paths it concerns")


class GeneratedBy(_Frozen):
    package_version: str
    kb_version: str
    kb_sha256: str
    model_sha256: str | None = None


class ActionDetail(_Frozen):
    id: str
    text: str
    confirmed: bool = True


class Her2Status(_Frozen):
    binary: Literal["positive", "negative", "equivocal", "unknown"]
    csco_tier: Literal["high", "medium", "low", "none", "unknown"]
    csco_tier_candidates: list[Literal["high", "medium", "low", "none"]] = Field(
        default_factory=list, description="the tiers still possible while a test is pending (IHC 2+ awaiting ISH)"
    )
    ihc_score: Literal["0", "1+", "2+", "3+"] | None = None
    ish: Literal["amplified", "not_amplified", "not_done"] = "not_done"
    heterogeneous: bool = False
    loss_after_therapy: bool = False
    ngs_discordant: bool = False
    deciding_test: int | None = Field(default=None, description="index in her2_tests of the test that decided")
    actions: list[str] = Field(default_factory=list)
    action_details: list[ActionDetail] = Field(default_factory=list)
    notes: list[str] = Field(default_factory=list)
    trace: list[TraceItem] = Field(default_factory=list)


class Evidence(_Frozen):
    escat: str
    level: str = Field(description="OncoKB-style therapeutic level from the documented mapping")
    setting: str
    category: str
    trials: list[str] = Field(default_factory=list)
    endorsements: list[str] = Field(default_factory=list)


class ApprovalStatus(_Frozen):
    region: str
    status: Literal["approved", "conditional", "not_approved", "not_recorded", "trial_only", "label_not_applicable"]
    indication: str | None = None
    approval_id: str | None = None
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)


class Outcome(_Frozen):
    trial: str
    analysis: str | None = Field(default=None, description="only where the source names the analysis")
    subgroup: str = "all"
    arm_n: int | None = Field(default=None, description="patients in the arm that gave this regimen")
    orr_pct: float | None = None
    pfs_months: float | None = None
    os_months: float | None = None
    os_hr: float | None = None
    os_hr_ci: list[float] | None = None
    pfs_hr: float | None = None
    printed: dict[str, str] = Field(default_factory=dict, description="each figure as the source prints it")


class OptionCaution(_Frozen):
    """A caution an option carries: what it says, why it is there, and its sources."""

    id: str
    kind: Literal["recommendation", "approval", "contraindication", "her2", "resistance", "evidence", "safety"]
    text: str
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)
    finding: str | None = Field(
        default=None, description="resistance: the finding, in words shared by every option it concerns"
    )
    drugs: list[str] = Field(
        default_factory=list, description="resistance: the option's drugs whose benefit it may reduce"
    )


class Statement(_Frozen):
    """A statement the knowledge base attaches to a feature of the case."""

    id: str
    text: str
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)


class Option(_Frozen):
    rank: int
    regimen_id: str
    name: str
    drugs: list[str]
    evidence: Evidence
    approval: ApprovalStatus
    outcomes: list[Outcome] = Field(default_factory=list)
    why: list[str] = Field(default_factory=list)
    cautions: list[str] = Field(default_factory=list, description="the texts of caution_details, in order")
    caution_details: list[OptionCaution] = Field(default_factory=list)
    missed_primary_endpoint: list[str] = Field(
        default_factory=list, description="randomised trials of this option that missed their primary endpoint"
    )
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)


class Exclusion(_Frozen):
    regimen_id: str
    why_not: list[str]


class Strategy(_Frozen):
    id: str
    description: str
    drugs: list[str] = Field(default_factory=list)
    drug_class: str | None = None
    drugs_are_examples: bool = Field(
        default=False, description="the source names the drug class only; the drugs are examples of it"
    )
    status: Literal["approved", "in_trials", "preclinical"]
    escat: str | None = None
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)


class MechanismFinding(_Frozen):
    id: str
    name: str
    class_: str = Field(alias="class")
    alterations: list[str] = Field(default_factory=list)
    level: str
    evidence_setting: str
    affects: list[str] = Field(default_factory=list, description="drugs or classes whose effect it reduces")
    strategies: list[Strategy] = Field(default_factory=list)
    sources: list[str] = Field(default_factory=list)

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )


class CtdnaValue(_Frozen):
    date: str
    erbb2_copy_number: float
    timing: Literal["baseline", "on_treatment", "progression"]


class CtdnaTimepoint(_Frozen):
    date: str
    erbb2_copy_number: float | None = None
    variants: int = 0
    timing: Literal["baseline", "on_treatment", "progression"]
    timing_derived: bool = Field(description="derived from the treatment history (the case did not say)")
    line: int | None = Field(default=None, description="the treatment line the timepoint falls in or ends")


class CtdnaReading(_Frozen):
    """Plasma ERBB2 copy number read against the treatment timeline."""

    timepoints: list[CtdnaTimepoint] = Field(default_factory=list)
    baseline: CtdnaValue | None = None
    nadir: CtdnaValue | None = None
    last: CtdnaValue | None = None
    compared: Literal["progression_vs_baseline", "on_treatment_vs_baseline"] | None = None
    responded_before_progression: bool | None = None
    rebound_from_nadir: bool = False


class ResistanceSection(_Frozen):
    mechanisms: list[MechanismFinding] = Field(default_factory=list)
    ctdna_pattern: Literal[
        "rising", "falling", "molecular_response", "stable", "emergent_alterations", "insufficient_data"
    ] = "insufficient_data"
    ctdna: CtdnaReading | None = None
    actions: list[str] = Field(default_factory=list)
    action_details: list[ActionDetail] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    trace: list[TraceItem] = Field(default_factory=list)


class ModelSection(_Frozen):
    label: str = "model hypothesis (lowest evidence tier; never outranks clinical evidence)"
    model_sha256: str | None = None
    predictions: list[dict[str, Any]] = Field(default_factory=list)
    predicted_losses: list[dict[str, Any]] = Field(
        default_factory=list, description="single drugs the model predicts to lose effect here against the reference"
    )
    summary: str | None = Field(default=None, description="what the model can and cannot tell for this patient")
    distinct_from_reference: bool | None = Field(
        default=None,
        description="whether the model predicts anything different from a HER2-positive tumour without other alterations",
    )
    trace: list[TraceItem] = Field(default_factory=list)


class SafetyAction(_Frozen):
    drug: str
    event: str
    grade: int | None = None
    action: Literal["continue", "interrupt", "withhold", "resume_same_dose", "reduce", "discontinue"]
    next_dose_mg_per_kg: float | None = None
    rule: str
    details: list[str] = Field(default_factory=list)
    confirmed: bool = True
    sources: list[str] = Field(default_factory=list)


class SourceRef(_Frozen):
    id: str
    citation: str
    doi: str | None = None


class Report(_Frozen):
    schema_: Literal["her2gc.report/1"] = Field(default="her2gc.report/1", alias="schema")
    patient_id: str
    region: str
    generated_by: GeneratedBy
    her2: Her2Status
    decision_line: int
    recommendations: list[Option] = Field(default_factory=list)
    excluded: list[Exclusion] = Field(default_factory=list)
    resistance: ResistanceSection = Field(default_factory=ResistanceSection)
    model: ModelSection = Field(default_factory=ModelSection)
    safety: list[SafetyAction] = Field(default_factory=list)
    warnings: list[Warning] = Field(default_factory=list)
    notes: list[Statement] = Field(
        default_factory=list, description="statements the knowledge base attaches to features of the case"
    )
    trace: list[TraceItem] = Field(
        default_factory=list, description="every recommendation rule considered for the line"
    )
    sources: list[SourceRef] = Field(default_factory=list)

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    def to_json_dict(self) -> dict[str, Any]:
        """The JSON of ``--format json``: aliases (``schema``, ``class``) as in the contract."""
        return self.model_dump(mode="json", by_alias=True)

    def with_warnings_first(self, warnings: list[Warning]) -> "Report":
        """The report with ``warnings`` (an input mapping's, e.g. FHIR's) before its own."""
        return self if not warnings else self.model_copy(update={"warnings": [*warnings, *self.warnings]})
