"""Regional approval of a regimen for this patient, from ``approvals*.yaml``.

The status is only ever what a knowledge-base entry states:

* an entry whose conditions (PD-L1 CPS, claudin 18.2, HER2, prior drugs, number of prior
  regimens) hold: its status (approved, conditional, trial only, not approved);
* entries exist but none covers this patient: ``not_approved`` for this patient, with the
  entries' sources and the condition each falls short of;
* no entry, and the regimen is a guideline-standard backbone whose agents carry no gastric
  label in some regions: ``label_not_applicable``, with the regimen's sources;
* no entry at all: ``not_recorded`` ("check the label in force"), or ``trial_only`` for an
  investigational option. Never "not approved" for a fact the sources do not state.

Entries superseded by a later decision are kept for history and not used.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from her2gc.kb.schema import Approval, Regimen
from her2gc.kb.schema_rules import Ranking
from her2gc.therapy.eligibility import PatientFacts


@dataclass(frozen=True)
class RegionalApproval:
    status: str
    approval: Approval | None
    shortfalls: list[str] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    confirmed: bool = True


def unmet_conditions(approval: Approval, patient: PatientFacts) -> list[str]:
    """Why an approval's conditions do not hold for the patient (empty when they hold)."""
    reasons: list[str] = []
    conditions = approval.conditions
    region = approval.region
    if conditions.pdl1_cps_min is not None:
        if patient.pdl1_cps is None:
            reasons.append(f"the {region} approval requires PD-L1 CPS >= {conditions.pdl1_cps_min:g}; CPS not reported")
        elif patient.pdl1_cps < conditions.pdl1_cps_min:
            reasons.append(
                f"the {region} approval requires PD-L1 CPS >= {conditions.pdl1_cps_min:g}; CPS is {patient.pdl1_cps:g}"
            )
    if conditions.cldn18_2_min_percent is not None and (
        patient.cldn18_2_percent is None or patient.cldn18_2_percent < conditions.cldn18_2_min_percent
    ):
        reasons.append(
            f"the {region} approval requires claudin 18.2 in >= {conditions.cldn18_2_min_percent:g}% of cells"
        )
    if conditions.her2 is not None:
        # Approvals name HER2-positive disease as "positive", which is the high tier.
        statuses = (
            ["positive"]
            if patient.her2_binary == "positive"
            else sorted({"positive" if t == "high" else t for t in patient.her2_tiers})
        )
        if not all(status in conditions.her2 for status in statuses):
            reasons.append(
                f"the {region} approval covers HER2 {', '.join(conditions.her2)}; patient is {' or '.join(statuses)}"
            )
    if conditions.prior_drugs_any and not patient.prior_drugs & set(conditions.prior_drugs_any):
        reasons.append(f"the {region} approval requires prior {' or '.join(conditions.prior_drugs_any)}")
    for group in conditions.prior_drugs_each_of or []:
        if not patient.prior_drugs & set(group):
            reasons.append(f"the {region} approval requires prior {' or '.join(group)}")
    prior_regimens = patient.decision_line - 1
    if conditions.min_prior_regimens is not None and prior_regimens < conditions.min_prior_regimens:
        reasons.append(
            f"the {region} approval requires >= {conditions.min_prior_regimens} prior regimens; {prior_regimens} given"
        )
    if conditions.max_prior_regimens is not None and prior_regimens > conditions.max_prior_regimens:
        reasons.append(
            f"the {region} approval covers up to {conditions.max_prior_regimens} prior regimens; {prior_regimens} given"
        )
    return reasons


def in_force(approvals: tuple[Approval, ...], regimen_id: str, region: str | None = None) -> list[Approval]:
    """The regimen's approval entries not superseded by a later one (in one region, or all)."""
    return [
        a
        for a in approvals
        if a.regimen_id == regimen_id and a.superseded_by is None and (region is None or a.region == region)
    ]


def regional_approval(
    regimen: Regimen, approvals: tuple[Approval, ...], patient: PatientFacts, investigational: bool, ranking: Ranking
) -> RegionalApproval:
    """The status of one regimen for this patient in the patient's region."""
    candidates = in_force(approvals, regimen.id, patient.region)
    candidates.sort(key=lambda a: ranking.approval_rank(a.status))
    shortfalls: list[str] = []
    for approval in candidates:
        unmet = unmet_conditions(approval, patient)
        if not unmet:
            return RegionalApproval(approval.status, approval, [], list(approval.sources), approval.confirmed)
        shortfalls.extend(unmet)
    if candidates:
        sources = sorted({s for a in candidates for s in a.sources})
        return RegionalApproval("not_approved", None, shortfalls, sources, all(a.confirmed for a in candidates))
    if regimen.label_not_applicable is not None:
        return RegionalApproval("label_not_applicable", None, [], list(regimen.label_not_applicable.sources))
    return RegionalApproval("trial_only" if investigational else "not_recorded", None)


def approved_anywhere(approvals: tuple[Approval, ...], regimen_id: str) -> bool:
    """Whether any region's entry in force approves the regimen (fully or conditionally)."""
    return any(a.status in ("approved", "conditional") for a in in_force(approvals, regimen_id))
