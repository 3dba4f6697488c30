"""Resistance: which mechanisms of anti-HER2 failure a case's findings point to.

Alterations (tissue and plasma), ctDNA variants, HER2 events decided by the HER2 step
(loss after therapy, heterogeneity), the ctDNA pattern and ncRNA findings are matched
to ``mechanisms.yaml`` and ``ncrna.yaml`` (seeds 000-003). Every finding carries its
level (evidence_levels.yaml), its evidence setting and the
strategies the seeds name, approved ones first: strategies in trials or preclinical are
listed as such and never ranked above approved standard care. Pure functions; no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from her2gc.case import Alteration, Case
from her2gc.kb.resistance_index import fold_ncrna_name
from her2gc.kb.schema_resistance import (
    Affect,
    CtdnaIndicator,
    GeneIndicator,
    Her2EventIndicator,
    Mechanism,
    NcrnaEntry,
    ResistanceKnowledge,
    Strategy,
)
from her2gc.report import ActionDetail, MechanismFinding, OptionCaution, ResistanceSection, TraceItem, Warning
from her2gc.report import Strategy as ReportStrategy
from her2gc.resistance.ctdna import CtdnaAssessment, assess_ctdna, ctdna_actions

# The action that says trial-only strategies do not replace standard care (ctdna_patterns.yaml).
TRIAL_ONLY_ACTION = "investigational_strategy_trial_only"


@dataclass
class _Match:
    """What matched one mechanism: finding labels, and whether anything beyond ncRNA did."""

    labels: list[str] = field(default_factory=list)
    non_ncrna: bool = False
    confirmed: bool = True

    def add(self, label: str, *, ncrna: bool = False, confirmed: bool = True) -> None:
        if label not in self.labels:
            self.labels.append(label)
        self.non_ncrna = self.non_ncrna or not ncrna
        self.confirmed = self.confirmed and confirmed


def _indicator_accepts(indicator: GeneIndicator, source: str, copy_number: float | None) -> bool:
    """Sample source and copy-number floor of an indicator (mechanisms.yaml)."""
    if indicator.source not in ("any", source):
        return False
    return not (
        indicator.min_copy_number is not None and (copy_number is None or copy_number < indicator.min_copy_number)
    )


def _alteration_label(alteration: Alteration) -> str:
    label = alteration.label()
    return f"{label} (plasma)" if alteration.source == "plasma" else label


def _match_alterations(case: Case, kb: ResistanceKnowledge, matches: dict[str, _Match]) -> None:
    """Tissue and plasma alterations, then ctDNA variants (plasma mutations), against gene indicators."""
    for alteration in case.alterations:
        for mechanism_id, indicator in kb.index.hits(alteration.gene, alteration.kind, alteration.protein_change):
            if _indicator_accepts(indicator, alteration.source, alteration.copy_number):
                matches.setdefault(mechanism_id, _Match()).add(
                    _alteration_label(alteration), confirmed=indicator.confirmed
                )
    for point in case.ctdna:
        for variant in point.variants:
            if variant.vaf <= 0:
                continue
            label = f"{variant.gene} {variant.protein_change or 'mut'} (plasma {point.date.isoformat()})"
            for mechanism_id, indicator in kb.index.hits(variant.gene, "mut", variant.protein_change):
                if _indicator_accepts(indicator, "plasma", None):
                    matches.setdefault(mechanism_id, _Match()).add(label, confirmed=indicator.confirmed)


def _match_events(
    kb: ResistanceKnowledge, events: dict[str, bool], ctdna: CtdnaAssessment, matches: dict[str, _Match]
) -> None:
    """HER2 events from the HER2 step and ctDNA patterns against event indicators."""
    for mechanism in kb.mechanisms:
        for indicator in mechanism.indicators:
            if isinstance(indicator, Her2EventIndicator) and events.get(indicator.her2_event):
                matches.setdefault(mechanism.id, _Match()).add(f"HER2 {indicator.her2_event.replace('_', ' ')}")
            elif isinstance(indicator, CtdnaIndicator) and indicator.ctdna_pattern in ctdna.indicates:
                matches.setdefault(mechanism.id, _Match()).add(f"plasma ERBB2 copy number {indicator.ctdna_pattern}")


def _ncrna_trace(name: str, conclusion: str, entry: NcrnaEntry | None, confirmed: bool = True) -> TraceItem:
    return TraceItem(
        rule=f"resistance.ncrna.{entry.id if entry else fold_ncrna_name(name)}",
        inputs={"ncrna": name},
        conclusion=conclusion,
        sources=list(entry.sources) if entry else [],
        confirmed=confirmed,
    )


def _match_ncrna(
    case: Case, kb: ResistanceKnowledge, matches: dict[str, _Match], warnings: list[Warning], trace: list[TraceItem]
) -> list[tuple[NcrnaEntry, str]]:
    """ncRNA findings: linked mechanisms get a preclinical label; the rest become own hypotheses.

    Unknown names are reported as warnings (never dropped silently); a finding in the
    sensitising direction, or for an ncRNA whose direction the seed does not state,
    yields no resistance hypothesis and says why in the trace.
    """
    standalone: list[tuple[NcrnaEntry, str]] = []
    for index, finding in enumerate(case.ncrna):
        entry = kb.ncrna_by_name.get(fold_ncrna_name(finding.name))
        label = f"{finding.name} {finding.direction}"
        if entry is None:
            warnings.append(
                Warning(
                    code="unknown_ncrna",
                    message=f"ncRNA '{finding.name}' is not in the knowledge base; no resistance hypothesis drawn from it",
                    fields=[f"case.ncrna[{index}].name"],
                )
            )
            trace.append(_ncrna_trace(finding.name, "unknown ncRNA: not interpreted", None))
            continue
        if entry.resistance_direction is None:
            conclusion = f"{entry.name}: the source gives no direction of effect; no hypothesis drawn"
            trace.append(_ncrna_trace(label, conclusion, entry))
            continue
        if finding.direction != entry.resistance_direction:
            conclusion = f"{entry.name} {finding.direction} is the sensitising direction; no resistance hypothesis"
            trace.append(_ncrna_trace(label, conclusion, entry))
            continue
        linked = kb.mechanisms_by_ncrna.get((entry.id, finding.direction), ())
        for mechanism_id in linked:
            matches.setdefault(mechanism_id, _Match()).add(f"{label} (ncRNA, preclinical)", ncrna=True)
        if not linked:
            standalone.append((entry, finding.direction))
        basis = "" if entry.direction_basis == "stated" else " (direction inferred from its sensitising effect)"
        conclusion = (
            f"{entry.name} {finding.direction}: preclinical hypothesis via {entry.pathway}{basis}; {entry.tumour_note}"
        )
        trace.append(_ncrna_trace(label, conclusion, entry, confirmed=entry.direction_basis == "stated"))
    return standalone


def _strategies(strategies: Iterable[Strategy], order: Sequence[str]) -> list[ReportStrategy]:
    """Report strategies, approved first (a stable sort keeps the source's order within a status)."""
    ordered = sorted(strategies, key=lambda s: list(order).index(s.status))
    return [
        ReportStrategy(
            id=strategy.id,
            description=strategy.description,
            drugs=list(strategy.drugs),
            drug_class=strategy.drug_class,
            drugs_are_examples=bool(strategy.drugs) and not strategy.drugs_named_by_seed,
            status=strategy.status,
            escat=strategy.escat,
            confirmed=strategy.confirmed,
            sources=list(strategy.sources),
        )
        for strategy in ordered
    ]


def _affected(affects: Iterable[Affect]) -> list[str]:
    names: list[str] = []
    for affect in affects:
        for name in [*affect.drugs, *affect.drug_classes]:
            if name not in names:
                names.append(name)
    return names


def _mechanism_finding(
    mechanism: Mechanism, match: _Match, kb: ResistanceKnowledge, order: Sequence[str]
) -> MechanismFinding:
    """A matched mechanism; matched by ncRNA alone, it takes the ncRNA findings' level whatever its own."""
    ncrna = kb.evidence_levels.ncrna_findings
    level = mechanism.resistance_level if match.non_ncrna else ncrna.level
    setting = mechanism.evidence_setting if match.non_ncrna else ncrna.evidence_setting
    return MechanismFinding(
        id=mechanism.id,
        name=mechanism.name,
        class_=mechanism.class_,
        alterations=list(match.labels),
        level=level,
        evidence_setting=setting,
        affects=_affected(mechanism.affects),
        strategies=_strategies(mechanism.strategies, order),
        sources=list(mechanism.sources),
    )


def _ncrna_finding(
    entry: NcrnaEntry, direction: str, kb: ResistanceKnowledge, order: Sequence[str]
) -> MechanismFinding:
    ncrna = kb.evidence_levels.ncrna_findings
    return MechanismFinding(
        id=f"ncrna_{entry.id}",
        name=f"{entry.name} {direction}: {entry.pathway} (ncRNA, preclinical hypothesis)",
        class_=entry.mechanism_class,
        alterations=[f"{entry.name} {direction}"],
        level=ncrna.level,
        evidence_setting=ncrna.evidence_setting,
        affects=_affected(entry.affects),
        strategies=_strategies(entry.strategies, order),
        sources=list(entry.sources),
    )


def _mechanism_trace(finding: MechanismFinding, mechanism: Mechanism, match: _Match) -> TraceItem:
    return TraceItem(
        rule=f"resistance.mechanism.{mechanism.id}",
        inputs={"matched": list(match.labels)},
        conclusion=(
            f"{mechanism.name}: {finding.level} ({finding.evidence_setting}); "
            f"may reduce the benefit of {', '.join(finding.affects)}"
        ),
        sources=list(mechanism.sources),
        confirmed=mechanism.confirmed and match.confirmed,
    )


def _section_actions(
    ctdna_action_ids: list[str], findings: list[MechanismFinding], kb: ResistanceKnowledge
) -> list[str]:
    """ctDNA actions, then the matched mechanisms' actions, then the trial-only note when it applies."""
    ids = list(ctdna_action_ids)
    for finding in findings:
        mechanism = kb.mechanisms_by_id.get(finding.id)
        ids += list(mechanism.actions) if mechanism else []
    if any(s.status != "approved" for f in findings for s in f.strategies):
        ids.append(TRIAL_ONLY_ACTION)
    return list(dict.fromkeys(ids))


def assess_resistance(
    case: Case,
    kb_resistance: ResistanceKnowledge,
    her2_loss_after_therapy: bool,
    her2_heterogeneous: bool,
    strategy_order: Sequence[str],
) -> ResistanceSection:
    """The report's ``resistance`` section for one case.

    ``her2_loss_after_therapy`` and ``her2_heterogeneous`` come from the HER2 step
    (positive before anti-HER2 therapy and negative on a later specimen; heterogeneous
    staining). Findings are ordered strongest level first (evidence_levels.yaml), then
    in the order of mechanisms.yaml; ncRNA-only hypotheses come last.
    """
    kb = kb_resistance
    warnings: list[Warning] = []
    trace: list[TraceItem] = []
    ctdna = assess_ctdna(case, kb.ctdna_patterns)
    matches: dict[str, _Match] = {}
    _match_alterations(case, kb, matches)
    _match_events(
        kb, {"loss_after_therapy": her2_loss_after_therapy, "heterogeneous": her2_heterogeneous}, ctdna, matches
    )
    standalone = _match_ncrna(case, kb, matches, warnings, trace)
    findings: list[MechanismFinding] = []
    for mechanism in kb.mechanisms:
        match = matches.get(mechanism.id)
        if match is not None:
            finding = _mechanism_finding(mechanism, match, kb, strategy_order)
            findings.append(finding)
            trace.append(_mechanism_trace(finding, mechanism, match))
    findings.sort(key=lambda f: kb.evidence_levels.resistance_rank(f.level))
    findings += [_ncrna_finding(entry, direction, kb, strategy_order) for entry, direction in standalone]
    if findings:
        trace.append(
            TraceItem(
                rule="resistance.strategy_order",
                inputs={"strategies": sum(len(f.strategies) for f in findings)},
                conclusion=(
                    "strategies listed approved first; those in trials or preclinical are trial-only "
                    "and never ranked above approved standard care"
                ),
                sources=list(kb.actions_by_id[TRIAL_ONLY_ACTION].sources),
            )
        )
    action_ids = _section_actions(ctdna_actions(ctdna, kb.ctdna_patterns), findings, kb)
    return ResistanceSection(
        mechanisms=findings,
        ctdna_pattern=ctdna.pattern,
        ctdna=ctdna.reading,
        actions=action_ids,
        action_details=[
            ActionDetail(id=a, text=kb.actions_by_id[a].text, confirmed=kb.actions_by_id[a].confirmed)
            for a in action_ids
            if a in kb.actions_by_id
        ],
        warnings=warnings,
        trace=[*ctdna.trace, *trace],
    )


def mechanism_ids_for(
    gene: str, kind: str, protein_change: str | None, kb_resistance: ResistanceKnowledge
) -> list[str]:
    """Mechanism ids an alteration can indicate (``her2gc annotate``): an O(1) index lookup.

    Sample source and copy-number floors are not applied: an annotation row is one
    alteration out of clinical context, and the report applies them per case.
    """
    return list(kb_resistance.index.mechanism_ids(gene, kind, protein_change))


def cautions_for_regimen(
    drugs: list[str], drug_classes: Mapping[str, str], findings: ResistanceSection
) -> list[OptionCaution]:
    """Cautions for an option whose drugs a matched mechanism affects, one per mechanism.

    ``drug_classes`` maps a drug (INN) to its class label, so a mechanism that names a
    class in ``affects`` reaches every drug of it.
    """
    cautions = []
    for finding in findings.mechanisms:
        hit = [d for d in drugs if d in finding.affects or drug_classes.get(d) in finding.affects]
        if hit:
            said = (
                f"{finding.name} ({finding.level}, {finding.evidence_setting}; found: {', '.join(finding.alterations)})"
            )
            cautions.append(
                OptionCaution(
                    id=finding.id,
                    kind="resistance",
                    text=f"{said} may reduce the benefit of {', '.join(hit)}",
                    sources=list(finding.sources),
                    finding=said,
                    drugs=hit,
                )
            )
    return cautions
