"""Options for the line being decided: eligibility, regional approval, ranking, and the
reasons for and against each, from ``recommendations.yaml`` and ``contraindications.yaml``.

Ranking puts options a contraindication demotes last and investigational options after
the rest (so a trial-only strategy never outranks standard care), then follows the
guideline category (preferred, standard, alternative), then regional approval (approved,
conditional, not approved), then the rule's priority.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from her2gc.case import Case
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.schema import Contraindication, Recommendation, Trial
from her2gc.kb.schema_rules import Ranking
from her2gc.report import ApprovalStatus, Evidence, Exclusion, Her2Status, Option, Outcome, TraceItem
from her2gc.runtime import Runtime
from her2gc.therapy.approvals import PatientFacts, regional_approval

CautionLookup = Callable[[Sequence[str]], list[str]]


@dataclass
class TherapyResult:
    options: list[Option]
    excluded: list[Exclusion]
    trace: list[TraceItem] = field(default_factory=list)


def matching_tier(her2: Her2Status) -> str:
    """The tier recommendations are matched on: a positive binary call counts as high."""
    if her2.binary == "positive":
        return "high"
    if her2.csco_tier == "unknown":
        return "none"
    return her2.csco_tier


def line_key(decision_line: int) -> int:
    """Recommendations are written for lines 1, 2 and 3 (third or later)."""
    return min(decision_line, 3)


def patient_facts(case: Case, her2: Her2Status, region: str) -> PatientFacts:
    return PatientFacts(
        region=region,
        decision_line=case.decision_line,
        her2_binary=her2.binary,
        her2_tier=matching_tier(her2),
        pdl1_cps=case.pdl1.cps if case.pdl1 else None,
        prior_drugs=case.prior_drugs(),
        msi=case.msi,
    )


def ineligibility(rec: Recommendation, patient: PatientFacts, her2: Her2Status) -> list[str]:
    """Why the patient does not meet a recommendation written for this line."""
    reasons: list[str] = []
    if patient.her2_tier not in rec.her2_tiers:
        reasons.append(
            f"needs HER2 {'/'.join(rec.her2_tiers)} (CSCO); current HER2 is {her2.binary}, tier {her2.csco_tier}"
            + (" after HER2 loss on a post-progression specimen" if her2.loss_after_therapy else "")
        )
    if rec.pdl1_cps_min is not None:
        if patient.pdl1_cps is None:
            reasons.append(f"needs PD-L1 CPS >= {rec.pdl1_cps_min:g}; CPS not reported (test PD-L1)")
        elif patient.pdl1_cps < rec.pdl1_cps_min:
            reasons.append(f"needs PD-L1 CPS >= {rec.pdl1_cps_min:g}; CPS is {patient.pdl1_cps:g}")
    if (
        rec.pdl1_cps_max_exclusive is not None
        and patient.pdl1_cps is not None
        and patient.pdl1_cps >= rec.pdl1_cps_max_exclusive
    ):
        reasons.append(f"written for PD-L1 CPS < {rec.pdl1_cps_max_exclusive:g}; CPS is {patient.pdl1_cps:g}")
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


def applicable_contraindications(
    drugs: Sequence[str], case: Case, rules: Sequence[Contraindication]
) -> list[Contraindication]:
    """The contraindication entries that hold for this patient and these drugs."""
    held: list[Contraindication] = []
    lvef = case.comorbidities.lvef_percent
    for rule in rules:
        if rule.drug not in drugs:
            continue
        if (
            (rule.condition == "ild_history" and case.comorbidities.ild_history)
            or (rule.condition == "heart_failure" and case.comorbidities.heart_failure)
            or (
                rule.condition == "lvef_below"
                and lvef is not None
                and rule.threshold is not None
                and lvef < rule.threshold
            )
        ):
            held.append(rule)
    return held


def trial_outcomes(trial: Trial, regimen_id: str) -> list[Outcome]:
    """Headline outcomes of the trial arm that gave this regimen, one per analysis (whole population)."""
    arms = {arm.id for arm in trial.arms if arm.regimen_id == regimen_id}
    by_analysis: dict[str, dict[str, object]] = {}
    for result in trial.results:
        if result.arm not in arms or result.subgroup != "all":
            continue
        row = by_analysis.setdefault(result.analysis, {})
        if result.endpoint in ("orr_pct", "pfs_months", "os_months", "pfs_hr") and result.endpoint not in row:
            row[result.endpoint] = result.value
        elif result.endpoint == "os_hr" and "os_hr" not in row:
            row["os_hr"] = result.value
            if result.ci_low is not None and result.ci_high is not None:
                row["os_hr_ci"] = [result.ci_low, result.ci_high]
    return [Outcome(trial=trial.id, analysis=analysis, **values) for analysis, values in by_analysis.items() if values]


def _outcomes(kb: KnowledgeBase, trial_id: str, regimen_id: str, runtime: Runtime) -> tuple[Outcome, ...]:
    # Outcomes depend only on the knowledge base, the trial and the regimen: computed once each.
    return runtime.memo(
        ("outcomes", kb.sha256, trial_id, regimen_id), lambda: tuple(trial_outcomes(kb.trials[trial_id], regimen_id))
    )


def _evidence(rec: Recommendation, level_for: Callable[[str], str]) -> Evidence:
    return Evidence(
        escat=rec.escat,
        level=level_for(rec.escat),
        setting=rec.evidence_setting,
        category=rec.category,
        trials=list(rec.trials),
        endorsements=list(rec.endorsements),
    )


def build_option(
    rec: Recommendation,
    case: Case,
    her2: Her2Status,
    patient: PatientFacts,
    kb: KnowledgeBase,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    runtime: Runtime,
) -> tuple[Option, bool]:
    """One offered option and whether a contraindication demotes it."""
    regimen = kb.regimens[rec.regimen_id]
    investigational = rec.category == "investigational"
    status, approval, shortfalls = regional_approval(rec.regimen_id, kb.approvals, patient, investigational, kb.ranking)
    held = applicable_contraindications(regimen.drugs, case, kb.contraindications)
    why = [rec.rationale, *rec.endorsements]
    if approval is not None:
        why.append(
            f"{approval.region}: {approval.status} — {approval.indication}"
            + ("" if approval.confirmed else " [unconfirmed]")
        )
    cautions = [*rec.cautions, *shortfalls]
    cautions += [f"{c.id}: {c.text}" + ("" if c.confirmed else " [unconfirmed]") for c in held if c.action != "exclude"]
    anti_her2 = any(kb.drugs[d].anti_her2 for d in regimen.drugs if d in kb.drugs)
    if anti_her2:
        raised = [a for a in her2.actions if a == "retest_after_progression"] + (
            ["heterogeneous"] if her2.heterogeneous else []
        )
        cautions += [c.text for c in (kb.her2_rules.option_caution(flag) for flag in raised) if c is not None]
    cautions += resistance_cautions(regimen.drugs)
    outcomes = [
        o for trial_id in rec.trials if trial_id in kb.trials for o in _outcomes(kb, trial_id, rec.regimen_id, runtime)
    ]
    option = Option(
        rank=0,
        regimen_id=rec.regimen_id,
        name=regimen.name,
        drugs=list(regimen.drugs),
        evidence=_evidence(rec, level_for),
        approval=ApprovalStatus(
            region=patient.region,
            status=status,
            indication=approval.indication if approval else None,
            approval_id=approval.id if approval else None,
            confirmed=approval.confirmed if approval else True,
        ),
        outcomes=outcomes,
        why=why,
        cautions=cautions,
        confirmed=rec.confirmed and (approval.confirmed if approval else True),
        sources=sorted(set(rec.sources) | set(regimen.sources)),
    )
    return option, any(c.action == "demote" for c in held)


def _rank_key(option: Option, demoted: bool, priority: int, ranking: Ranking) -> tuple[int, int, int, int, int, str]:
    return (
        int(demoted),
        int(option.evidence.category == "investigational"),
        ranking.rank(list(ranking.category_order), option.evidence.category),
        ranking.rank(ranking.approval_status_order, option.approval.status),
        priority,
        option.regimen_id,
    )


def options_for_line(
    case: Case,
    her2: Her2Status,
    kb: KnowledgeBase,
    region: str,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    runtime: Runtime,
) -> TherapyResult:
    """Ranked options and exclusions for ``case.decision_line`` in ``region``."""
    patient = patient_facts(case, her2, region)
    key = line_key(case.decision_line)
    offered: dict[str, tuple[Option, bool, int]] = {}
    refused: dict[str, list[str]] = {}
    trace: list[TraceItem] = []
    for rec in kb.recommendations:
        if key not in rec.lines or rec.regimen_id in offered:
            continue
        reasons = ineligibility(rec, patient, her2)
        regimen = kb.regimens[rec.regimen_id]
        excluding = [
            c for c in applicable_contraindications(regimen.drugs, case, kb.contraindications) if c.action == "exclude"
        ]
        reasons += [f"{c.id}: {c.text}" + ("" if c.confirmed else " [unconfirmed]") for c in excluding]
        trace.append(
            TraceItem(
                rule=rec.id,
                inputs={
                    "decision_line": case.decision_line,
                    "her2_tier": patient.her2_tier,
                    "pdl1_cps": patient.pdl1_cps,
                },
                conclusion="not offered: " + "; ".join(reasons) if reasons else "offered",
                sources=list(rec.sources),
                confirmed=rec.confirmed,
            )
        )
        if reasons:
            refused.setdefault(rec.regimen_id, []).extend(reasons)
            continue
        option, demoted = build_option(rec, case, her2, patient, kb, level_for, resistance_cautions, runtime)
        offered[rec.regimen_id] = (option, demoted, rec.priority)
    ranked = sorted(offered.values(), key=lambda item: _rank_key(item[0], item[1], item[2], kb.ranking))
    options = [option.model_copy(update={"rank": index + 1}) for index, (option, _, _) in enumerate(ranked)]
    excluded = [
        Exclusion(regimen_id=regimen_id, why_not=reasons)
        for regimen_id, reasons in refused.items()
        if regimen_id not in offered
    ]
    return TherapyResult(options=options, excluded=excluded, trace=trace)
