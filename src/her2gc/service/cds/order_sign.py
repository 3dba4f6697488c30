"""``order-sign``: each drug being signed, checked against the patient's report.

For every draft MedicationRequest (``context.draftOrders``) whose medication is a drug of
the knowledge base, in this order of weight:

1. the dose rules for the recorded adverse events (the report's ``safety``): a rule that
   discontinues the drug is critical, one that holds it a warning, a reduction a warning
   with the reduced dose as an update suggestion;
2. the dose ladder of ``safety.yaml``: a dose off the ladder, above the starting dose, or
   above the dose in use;
3. the contraindications of ``contraindications.yaml``: ``exclude`` critical, ``demote``
   and ``caution`` warnings;
4. HER2 status and the line: an anti-HER2 drug for a HER2 tier no recommendation for it
   names is a warning (trastuzumab for HER2 IHC 0), as is a drug whose regimens the
   report excludes for this line; for an offered drug, the regional approval.

One card per drug, with the weightiest finding as its summary. Where the report offers
alternatives that its drugs fully define (no chemotherapy backbone to choose), they come
as suggestions that replace the draft order, ``selectionBehavior: at-most-one``.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from her2gc.case import Case
from her2gc.consistency import read_case_consistency
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.vocabulary import fold_drug_name
from her2gc.report import Option, Report
from her2gc.service.cds.cards import (
    DISCLAIMER,
    card_uuid,
    escat,
    event_words,
    fit,
    report_links,
    safety_text,
    source_for,
)
from her2gc.service.cds.models import Action, Card, Suggestion
from her2gc.service.fhir_bridge import resources_of
from her2gc.therapy.eligibility import applicable_contraindications, contraindication_facts, matching_tiers

Indicator = Literal["info", "warning", "critical"]
WEIGHT = {"info": 0, "warning": 1, "critical": 2}
MAX_ALTERNATIVES = 3


@dataclass(frozen=True)
class DraftDrug:
    inn: str
    request: dict[str, Any]
    dose_mg_per_kg: float | None

    @property
    def reference(self) -> str | None:
        request_id = self.request.get("id")
        return f"MedicationRequest/{request_id}" if isinstance(request_id, str) and request_id else None


@dataclass(frozen=True)
class Finding:
    indicator: Indicator
    text: str
    alternatives: bool = False
    dose_update: float | None = None


class DrugMatcher:
    """Finds the knowledge base's drug in a medication's text or display (longest name first)."""

    def __init__(self, kb: KnowledgeBase) -> None:
        spellings: dict[str, str] = {}
        for inn, drug in kb.drugs.items():
            for spelling in (inn, *drug.aliases):
                spellings.setdefault(fold_drug_name(spelling), inn)
        self._inn = spellings
        names = sorted(spellings, key=len, reverse=True)
        self._pattern = re.compile(r"(?<![\w])(" + "|".join(re.escape(name) for name in names) + r")(?![\w])")

    def find(self, text: str) -> str | None:
        match = self._pattern.search(fold_drug_name(text))
        return self._inn[match.group(1)] if match else None


def _medication_texts(request: dict[str, Any]) -> list[str]:
    concept = request.get("medicationCodeableConcept")
    reference = (request.get("medicationReference") or {}).get("reference")
    if concept is None and isinstance(reference, str) and reference.startswith("#"):
        contained = next(
            (r for r in request.get("contained", []) if isinstance(r, dict) and r.get("id") == reference[1:]), {}
        )
        concept = contained.get("code")
    if not isinstance(concept, dict):
        return []
    texts = [concept.get("text")] + [
        coding.get("display") for coding in concept.get("coding", []) if isinstance(coding, dict)
    ]
    return [text for text in texts if isinstance(text, str) and text.strip()]


def _dose_mg_per_kg(request: dict[str, Any]) -> float | None:
    for dosage in request.get("dosageInstruction") or []:
        for dose_and_rate in (dosage.get("doseAndRate") or []) if isinstance(dosage, dict) else []:
            quantity = dose_and_rate.get("doseQuantity") if isinstance(dose_and_rate, dict) else None
            if (
                isinstance(quantity, dict)
                and str(quantity.get("code") or quantity.get("unit") or "").replace(" ", "").lower() == "mg/kg"
            ):
                value = quantity.get("value")
                if isinstance(value, (int, float)) and not isinstance(value, bool):
                    return float(value)
    return None


def drugs_being_signed(context: Mapping[str, Any], matcher: DrugMatcher) -> tuple[list[DraftDrug], int]:
    """The knowledge-base drugs of the draft MedicationRequests, and how many orders named none."""
    drafts: list[DraftDrug] = []
    unmatched = 0
    for resource in resources_of(context.get("draftOrders")):
        if resource.get("resourceType") != "MedicationRequest":
            continue
        inn = next((found for text in _medication_texts(resource) if (found := matcher.find(text))), None)
        if inn is None:
            unmatched += 1
            continue
        drafts.append(DraftDrug(inn=inn, request=resource, dose_mg_per_kg=_dose_mg_per_kg(resource)))
    return drafts, unmatched


def _grade(grade: int | None) -> str:
    return f" grade {grade}" if grade is not None else ""


def safety_findings(draft: DraftDrug, report: Report) -> list[Finding]:
    findings: list[Finding] = []
    for action in (a for a in report.safety if a.drug == draft.inn):
        event = f"{event_words(action.event)}{_grade(action.grade)}"
        if action.action == "discontinue":
            findings.append(
                Finding(
                    "critical",
                    f"Do not sign {draft.inn}: {event} — the dose rule {action.rule} discontinues it",
                    alternatives=True,
                )
            )
        elif action.action in ("interrupt", "withhold"):
            findings.append(
                Finding("warning", f"Hold {draft.inn}: {event} — {safety_text(action)} (rule {action.rule})")
            )
        elif action.action == "reduce" and action.next_dose_mg_per_kg is not None:
            target = action.next_dose_mg_per_kg
            if draft.dose_mg_per_kg is None:
                findings.append(
                    Finding(
                        "warning",
                        f"{draft.inn}: {event} — reduce to {target:g} mg/kg (rule {action.rule}); the order states no mg/kg dose",
                    )
                )
            elif abs(draft.dose_mg_per_kg - target) > 1e-9:
                findings.append(
                    Finding(
                        "warning",
                        f"{draft.inn} {draft.dose_mg_per_kg:g} mg/kg: {event} — the dose rule {action.rule} reduces it to {target:g} mg/kg",
                        dose_update=target,
                    )
                )
    return findings


def ladder_findings(draft: DraftDrug, case: Case, kb: KnowledgeBase) -> list[Finding]:
    ladder = next(
        (ladder for ladder in kb.safety.dose_ladders if ladder.drug == draft.inn and ladder.tumour == "gastric"), None
    )
    dose = draft.dose_mg_per_kg
    if ladder is None or dose is None:
        return []
    levels = ladder.levels_mg_per_kg
    steps = ", ".join(f"{level:g}" for level in levels)
    if dose > levels[0] + 1e-9:
        return [
            Finding(
                "warning",
                f"{draft.inn} {dose:g} mg/kg is above the starting dose {levels[0]:g} mg/kg ({ladder.id}: {steps})",
            )
        ]
    if not any(abs(dose - level) < 1e-9 for level in levels):
        return [Finding("warning", f"{draft.inn} {dose:g} mg/kg is not a dose level of {ladder.id} ({steps} mg/kg)")]
    current = case.current_therapy.dose_of(draft.inn) if case.current_therapy else None
    if current is not None and dose > current + 1e-9:
        return [
            Finding(
                "warning",
                f"{draft.inn} {dose:g} mg/kg is above the dose in use, {current:g} mg/kg ({ladder.id}: {ladder.schedule})",
            )
        ]
    return []


def contraindication_findings(draft: DraftDrug, case: Case, kb: KnowledgeBase) -> list[Finding]:
    findings: list[Finding] = []
    ild_history = read_case_consistency(case).ild_history  # the flag, or an ILD event in the case
    facts = contraindication_facts(case, ild_history)
    for rule in applicable_contraindications([draft.inn], facts, kb.contraindications):
        flag = "" if rule.confirmed else " [unconfirmed]"
        indicator: Indicator = "critical" if rule.action == "exclude" else "warning"
        findings.append(
            Finding(
                indicator,
                f"{draft.inn}: {' '.join(rule.text.split())}{flag} ({rule.id})",
                alternatives=rule.action != "caution",
            )
        )
    return findings


def _her2_words(report: Report) -> str:
    her2 = report.her2
    ihc = f", IHC {her2.ihc_score}" if her2.ihc_score else ""
    return f"HER2 {her2.binary}{ihc}, CSCO tier {her2.csco_tier}"


def line_findings(draft: DraftDrug, report: Report, kb: KnowledgeBase) -> list[Finding]:
    """HER2 status and the line for a drug the report does not offer; approval for one it does."""
    offered = [option for option in report.recommendations if draft.inn in option.drugs]
    if offered:
        return approval_findings(draft, offered[0], report)
    drug = kb.drugs.get(draft.inn)
    if drug is not None and drug.anti_her2:
        tiers = sorted(
            {
                tier
                for rec in kb.recommendations
                if draft.inn in kb.regimens[rec.regimen_id].drugs
                for tier in rec.her2_tiers
            }
        )
        if not set(matching_tiers(report.her2)) & set(tiers):
            needs = "/".join(tiers) if tiers else "a tier the knowledge base names"
            return [
                Finding(
                    "warning",
                    f"{draft.inn} needs HER2 {needs} (CSCO); this patient: {_her2_words(report)}",
                    alternatives=True,
                )
            ]
    reasons = [
        reason
        for exclusion in report.excluded
        if draft.inn in kb.regimens[exclusion.regimen_id].drugs
        for reason in exclusion.why_not
    ]
    if reasons:
        return [
            Finding(
                "warning",
                f"{draft.inn} is not an option for line {report.decision_line}: {reasons[0]}",
                alternatives=True,
            )
        ]
    if drug is not None and drug.anti_her2:
        return [
            Finding(
                "warning",
                f"{draft.inn} is not among the options for line {report.decision_line} ({report.region})",
                alternatives=True,
            )
        ]
    return []


def approval_findings(draft: DraftDrug, option: Option, report: Report) -> list[Finding]:
    approval = option.approval
    region = approval.region
    flag = "" if approval.confirmed else " [unconfirmed]"
    if approval.status == "not_approved":
        return [Finding("warning", f"{option.name}: not approved in {region} for this use{flag}", alternatives=True)]
    if approval.status == "trial_only":
        return [Finding("warning", f"{option.name}: in {region} only within a clinical trial{flag}", alternatives=True)]
    if approval.status == "not_recorded":
        return [Finding("info", f"{option.name}: no {region} approval for this use is recorded in the knowledge base")]
    return []


def _new_order(option: Option, kb: KnowledgeBase, template: dict[str, Any], inn: str) -> dict[str, Any]:
    regimen = kb.regimens[option.regimen_id]
    order: dict[str, Any] = {
        "resourceType": "MedicationRequest",
        "status": "draft",
        "intent": "proposal",
        "medicationCodeableConcept": {"text": inn},
    }
    if isinstance(template.get("subject"), dict):
        order["subject"] = template["subject"]
    if regimen.dose:
        order["dosageInstruction"] = [{"text": regimen.dose}]
    return order


def suggestions_for(
    draft: DraftDrug, findings: Sequence[Finding], report: Report, kb: KnowledgeBase, hook_instance: str
) -> list[Suggestion]:
    reference = draft.reference
    if reference is None:
        return []  # without the draft's id no action can replace or change it
    suggestions: list[Suggestion] = []
    name = f"order/{reference}/{draft.inn}"
    update = next((f.dose_update for f in findings if f.dose_update is not None), None)
    if update is not None:
        changed = copy.deepcopy(draft.request)
        for dosage in changed.get("dosageInstruction", []):
            for dose_and_rate in dosage.get("doseAndRate", []):
                if isinstance(dose_and_rate.get("doseQuantity"), dict):
                    dose_and_rate["doseQuantity"]["value"] = update
        suggestions.append(
            Suggestion(
                label=f"Change the dose to {update:g} mg/kg",
                uuid=card_uuid(hook_instance, f"{name}/dose"),
                isRecommended=True,
                actions=[Action(type="update", description=f"{draft.inn} at {update:g} mg/kg", resource=changed)],
            )
        )
    if any(f.alternatives for f in findings):
        remove = Action(type="delete", description=f"Remove the draft order for {draft.inn}", resourceId=reference)
        for option in [
            o
            for o in report.recommendations
            if draft.inn not in o.drugs and not kb.regimens[o.regimen_id].chemotherapy_options
        ][:MAX_ALTERNATIVES]:
            creates = [
                Action(
                    type="create",
                    description=f"Draft an order for {inn}",
                    resource=_new_order(option, kb, draft.request, inn),
                )
                for inn in option.drugs
            ]
            level = f", {escat(option)}" if escat(option) else ""
            label = fit(f"Replace with {option.name} (line {report.decision_line} option {option.rank}{level})", 120)
            suggestions.append(
                Suggestion(
                    label=label,
                    uuid=card_uuid(hook_instance, f"{name}/{option.regimen_id}"),
                    actions=[remove, *creates],
                )
            )
        if any(f.indicator == "critical" for f in findings):
            suggestions.append(
                Suggestion(
                    label=f"Remove the {draft.inn} order",
                    uuid=card_uuid(hook_instance, f"{name}/remove"),
                    actions=[remove],
                )
            )
    return suggestions


def order_card(
    draft: DraftDrug,
    index: int,
    report: Report,
    case: Case,
    kb: KnowledgeBase,
    hook_instance: str,
    report_url: str | None,
) -> Card | None:
    findings = [
        *safety_findings(draft, report),
        *ladder_findings(draft, case, kb),
        *contraindication_findings(draft, case, kb),
        *line_findings(draft, report, kb),
    ]
    if not findings:
        return None
    findings.sort(key=lambda f: -WEIGHT[f.indicator])
    suggestions = suggestions_for(draft, findings, report, kb, hook_instance)
    offered = [o for o in report.recommendations if draft.inn in o.drugs]
    lines = [f"- **{f.indicator}**: {f.text}" for f in findings]
    if offered and offered[0].cautions:
        lines += ["", f"Cautions on {offered[0].name}:"] + [f"- {caution}" for caution in offered[0].cautions]
    backbones = [
        o.name
        for o in report.recommendations
        if draft.inn not in o.drugs and kb.regimens[o.regimen_id].chemotherapy_options
    ][:MAX_ALTERNATIVES]
    if any(f.alternatives for f in findings) and backbones:
        lines += ["", "Other options for this line (order sets with a chemotherapy backbone): " + "; ".join(backbones)]
    return Card(
        uuid=card_uuid(hook_instance, f"order/{draft.reference or index}/{draft.inn}"),
        summary=fit(findings[0].text),
        detail="\n".join(
            [
                *lines,
                "",
                f"Patient: {_her2_words(report)}; line {report.decision_line}; region {report.region}.",
                "",
                DISCLAIMER,
            ]
        ),
        indicator=findings[0].indicator,
        source=source_for(report),
        suggestions=suggestions or None,
        selectionBehavior="at-most-one" if suggestions else None,
        links=report_links(report_url),
    )


def order_sign_cards(
    drafts: Sequence[DraftDrug],
    report: Report,
    case: Case,
    kb: KnowledgeBase,
    hook_instance: str,
    report_url: str | None,
) -> list[Card]:
    cards = [
        order_card(draft, index, report, case, kb, hook_instance, report_url) for index, draft in enumerate(drafts)
    ]
    return sorted((card for card in cards if card is not None), key=lambda card: -WEIGHT[card.indicator])
