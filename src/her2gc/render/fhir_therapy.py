"""The treatment history, current therapy and adverse events as FHIR R4 resources: a
MedicationStatement per drug and line (RxNorm and ATC codes, the product's ``line-of-therapy``
and ``best-response`` extensions, the stop reason as ``statusReason``), the current therapy as
active MedicationStatements with the dose in mg/kg, and AdverseEvents with the CTCAE grade and
the details the dose rules read (``adverse-event-grade``, ``adverse-event-detail``), a resolved
event's end as its resulting Condition's ``abatementDateTime``."""

from __future__ import annotations

from her2gc.case import AdverseEvent, Case
from her2gc.kb.schema_fhir import Code
from her2gc.render.fhir_case import BundleWriter, CaseResources, JsonDict, quantity

# Every field of a case's adverse event the dose rules read, as a part of the local complex
# extension (R4's AdverseEvent has no elements for them); read back by readers.fhir_events.
_AE_DETAILS = (
    ("assessed", "assessed", "valueDate"),
    ("lvef_percent", "lvef-percent", "valueDecimal"), ("lvef_drop_points", "lvef-drop-points", "valueDecimal"),
    ("lvef_below_lln", "lvef-below-lln", "valueBoolean"), ("suspensions", "suspensions", "valueInteger"),
    ("urine_protein_g_per_24h", "urine-protein-g-per-24h", "valueDecimal"),
    ("nephrotic_syndrome", "nephrotic-syndrome", "valueBoolean"), ("controlled", "controlled", "valueBoolean"),
    ("organ", "organ", "valueString"), ("recurrent", "recurrent", "valueBoolean"),
    ("ast_alt_x_uln", "ast-alt-x-uln", "valueDecimal"), ("bilirubin_x_uln", "bilirubin-x-uln", "valueDecimal"),
    ("liver_tumour_involvement", "liver-tumour-involvement", "valueBoolean"), ("diagnosis", "diagnosis", "valueCode"),
)  # fmt: skip


def write_medications(writer: BundleWriter, resources: CaseResources, case: Case) -> dict[str, str]:
    """MedicationStatements of the history and the current therapy; INN -> the latest statement of each drug."""
    latest: dict[str, str] = {}
    for line in case.treatment_history:
        for drug in line.drugs:
            body = _statement(writer, resources, drug, "completed" if line.end else "stopped")
            body["extension"] = [writer.extension("line-of-therapy", "valueInteger", line.line)]
            if line.best_response:
                body["extension"].append(writer.extension("best-response", "valueCode", line.best_response))
            if line.stop_reason:
                reason = next(
                    r for r in writer.codes.stop_reasons if r.system == "local" and r.stop_reason == line.stop_reason
                )
                body["statusReason"] = [writer.concept(reason)]
            period = {k: v.isoformat() for k, v in (("start", line.start), ("end", line.end)) if v}
            if period:
                body["effectivePeriod"] = period
            latest[drug] = writer.add("MedicationStatement", "line", {"line": line.line, "drug": drug}, _order(body))
    therapy = case.current_therapy
    if therapy is not None:
        for drug in therapy.drugs:
            body = _statement(writer, resources, drug, "active")
            dose = therapy.dose_of(drug)
            if dose is not None:
                body["dosage"] = [{"doseAndRate": [{"doseQuantity": quantity(dose, "mg/kg", "mg/kg")}]}]
            latest[drug] = writer.add("MedicationStatement", "current", drug, _order(body))
    return latest


def _statement(writer: BundleWriter, resources: CaseResources, drug: str, status: str) -> JsonDict:
    entry = writer.codes.medication_by_drug.get(drug)
    codings = [Code(system="rxnorm", code=c, display=drug) for c in entry.rxnorm] if entry else []
    codings += [Code(system="atc", code=c, display=drug) for c in (entry.atc if entry else [])]
    return {
        "status": status,
        "medicationCodeableConcept": writer.concept(*codings, text=drug) if codings else {"text": drug},
        "subject": {"reference": resources.patient},
    }


def _order(body: JsonDict) -> JsonDict:
    """Extensions first, as FHIR JSON writes them."""
    return {key: body[key] for key in ("extension", "status", "statusReason") if key in body} | {
        k: v for k, v in body.items() if k not in ("extension", "status", "statusReason")
    }


def write_adverse_events(
    writer: BundleWriter, resources: CaseResources, case: Case, statements: dict[str, str]
) -> None:
    for index, event in enumerate(case.adverse_events):
        key = {"index": index, **event.model_dump(mode="json")}
        suspect = statements.get(event.drug) or writer.add(
            "MedicationStatement", "suspect", key, _statement(writer, resources, event.drug, "completed")
        )
        code = next(c for c in writer.codes.adverse_events if c.system == "local" and c.event == event.event)
        body: JsonDict = {
            "extension": _event_extensions(writer, event),
            "actuality": "actual",
            "event": writer.concept(code),
            "subject": {"reference": resources.patient},
        }
        if event.onset:
            body["date"] = event.onset.isoformat()
        if event.resolved:
            condition = {
                "clinicalStatus": writer.role("resolved"),
                "code": writer.concept(code),
                "subject": {"reference": resources.patient},
                "abatementDateTime": event.resolved.isoformat(),
            }
            if event.onset:
                condition["onsetDateTime"] = event.onset.isoformat()
            body["resultingCondition"] = [
                {"reference": writer.add("Condition", "adverse-event-result", key, condition)}
            ]
        body["suspectEntity"] = [{"instance": {"reference": suspect}}]
        if not body["extension"]:
            body.pop("extension")
        writer.add("AdverseEvent", "adverse-event", key, body)


def _event_extensions(writer: BundleWriter, event: AdverseEvent) -> list[JsonDict]:
    found: list[JsonDict] = []
    if event.grade is not None:
        found.append(writer.extension("adverse-event-grade", "valueInteger", event.grade))
    parts = [
        {"url": url, key: value.isoformat() if key == "valueDate" else value}
        for name, url, key in _AE_DETAILS
        if (value := getattr(event, name)) is not None
    ]
    if event.symptomatic:
        parts.append({"url": "symptomatic", "valueBoolean": True})
    parts += [{"url": "symptom", "valueCode": symptom} for symptom in event.symptoms]
    if parts:
        found.append({"url": writer.codes.extension_url("adverse-event-detail"), "extension": parts})
    return found
