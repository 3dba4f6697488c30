"""Options for the line being decided: eligibility, regional approval, ranking, and the
reasons for and against each, from ``recommendations*.yaml`` and ``contraindications.yaml``.

Ranking (orders from ``ranking.yaml``): options whose randomised evidence missed its
primary endpoint and that no region approves come last; before them, investigational
options (a trial-only strategy never outranks standard care); among the rest, an option a
contraindication demotes comes after the others; then guideline category, regional
approval and the rule's priority decide.
"""

from __future__ import annotations

import math
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
    ContraindicationFacts,
    PatientFacts,
    applicable_contraindications,
    contraindication_facts,
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


def _contraindications(
    drugs: Sequence[str], facts: ContraindicationFacts, kb: KnowledgeBase, runtime: Runtime
) -> tuple[Contraindication, ...]:
    return runtime.memo_facts(
        ("contraindications", kb.sha256, tuple(drugs), facts),
        lambda: tuple(applicable_contraindications(drugs, facts, kb.contraindications)),
    )


def _negative_zeros(*values: float | None) -> tuple[bool, ...]:
    """Which values are -0.0: it equals 0.0 (and hashes alike) but is written "-0", so a
    memo key that holds a patient's numbers holds this too."""
    return tuple(value is not None and value == 0 and math.copysign(1.0, value) < 0 for value in values)


def _regional_approval(
    regimen_id: str, investigational: bool, patient: PatientFacts, kb: KnowledgeBase, runtime: Runtime
) -> tuple[RegionalApproval, ApprovalStatus]:
    """The regimen's approval for the patient and its report form: a function of the
    patient's facts and the knowledge base, so computed once per distinct facts."""

    def compute() -> tuple[RegionalApproval, ApprovalStatus]:
        # The regimen's entries in force in the region depend on the knowledge base alone:
        # filtered once per regimen, not over every entry per case.
        entries = runtime.memo(
            ("approvals_in_force", kb.sha256, regimen_id, patient.region),
            lambda: tuple(in_force(kb.approvals, regimen_id, patient.region)),
        )
        approval = regional_approval(kb.regimens[regimen_id], entries, patient, investigational, kb.ranking)
        return approval, _approval_status(approval, patient.region)

    signs = _negative_zeros(patient.pdl1_cps, patient.cldn18_2_percent)
    return runtime.memo_facts(("regional_approval", kb.sha256, regimen_id, investigational, patient, signs), compute)


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
    her2: Her2Status,
    patient: PatientFacts,
    contraindication: ContraindicationFacts,
    kb: KnowledgeBase,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    safety_cautions: SafetyCautionLookup,
    runtime: Runtime,
) -> tuple[OptionFields, tuple[int, int]]:
    """One offered option's fields (all but its rank), and how it is held back in the ranking
    (demoted, negative evidence). The option is built once its rank is known."""
    regimen = kb.regimens[rec.regimen_id]
    approval, status = _regional_approval(regimen.id, rec.category == "investigational", patient, kb, runtime)
    held = _contraindications(regimen.drugs, contraindication, kb, runtime)
    trials = [kb.trials[t] for t in rec.trials if t in kb.trials]
    anywhere = runtime.memo(
        ("approved_anywhere", kb.sha256, regimen.id), lambda: approved_anywhere(kb.approvals, regimen.id)
    )
    missed = [] if anywhere else [t.id for t in missed_primary_endpoint(trials)]
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
        "approval": status,
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

    Which rules offer an option depends on the patient's facts alone (:func:`_line_screen`),
    and each offered option on those facts and the cautions the resistance findings raise
    (:func:`_offered_option`): both are computed once per distinct facts. The objects are
    frozen, so reports share them.
    """
    patient = patient_facts(case, her2, region)
    contraindication = contraindication_facts(case, ild_history)
    screen = _line_screen(patient, contraindication, kb, runtime)
    offered: list[tuple[OptionFields, tuple[int, int], int]] = [
        (
            *_offered_option(
                rec, her2, patient, contraindication, kb, level_for, resistance_cautions, safety_cautions, runtime
            ),
            rec.priority,
        )
        for rec in screen.offered
    ]
    ranked = sorted(offered, key=lambda item: (_rank_key(item[0], item[1], item[2], kb.ranking), item[0]["regimen_id"]))
    options = [_ranked_option(fields, index + 1, runtime) for index, (fields, _, _) in enumerate(ranked)]
    return TherapyResult(options=options, excluded=list(screen.excluded), trace=list(screen.trace))


@dataclass(frozen=True)
class _LineScreen:
    """The rules of the line for one patient's facts: the trace, the rules that offer an
    option (first rule per regimen), the regimens not offered and why."""

    trace: tuple[TraceItem, ...]
    offered: tuple[Recommendation, ...]
    excluded: tuple[Exclusion, ...]


def _line_screen(
    patient: PatientFacts, contraindication: ContraindicationFacts, kb: KnowledgeBase, runtime: Runtime
) -> _LineScreen:
    # The rules read the patient's facts and what the contraindications read, nothing else.
    key = (
        "line_screen",
        kb.sha256,
        patient,
        contraindication,
        _negative_zeros(patient.pdl1_cps, patient.cldn18_2_percent),
    )
    return runtime.memo_facts(key, lambda: _screen_rules(patient, contraindication, kb, runtime))


def _screen_rules(
    patient: PatientFacts, contraindication: ContraindicationFacts, kb: KnowledgeBase, runtime: Runtime
) -> _LineScreen:
    key = line_key(patient.decision_line)
    offered: dict[str, Recommendation] = {}
    refused: dict[str, list[list[str]]] = {}
    trace: list[TraceItem] = []
    for rec in kb.recommendations:
        if key not in rec.lines or rec.regimen_id in offered:
            continue
        reasons = ineligibility(rec, patient)
        regimen = kb.regimens[rec.regimen_id]
        held = _contraindications(regimen.drugs, contraindication, kb, runtime)
        reasons += [c.text for c in held if c.action == "exclude"]
        trace.append(
            TraceItem(
                rule=rec.id,
                inputs={
                    "decision_line": patient.decision_line,
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
        offered[rec.regimen_id] = rec
    # A regimen written by several rules (by region, by CPS) is not offered for the reasons
    # of the rule it came closest to meeting: the fewest reasons.
    excluded = tuple(
        Exclusion(regimen_id=regimen_id, why_not=list(dict.fromkeys(_closest(lists))))
        for regimen_id, lists in refused.items()
        if regimen_id not in offered
    )
    return _LineScreen(tuple(trace), tuple(offered.values()), excluded)


def _offered_option(
    rec: Recommendation,
    her2: Her2Status,
    patient: PatientFacts,
    contraindication: ContraindicationFacts,
    kb: KnowledgeBase,
    level_for: Callable[[str], str],
    resistance_cautions: CautionLookup,
    safety_cautions: SafetyCautionLookup,
    runtime: Runtime,
) -> tuple[OptionFields, tuple[int, int]]:
    """:func:`build_option`, once per distinct value of what it reads: the patient's facts,
    the HER2 actions and heterogeneity (cautions), what the contraindications read, and
    the cautions the resistance findings raise for the regimen's drugs."""
    resistance = resistance_cautions(kb.regimens[rec.regimen_id].drugs)
    key = (
        "offered_option",
        kb.sha256,
        rec.id,
        patient,
        contraindication,
        tuple(her2.actions),
        her2.heterogeneous,
        _negative_zeros(patient.pdl1_cps, patient.cldn18_2_percent),
        tuple((c.id, c.kind, c.text, c.confirmed, tuple(c.sources), c.finding, tuple(c.drugs)) for c in resistance),
    )
    return runtime.memo_facts(
        key,
        lambda: build_option(
            rec, her2, patient, contraindication, kb, level_for, lambda _: list(resistance), safety_cautions, runtime
        ),
    )


def _ranked_option(fields: OptionFields, rank: int, runtime: Runtime) -> Option:
    """The option of ``fields`` at ``rank``, built once per fields and rank. Keyed by the
    fields' identity (they are never changed): the entry keeps them alive, so no other
    object can take that identity while it is there."""
    kept = runtime.memo_facts(("ranked_option", id(fields), rank), lambda: (fields, Option(rank=rank, **fields)))
    return kept[1] if kept[0] is fields else Option(rank=rank, **fields)
