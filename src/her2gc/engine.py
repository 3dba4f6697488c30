"""``evaluate(case, kb) -> Report``: the pure core.

The steps run in order (HER2 status, resistance, options, model, safety); each reads
the case, the knowledge base and earlier steps' results, and nothing else. No I/O,
no clock, no globals: the same inputs give the same report.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from pydantic import BaseModel, ConfigDict, ValidationError

from her2gc._version import __version__
from her2gc.case import Case
from her2gc.consistency import read_case_consistency
from her2gc.errors import InputError
from her2gc.her2 import assess_her2
from her2gc.kb.base import KnowledgeBase
from her2gc.report import (
    GeneratedBy,
    Her2Status,
    ModelSection,
    Option,
    Report,
    ResistanceSection,
    SafetyAction,
    SourceRef,
    Statement,
    TraceItem,
)
from her2gc.resistance import assess_resistance, cautions_for_regimen
from her2gc.runtime import Runtime, default_runtime
from her2gc.safety import manage_adverse_events, safety_cautions
from her2gc.terms import REGIONS
from her2gc.therapy import matching_tiers, options_for_line
from her2gc.validation import validation_message


class EvaluationOptions(BaseModel):
    """Choices a user can make that change the report (all recorded in its trace)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    region: str | None = None
    ish_signals_rule: bool = False
    with_model: bool = True
    model_top: int = 5


def _region(case: Case, options: EvaluationOptions) -> str:
    region = options.region or case.region
    if region is None:
        raise InputError("case.region: required (set region: US, EU, CN or JP in the case, or pass --region)")
    if region not in REGIONS:
        raise InputError(f"--region: '{region}' is not one of {', '.join(REGIONS)}")
    return region


def _clinical_notes(case: Case, tiers: Sequence[str], kb: KnowledgeBase) -> list[Statement]:
    """Statements the knowledge base attaches to features of the case (MSI-H, CPS < 1)."""
    notes: list[Statement] = []
    cps = case.pdl1.cps if case.pdl1 else None
    for note in kb.clinical_notes:
        if note.when_msi is not None and case.msi not in note.when_msi:
            continue
        if note.when_pdl1_cps_below is not None and (cps is None or cps >= note.when_pdl1_cps_below):
            continue
        if note.when_her2_tiers is not None and not set(tiers) & set(note.when_her2_tiers):
            continue
        notes.append(Statement(id=note.id, text=note.text, confirmed=note.confirmed, sources=list(note.sources)))
    return notes


def _cited(
    her2: Her2Status,
    options: Sequence[Option],
    resistance: ResistanceSection,
    safety: Sequence[SafetyAction],
    model: ModelSection | None,
    notes: Sequence[Statement],
) -> set[str]:
    """Source ids of everything the report asserts: HER2 rules, offered options (their
    approvals and cautions), matched mechanisms and their strategies, dose rules, the
    model and the knowledge base's notes."""
    ids: set[str] = set()
    for item in [*her2.trace, *resistance.trace, *(model.trace if model else [])]:
        ids.update(item.sources)
    for option in options:
        ids.update(option.sources)
        ids.update(option.approval.sources)
        for caution in option.caution_details:
            ids.update(caution.sources)
    for note in notes:
        ids.update(note.sources)
    for mechanism in resistance.mechanisms:
        ids.update(mechanism.sources)
        for strategy in mechanism.strategies:
            ids.update(strategy.sources)
    for action in safety:
        ids.update(action.sources)
    return ids


def _source_refs(ids: Iterable[str], kb: KnowledgeBase, runtime: Runtime) -> list[SourceRef]:
    # One table of every source's reference per knowledge base: a report cites dozens.
    table: dict[str, SourceRef] = runtime.singleton(
        ("source_refs", kb.sha256),
        lambda: {sid: SourceRef(id=sid, citation=s.citation, doi=s.doi) for sid, s in kb.sources.items()},
    )
    return [table[sid] for sid in sorted(ids) if sid in table]


def normalised_case(case: Case, kb: KnowledgeBase) -> Case:
    """The case with every drug and gene name checked against ``kb``'s vocabulary.

    A case read with that vocabulary (``read_case(path, kb)``) is returned as it is;
    one built without it is validated again with it, so unknown names are refused here.
    """
    if case.normalised_with(kb.vocabulary):
        return case
    try:
        return Case.model_validate(case.model_dump(by_alias=True), context={"vocabulary": kb.vocabulary})
    except ValidationError as exc:
        raise InputError(validation_message(exc, f"case {case.patient_id}")) from None


def _read_trace(accounts: Sequence[str]) -> list[TraceItem]:
    return [TraceItem(rule="input.read", conclusion=account) for account in accounts]


def _model_section(case: Case, her2: Her2Status, kb: KnowledgeBase, runtime: Runtime, top: int) -> ModelSection:
    # The model step brings the logical-model engine; imported when a report asks for it.
    from her2gc.model import model_section

    return model_section(case, her2, kb, runtime, top=top)


def evaluate(
    case: Case,
    kb: KnowledgeBase,
    options: EvaluationOptions | None = None,
    *,
    runtime: Runtime | None = None,
    read_accounts: Sequence[str] = (),
) -> Report:
    """The report for one case under one knowledge base. Pure and deterministic.

    ``runtime`` holds what repeats across cases (model screens by alteration profile);
    the process-wide default is used when none is given. It changes speed, never the report.
    ``read_accounts`` are the readers' accounts of the files merged into the case (rows read,
    used, skipped by reason); the report's trace keeps them.
    """
    options = options or EvaluationOptions()
    runtime = runtime or default_runtime()
    case = normalised_case(case, kb)
    region = _region(case, options)
    reading = read_case_consistency(case)
    her2 = assess_her2(case, kb.her2_rules, kb.ranking, use_signals_rule=options.ish_signals_rule)
    resistance: ResistanceSection = assess_resistance(
        case, kb.resistance, her2.loss_after_therapy, her2.heterogeneous, kb.ranking.strategy_status_order
    )
    therapy = options_for_line(
        case,
        her2,
        kb,
        region,
        level_for=kb.resistance.evidence_levels.oncokb_level_for,
        resistance_cautions=lambda drugs: cautions_for_regimen(list(drugs), kb.drug_classes, resistance),
        # A regimen's safety cautions depend on the knowledge base alone: once per regimen.
        safety_cautions=lambda drugs, backbones: runtime.memo(
            ("safety_cautions", kb.sha256, tuple(drugs), tuple(tuple(b) for b in backbones)),
            lambda: safety_cautions(drugs, backbones, kb.safety, kb.drug_classes),
        ),
        runtime=runtime,
        ild_history=reading.ild_history,
    )
    model = _model_section(case, her2, kb, runtime, options.model_top) if options.with_model else None
    safety, safety_warnings = manage_adverse_events(case, kb.safety, kb.drugs)
    notes = _clinical_notes(case, matching_tiers(her2), kb)
    warnings = [*reading.warnings, *safety_warnings, *resistance.warnings]
    generated_by = GeneratedBy(
        package_version=__version__,
        kb_version=kb.version,
        kb_sha256=kb.sha256,
        model_sha256=model.model_sha256 if model else None,
    )
    return Report(
        patient_id=case.patient_id,
        region=region,
        generated_by=generated_by,
        her2=her2,
        decision_line=case.decision_line,
        recommendations=therapy.options,
        excluded=therapy.excluded,
        resistance=resistance,
        model=model if model is not None else ModelSection(),
        safety=safety,
        warnings=warnings,
        notes=notes,
        trace=[*_read_trace(read_accounts), *therapy.trace],
        sources=_source_refs(_cited(her2, therapy.options, resistance, safety, model, notes), kb, runtime),
    )
