"""AdverseEvent resources to ``adverse_events``, and comorbidity Conditions to ``comorbidities``.

An AdverseEvent's drug is its ``suspectEntity.instance`` (a medication record or Medication in
the bundle); its kind is ``event`` (SNOMED CT or the product's local codes); its CTCAE grade
an extension (the CTCAE IG's ``ctcae-grade`` or the product's ``adverse-event-grade``); its
onset ``date``; its resolution the ``abatementDateTime`` of the ``resultingCondition``. R4 has
no elements for the measurements some dose rules read (LVEF, urine protein): they travel in
the product's ``adverse-event-detail`` extension.
"""

from __future__ import annotations

from typing import Any

from her2gc.errors import InputError
from her2gc.readers.fhir_bundle import (
    Entry,
    MappingRun,
    clip,
    coded,
    describe,
    extension_value,
    extensions,
    parse_date,
    quantity,
)
from her2gc.readers.fhir_medications import drug_of

_DETAIL_FIELDS = {
    "assessed": ("assessed", "date"),
    "suspensions": ("suspensions", "integer"),
    "recurrent": ("recurrent", "boolean"),
    "ast-alt-x-uln": ("ast_alt_x_uln", "number"),
    "bilirubin-x-uln": ("bilirubin_x_uln", "number"),
    "liver-tumour-involvement": ("liver_tumour_involvement", "boolean"),
    "diagnosis": ("diagnosis", "string"),
    "lvef-percent": ("lvef_percent", "number"),
    "lvef-drop-points": ("lvef_drop_points", "number"),
    "lvef-below-lln": ("lvef_below_lln", "boolean"),
    "symptomatic": ("symptomatic", "boolean"),
    "urine-protein-g-per-24h": ("urine_protein_g_per_24h", "number"),
    "nephrotic-syndrome": ("nephrotic_syndrome", "boolean"),
    "controlled": ("controlled", "boolean"),
    "organ": ("organ", "string"),
    "symptom": ("symptoms", "string"),  # repeated: one part per symptom
}


def _grade(run: MappingRun, entry: Entry) -> int | None:
    for url in run.codes.adverse_event_grade_extensions:
        found = extension_value(entry.resource, url)
        if found is None:
            continue
        key, value = found
        if key == "valueCodeableConcept":
            value = next((c.get("code") for c in (value or {}).get("coding", [])), None)
        try:
            grade = int(str(value))
        except ValueError:
            grade = -1
        if not 0 <= grade <= 5:
            raise InputError(f"{run.where(entry, 'extension[ctcae-grade]')}: {clip(value)!r} is not a CTCAE grade 0-5")
        return grade
    return None


def _details(run: MappingRun, entry: Entry) -> dict[str, Any]:
    details: dict[str, Any] = {}
    for ext in extensions(entry.resource, run.codes.extension_url("adverse-event-detail")):
        for part in ext.get("extension") or []:
            known = _DETAIL_FIELDS.get(str(part.get("url")))
            if known is None:
                run.warn(
                    "fhir_not_mapped",
                    f"{entry.label}.extension[adverse-event-detail]: part {clip(part.get('url'))!r} is not known; not used",
                    [entry.label],
                )
                continue
            field_name, shape = known
            value: Any = next((v for k, v in part.items() if k.startswith("value")), None)
            value = _detail_value(shape, value)
            if value is None:
                element = f"extension[adverse-event-detail].{part.get('url')}"
                found = next((v for k, v in part.items() if k.startswith("value")), None)
                raise InputError(f"{run.where(entry, element)}: expected a {shape}, found {clip(found)!r}")
            if field_name == "symptoms":
                details.setdefault("symptoms", []).append(value)
            else:
                details[field_name] = value
    return details


def _detail_value(shape: str, value: Any) -> Any:
    """The part's value in the shape its field takes, or None when it has another shape."""
    if shape == "number":
        value = quantity(value) if isinstance(value, dict) else value
        return value if isinstance(value, (int, float)) and not isinstance(value, bool) else None
    if shape == "integer":
        return value if isinstance(value, int) and not isinstance(value, bool) else None
    if shape == "boolean":
        return value if isinstance(value, bool) else None
    if shape == "date":
        return parse_date(value) if isinstance(value, str) else None
    return value if isinstance(value, str) else None


def _resolved(run: MappingRun, entry: Entry) -> Any:
    for reference in entry.resource.get("resultingCondition") or []:
        condition = run.index.resolve(reference)
        if condition is None:
            continue
        run.use(condition)
        day = parse_date(condition.resource.get("abatementDateTime"))
        if day is not None:
            return day
    return None


def read_adverse_events(run: MappingRun) -> list[dict[str, Any]]:
    events: list[dict[str, Any]] = []
    for entry in run.index.of_type("AdverseEvent"):
        run.use(entry)
        if not run.for_patient(entry):
            continue
        resource = entry.resource
        if resource.get("actuality") == "potential":
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}: a potential adverse event (near miss) is not an event to manage; not used",
                [entry.label],
            )
            continue
        kind = None
        for name, code, _ in coded(run.codes, resource.get("event")):
            kind = next((k for k in run.codes.adverse_events if k.system == name and k.code == code), None)
            if kind is not None:
                break
        if kind is None:
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}.event: {describe(resource.get('event'))} is not an adverse event a dose rule reads; not used",
                [entry.label],
            )
            continue
        drugs = []
        for suspect in resource.get("suspectEntity") or []:
            target = run.index.resolve((suspect or {}).get("instance"))
            if target is not None:
                run.use(target)
                drug = drug_of(run, target)
                if drug is not None and drug not in drugs:
                    drugs.append(drug)
        if not drugs:
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}.suspectEntity: no suspect drug in the bundle that the knowledge base knows; the event is not used",
                [entry.label],
            )
            continue
        event: dict[str, Any] = {"event": kind.event}
        grade = _grade(run, entry)
        if grade is None:
            run.warn(
                "fhir_no_grade",
                f"{entry.label}: no CTCAE grade (extension ctcae-grade); dose rules that need a grade cannot apply",
                [entry.label],
            )
        else:
            event["grade"] = grade
        onset = parse_date(resource.get("date")) or parse_date(resource.get("detected"))
        if onset is not None:
            event["onset"] = onset
        resolved = _resolved(run, entry)
        if resolved is not None:
            event["resolved"] = resolved
        if kind.organ:
            event["organ"] = kind.organ
        event.update(_details(run, entry))
        events.extend({"drug": drug, **event} for drug in drugs)
    return events


def read_comorbidities(run: MappingRun, conditions: list[Entry], event_conditions: set[str]) -> dict[str, bool]:
    """ILD history and heart failure from Conditions that are not an adverse event's result."""
    found: dict[str, bool] = {}
    for entry in conditions:
        if entry.label in event_conditions:
            continue
        verification = {c.get("code") for c in (entry.resource.get("verificationStatus") or {}).get("coding", [])}
        for name, code, _ in coded(run.codes, entry.resource.get("code")):
            match = next(
                (
                    c
                    for c in run.codes.comorbidities
                    if c.system == name and (code == c.code or (name == "icd10" and code.startswith(c.code)))
                ),
                None,
            )
            if match is None:
                continue
            run.use(entry)
            if verification & {"refuted", "entered-in-error"} or not run.for_patient(entry):
                break
            found[match.comorbidity] = True
            break
    return found
