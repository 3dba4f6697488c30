"""Options for the line being decided: eligibility, regional approval, ranking, and the
reasons for and against each, from ``recommendations*.yaml`` and ``contraindications.yaml``.

Ranking (orders from ``ranking.yaml``): options whose randomised evidence missed its
primary endpoint and that no region approves come last; before them, investigational
options (a trial-only strategy never outranks standard care); among the rest, an option a
contraindication demotes comes after the others; then guideline category, regional
approval and the rule's priority decide.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from her2gc.case import Case
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.schema import Contraindication, Recommendation
from her2gc.kb.schema_rules import Ranking
from her2gc.report import (
    ApprovalStatus,
    Evidence,
    Exclusion,
    Her2Status,
    Option,
    OptionCaution,
    Outcome,
    TraceItem,
)
from her2gc.runtime import Runtime
from her2gc.therapy.approvals import RegionalApproval, approved_anywhere, in_force, regional_approval
from her2gc.therapy.eligibility import (
    PatientFacts,
    applicable_contraindications,
    ineligibility,
    matching_tiers,
    patient_facts,
)
from her2gc.therapy.evidence import missed_primary_endpoint, trial_outcomes

__all__ = ["TherapyResult", "matching_tiers", "options_for_line"]

# An option's fields but its rank, which the ranking of all the line's options gives.
OptionFields = dict[str, Any]
CautionLookup = Callable[[Sequence[str]], list[OptionCaution]]
# The safety cautions of an option: its agents and its accepted chemotherapy backbones.
SafetyCautionLookup = Callable[[Sequence[str], Sequence[Sequence[str]]], list[OptionCaution]]


@dataclass
class TherapyResult:
    options: list[Option]
    excluded: list[Exclusion]
    trace: list[TraceItem] = field(default_factory=list)


def line_key(decision_line: int) -> int:
    """Recommendations are written for lines 1, 2 and 3 (third or later)."""
    return min(decision_line, 3)


def _outcomes(
    kb: KnowledgeBase, trial_id: str, regimen_id: str, tiers: tuple[str, ...], runtime: Runtime
) -> tuple[Outcome, ...]:
    # Outcomes depend only on the knowledge base, the trial, the regimen and the tiers: computed once each.
    return runtime.memo(
        ("outcomes", kb.sha256, trial_id, regimen_id, tiers),
        lambda: tuple(trial_outcomes(kb.trials[trial_id], regimen_id, tiers)),
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


def _approval_status(approval: RegionalApproval, region: str) -> ApprovalStatus:
    return ApprovalStatus(
        region=region,
        status=approval.status,
        indication=approval.approval.indication if approval.approval else None,
        approval_id=approval.approval.id if approval.approval else None,
        confirmed=approval.confirmed,
        sources=list(approval.sources),
    )


def _cautions(
    rec: Recommendation,
    region: str,
    her2: Her2Status,
    approval: RegionalApproval,
    kb: KnowledgeBase,
    held: Sequence[Contraindication],
    missed: Sequence[str],
) -> list[OptionCaution]:
    regimen = kb.regimens[rec.regimen_id]
    cautions = [
        OptionCaution(id=c.id, kind="recommendation", text=c.text, confirmed=c.confirmed, sources=list(c.sources))
        for c in rec.cautions
        if c.regions is None or region in c.regions
    ]
    cautions += [
        OptionCaution(id=f"approval-{i + 1}", kind="approval", text=text, sources=list(approval.sources))
        for i, text in enumerate(approval.shortfalls)
    ]
    for rule in held:
        if rule.action != "exclude":
            cautions.append(
                OptionCaution(
                    id=rule.id,
                    kind="contraindication",
                    text=rule.text,
                    confirmed=rule.confirmed,
                    sources=list(rule.sources),
                )
            )
    if any(kb.drugs[d].anti_her2 for d in regimen.drugs if d in kb.drugs):
        raised = [a for a in her2.actions if a == "retest_after_progression"]
        raised += ["heterogeneous"] if her2.heterogeneous else []
        for flag in raised:
            text = kb.her2_rules.option_caution(flag)
            if text is not None:
                cautions.append(
                    OptionCaution(
                        id=text.id, kind="her2", text=text.text, confirmed=text.confirmed, sources=list(text.sources)
                    )
                )
    for trial_id in missed:
        trial = kb.trials[trial_id]
        cautions.append(
            OptionCaution(
                id=f"missed-primary-endpoint-{trial.id}",
                kind="evidence",
                text=f"{trial.name} missed its primary endpoint ({trial.primary_endpoint}) and no region's approval is recorded",
                sources=list(trial.sources),
            )
        )
    return cautions


def build_option(
    rec: Recommendation,
    case: Case,
    her2: Her2Status,
    patient: PatientFacts,
    kb: KnowledgeBase,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    safety_cautions: SafetyCautionLookup,
    runtime: Runtime,
    ild_history: bool,
) -> tuple[OptionFields, tuple[int, int]]:
    """One offered option's fields (all but its rank), and how it is held back in the ranking
    (demoted, negative evidence). The option is built once its rank is known."""
    regimen = kb.regimens[rec.regimen_id]
    # The regimen's entries in force in the region, and whether any region approves it, depend
    # on the knowledge base alone: filtered once per regimen, not over every entry per case.
    regional_entries = runtime.memo(
        ("approvals_in_force", kb.sha256, regimen.id, patient.region),
        lambda: tuple(in_force(kb.approvals, regimen.id, patient.region)),
    )
    approval = regional_approval(regimen, regional_entries, patient, rec.category == "investigational", kb.ranking)
    held = applicable_contraindications(regimen.drugs, case, kb.contraindications, ild_history)
    trials = [kb.trials[t] for t in rec.trials if t in kb.trials]
    approved = runtime.memo(
        ("approved_anywhere", kb.sha256, regimen.id), lambda: approved_anywhere(kb.approvals, regimen.id)
    )
    missed = [] if approved else [t.id for t in missed_primary_endpoint(trials)]
    why = [rec.rationale, *rec.endorsements]
    if approval.approval is not None:
        why.append(f"{approval.approval.region}: {approval.status} — {approval.approval.indication}")
    cautions = _cautions(rec, patient.region, her2, approval, kb, held, missed) + resistance_cautions(regimen.drugs)
    cautions += safety_cautions(regimen.drugs, regimen.chemotherapy_options)
    outcomes = [o for trial in trials for o in _outcomes(kb, trial.id, rec.regimen_id, patient.her2_tiers, runtime)]
    option = {
        "regimen_id": rec.regimen_id,
        "name": regimen.name,
        "drugs": list(regimen.drugs),
        "evidence": runtime.memo(("evidence", kb.sha256, rec.id), lambda: _evidence(rec, level_for)),
        "approval": _approval_status(approval, patient.region),
        "outcomes": outcomes,
        "why": why,
        "cautions": [c.text for c in cautions],
        "caution_details": cautions,
        "missed_primary_endpoint": missed,
        "confirmed": rec.confirmed and approval.confirmed,
        "sources": sorted(set(rec.sources) | set(regimen.sources)),
    }
    return option, (int(any(c.action == "demote" for c in held)), int(bool(missed)))


def _rank_key(option: OptionFields, held_back: tuple[int, int], priority: int, ranking: Ranking) -> tuple[int, ...]:
    demoted, negative = held_back
    evidence: Evidence = option["evidence"]
    approval: ApprovalStatus = option["approval"]
    return (
        negative,
        int(evidence.category == "investigational"),
        demoted,
        ranking.rank(list(ranking.category_order), evidence.category),
        ranking.approval_rank(approval.status),
        priority,
    )


def _closest(reason_lists: list[list[str]]) -> list[str]:
    _, index = min((len(reasons), i) for i, reasons in enumerate(reason_lists))
    return reason_lists[index]


def options_for_line(
    case: Case,
    her2: Her2Status,
    kb: KnowledgeBase,
    region: str,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    safety_cautions: SafetyCautionLookup,
    runtime: Runtime,
    ild_history: bool,
) -> TherapyResult:
    """Ranked options and exclusions for ``case.decision_line`` in ``region``.

    ``ild_history`` is the engine's reading of the case (the flag, or an ILD event).
    """
    patient = patient_facts(case, her2, region)
    key = line_key(case.decision_line)
    offered: dict[str, tuple[OptionFields, tuple[int, int], int]] = {}
    refused: dict[str, list[list[str]]] = {}
    trace: list[TraceItem] = []
    for rec in kb.recommendations:
        if key not in rec.lines or rec.regimen_id in offered:
            continue
        reasons = ineligibility(rec, patient, her2)
        regimen = kb.regimens[rec.regimen_id]
        held = applicable_contraindications(regimen.drugs, case, kb.contraindications, ild_history)
        reasons += [c.text for c in held if c.action == "exclude"]
        trace.append(
            TraceItem(
                rule=rec.id,
                inputs={
                    "decision_line": case.decision_line,
                    "her2_tiers": list(patient.her2_tiers),
                    "pdl1_cps": patient.pdl1_cps,
                },
                conclusion="not offered: " + "; ".join(reasons) if reasons else "offered",
                sources=list(rec.sources),
                confirmed=rec.confirmed,
            )
        )
        if reasons:
            refused.setdefault(rec.regimen_id, []).append(reasons)
            continue
        option, held_back = build_option(
            rec, case, her2, patient, kb, level_for, resistance_cautions, safety_cautions, runtime, ild_history
        )
        offered[rec.regimen_id] = (option, held_back, rec.priority)
    ranked = sorted(
        offered.values(), key=lambda item: (_rank_key(item[0], item[1], item[2], kb.ranking), item[0]["regimen_id"])
    )
    options = [Option(rank=index + 1, **fields) for index, (fields, _, _) in enumerate(ranked)]
    # A regimen written by several rules (by region, by CPS) is not offered for the reasons
    # of the rule it came closest to meeting: the fewest reasons.
    excluded = [
        Exclusion(regimen_id=regimen_id, why_not=list(dict.fromkeys(_closest(lists))))
        for regimen_id, lists in refused.items()
        if regimen_id not in offered
    ]
    return TherapyResult(options=options, excluded=excluded, trace=trace)
