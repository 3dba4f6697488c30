"""Whether the patient meets a recommendation written for the line being decided.

Reads the patient's HER2 tier (or the tiers still possible while ISH is pending), PD-L1
CPS, claudin 18.2, region, prior drugs, MSI status and contraindications; every reason
a recommendation is not offered is said, in the clinic's words.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from her2gc.case import Case
from her2gc.kb.schema import Contraindication, Recommendation
from her2gc.report import Her2Status


@dataclass(frozen=True)
class PatientFacts:
    """What approval conditions and recommendation rules read about the patient."""

    region: str
    decision_line: int
    her2_binary: str
    her2_tiers: tuple[str, ...]  # one tier, or the tiers still possible while ISH is pending
    pdl1_cps: float | None
    cldn18_2_percent: float | None
    prior_drugs: frozenset[str]
    msi: str
    # The HER2 call's words that the reasons for not offering an option quote.
    her2_ihc_score: str | None
    her2_csco_tier: str
    her2_loss_after_therapy: bool

    @property
    def her2_pending(self) -> bool:
        return len(self.her2_tiers) > 1

    @property
    def her2_tier(self) -> str:
        return self.her2_tiers[0] if len(self.her2_tiers) == 1 else "unknown"


def matching_tiers(her2: Her2Status) -> tuple[str, ...]:
    """The tiers recommendations are matched on: a positive binary call counts as high;
    IHC 2+ awaiting ISH may be either of its candidate tiers; no HER2 result counts as none."""
    if her2.binary == "positive":
        return ("high",)
    if her2.csco_tier == "unknown":
        return tuple(her2.csco_tier_candidates) or ("none",)
    return (her2.csco_tier,)


def patient_facts(case: Case, her2: Her2Status, region: str) -> PatientFacts:
    return PatientFacts(
        region=region,
        decision_line=case.decision_line,
        her2_binary=her2.binary,
        her2_tiers=matching_tiers(her2),
        pdl1_cps=case.pdl1.cps if case.pdl1 else None,
        cldn18_2_percent=case.cldn18_2.percent_moderate_strong if case.cldn18_2 else None,
        prior_drugs=case.prior_drugs(),
        msi=case.msi,
        her2_ihc_score=her2.ihc_score,
        her2_csco_tier=her2.csco_tier,
        her2_loss_after_therapy=her2.loss_after_therapy,
    )


def _her2_reason(rec: Recommendation, patient: PatientFacts) -> str | None:
    wanted = "/".join(rec.her2_tiers)
    if all(tier in rec.her2_tiers for tier in patient.her2_tiers):
        return None
    if patient.her2_pending and any(tier in rec.her2_tiers for tier in patient.her2_tiers):
        possible = " or ".join(patient.her2_tiers)
        return f"waits for ISH: written for HER2 {wanted} (CSCO); IHC {patient.her2_ihc_score} may be {possible} until ISH is done"
    loss = " after HER2 loss on a post-progression specimen" if patient.her2_loss_after_therapy else ""
    return f"needs HER2 {wanted} (CSCO); current HER2 is {patient.her2_binary}, tier {patient.her2_csco_tier}{loss}"


def _cps_reasons(rec: Recommendation, cps: float | None) -> list[str]:
    reasons = []
    if rec.pdl1_cps_min is not None:
        if cps is None:
            reasons.append(f"needs PD-L1 CPS >= {rec.pdl1_cps_min:g}; CPS not reported (test PD-L1)")
        elif cps < rec.pdl1_cps_min:
            reasons.append(f"needs PD-L1 CPS >= {rec.pdl1_cps_min:g}; CPS is {cps:g}")
    if rec.pdl1_cps_max_exclusive is not None and cps is not None and cps >= rec.pdl1_cps_max_exclusive:
        reasons.append(f"written for PD-L1 CPS < {rec.pdl1_cps_max_exclusive:g}; CPS is {cps:g}")
    return reasons


def _claudin_reason(rec: Recommendation, percent: float | None) -> str | None:
    if rec.cldn18_2_min_percent is None:
        return None
    if percent is None:
        return (
            f"needs claudin 18.2 in >= {rec.cldn18_2_min_percent:g}% of tumour cells; not reported (test claudin 18.2)"
        )
    if percent < rec.cldn18_2_min_percent:
        return f"needs claudin 18.2 in >= {rec.cldn18_2_min_percent:g}% of tumour cells; {percent:g}% reported"
    return None


def ineligibility(rec: Recommendation, patient: PatientFacts) -> list[str]:
    """Why the patient does not meet a recommendation written for this line."""
    reasons: list[str] = []
    if rec.regions is not None and patient.region not in rec.regions:
        reasons.append(f"an option in {', '.join(rec.regions)} only; region is {patient.region}")
    her2_reason = _her2_reason(rec, patient)
    if her2_reason:
        reasons.append(her2_reason)
    reasons += _cps_reasons(rec, patient.pdl1_cps)
    claudin = _claudin_reason(rec, patient.cldn18_2_percent)
    if claudin:
        reasons.append(claudin)
    if rec.requires_prior_drugs_any and not patient.prior_drugs & set(rec.requires_prior_drugs_any):
        reasons.append(
            f"evidence is after prior {' or '.join(rec.requires_prior_drugs_any)}, which the history does not show"
        )
    given_again = patient.prior_drugs & set(rec.excludes_prior_drugs)
    if given_again:
        reasons.append(f"already received {', '.join(sorted(given_again))}")
    if rec.msi is not None and patient.msi not in rec.msi:
        reasons.append(f"written for MSI status {'/'.join(rec.msi)}; patient is {patient.msi}")
    return reasons


@dataclass(frozen=True)
class ContraindicationFacts:
    """What the contraindication rules read of a patient (their conditions are a closed
    vocabulary): the engine's ILD reading (the case's flag, or an ILD event in the case),
    heart failure and the LVEF. Hashable, so results can be kept by it."""

    ild_history: bool
    heart_failure: bool
    lvef_percent: float | None


def contraindication_facts(case: Case, ild_history: bool) -> ContraindicationFacts:
    comorbidities = case.comorbidities
    return ContraindicationFacts(ild_history, bool(comorbidities.heart_failure), comorbidities.lvef_percent)


def applicable_contraindications(
    drugs: Sequence[str], facts: ContraindicationFacts, rules: Sequence[Contraindication]
) -> list[Contraindication]:
    """The contraindication entries that hold for this patient and these drugs."""
    held: list[Contraindication] = []
    lvef = facts.lvef_percent
    for rule in rules:
        if rule.drug not in drugs:
            continue
        if (
            (rule.condition == "ild_history" and facts.ild_history)
            or (rule.condition == "heart_failure" and facts.heart_failure)
            or (
                rule.condition == "lvef_below"
                and lvef is not None
                and rule.threshold is not None
                and lvef < rule.threshold
            )
        ):
            held.append(rule)
    return held
