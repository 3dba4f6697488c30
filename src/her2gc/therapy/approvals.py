"""Regional approval of a regimen for this patient, from ``approvals.yaml``.

An approval counts only when its conditions (PD-L1 CPS, HER2 status, prior drugs,
number of prior regimens) hold for the patient; otherwise the option is shown as not
approved, with the approval it falls short of named in the reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from her2gc.kb.schema import Approval
from her2gc.kb.schema_rules import Ranking


@dataclass(frozen=True)
class PatientFacts:
    """What approval conditions and recommendation rules read about the patient."""

    region: str
    decision_line: int
    her2_binary: str
    her2_tier: str
    pdl1_cps: float | None
    prior_drugs: frozenset[str]
    msi: str


def unmet_conditions(approval: Approval, patient: PatientFacts) -> list[str]:
    """Why an approval's conditions do not hold for the patient (empty when they hold)."""
    reasons: list[str] = []
    conditions = approval.conditions
    if conditions.pdl1_cps_min is not None:
        if patient.pdl1_cps is None:
            reasons.append(
                f"the {approval.region} approval requires PD-L1 CPS >= {conditions.pdl1_cps_min:g}; CPS not reported"
            )
        elif patient.pdl1_cps < conditions.pdl1_cps_min:
            reasons.append(
                f"the {approval.region} approval requires PD-L1 CPS >= {conditions.pdl1_cps_min:g}; CPS is {patient.pdl1_cps:g}"
            )
    if conditions.her2 is not None:
        status = "positive" if patient.her2_binary == "positive" else patient.her2_tier
        if status not in conditions.her2:
            reasons.append(
                f"the {approval.region} approval covers HER2 {', '.join(conditions.her2)}; patient is {status}"
            )
    if conditions.prior_drugs_any and not patient.prior_drugs & set(conditions.prior_drugs_any):
        reasons.append(f"the {approval.region} approval requires prior {' or '.join(conditions.prior_drugs_any)}")
    prior_regimens = patient.decision_line - 1
    if conditions.min_prior_regimens is not None and prior_regimens < conditions.min_prior_regimens:
        reasons.append(
            f"the {approval.region} approval requires >= {conditions.min_prior_regimens} prior regimens; {prior_regimens} given"
        )
    return reasons


def regional_approval(
    regimen_id: str, approvals: tuple[Approval, ...], patient: PatientFacts, investigational: bool, ranking: Ranking
) -> tuple[str, Approval | None, list[str]]:
    """(status, the approval that applies, reasons) for one regimen in the patient's region."""
    candidates = [a for a in approvals if a.regimen_id == regimen_id and a.region == patient.region]
    candidates.sort(key=lambda a: ranking.rank(ranking.approval_status_order, a.status))
    shortfalls: list[str] = []
    for approval in candidates:
        unmet = unmet_conditions(approval, patient)
        if not unmet:
            return approval.status, approval, []
        shortfalls.extend(unmet)
    if candidates and not shortfalls:
        return candidates[0].status, candidates[0], []
    fallback = "trial_only" if investigational else "not_approved"
    if not candidates:
        shortfalls.append(f"no {patient.region} approval for this regimen is recorded in the knowledge base")
    return fallback, None, shortfalls
