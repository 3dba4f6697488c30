"""Medications, adverse events and comorbidities to case fields.

MedicationStatement, MedicationAdministration and MedicationRequest records (RxNorm or ATC
codes, else the ingredient's name, to lower-case INN) become the treatment history, grouped
into lines, and the current therapy; AdverseEvent resources become ``adverse_events``;
Conditions coded as interstitial lung disease or heart failure become ``comorbidities``.

Lines: a record's ``line-of-therapy`` extension, when every record has one; otherwise a drug
joins the line being built when it starts within ``line_grouping.same_line_within_days`` of
that line's first drug, before the line's last drug ended, or is a further administration of
one of its drugs, unless the line had stopped for progression before; any other record starts
the next line (fhir_codes.yaml; docs/fhir.md). The stop reason of a line is the
``statusReason`` (mCODE treatment termination reason) of the drug that ended last.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from her2gc.errors import InputError
from her2gc.readers.fhir_bundle import (
    Entry,
    MappingRun,
    clip,
    coded,
    concept_text,
    describe,
    extension_value,
    parse_date,
    quantity,
)

MEDICATION_TYPES = ("MedicationStatement", "MedicationAdministration", "MedicationRequest")


@dataclass
class MedicationRecord:
    entry: Entry
    drug: str
    role: str
    start: dt.date | None
    end: dt.date | None
    stop_reason: str | None
    line: int | None
    best_response: str | None
    dose_mg_per_kg: float | None


def _medication_concept(run: MappingRun, entry: Entry) -> object:
    resource = entry.resource
    if entry.resource_type == "Medication":
        return resource.get("code")
    if "medicationCodeableConcept" in resource:
        return resource["medicationCodeableConcept"]
    medication = run.index.resolve(resource.get("medicationReference"))
    if medication is not None:
        run.use(medication)
        return medication.resource.get("code")
    return None


def drug_of(run: MappingRun, entry: Entry) -> str | None:
    """The INN of a medication record (or Medication): by RxNorm/ATC code, else by name; None is reported."""
    concept = _medication_concept(run, entry)
    for name, code, _ in coded(run.codes, concept):
        found = run.codes.medication_index.get((name, code))
        if found is not None:
            if not found.confirmed:
                run.warn(
                    "fhir_unconfirmed_code",
                    f"{entry.label}: {name} {code} read as {found.drug}; the code was not checked against the terminology's release",
                    [entry.label],
                )
            return found.drug
    names = [c.get("display") for c in (concept or {}).get("coding", [])] if isinstance(concept, dict) else []
    for text in [concept_text(concept), *names]:
        drug = run.vocab.drug_by_name(text if isinstance(text, str) else None)
        if drug is not None:
            if isinstance(concept, dict) and concept.get("coding"):
                run.warn(
                    "fhir_mapped_by_text",
                    f"{entry.label}: medication {describe(concept)} matched by name to {drug} (its code is not in the code tables)",
                    [entry.label],
                )
            return drug
    run.warn(
        "fhir_not_mapped",
        f"{entry.label}: medication {describe(concept)} is not a drug the knowledge base knows (RxNorm ingredient or ATC code, or its name); not used",
        [entry.label],
    )
    return None


def _period(entry: Entry) -> tuple[dt.date | None, dt.date | None]:
    resource = entry.resource
    if entry.resource_type == "MedicationRequest":
        validity = (resource.get("dispenseRequest") or {}).get("validityPeriod") or {}
        return parse_date(validity.get("start") or resource.get("authoredOn")), parse_date(validity.get("end"))
    if isinstance(resource.get("effectivePeriod"), dict):
        period = resource["effectivePeriod"]
        return parse_date(period.get("start")), parse_date(period.get("end"))
    day = parse_date(resource.get("effectiveDateTime"))
    return day, (day if entry.resource_type == "MedicationAdministration" else None)


def _stop_reason(run: MappingRun, entry: Entry) -> str | None:
    reasons = entry.resource.get("statusReason")
    concepts = reasons if isinstance(reasons, list) else [reasons]
    termination = extension_value(
        entry.resource, "http://hl7.org/fhir/us/mcode/StructureDefinition/mcode-treatment-termination-reason"
    )
    if termination is not None:
        concepts.append(termination[1])
    for concept in concepts:
        for name, code, _ in coded(run.codes, concept):
            match = next((r for r in run.codes.stop_reasons if r.system == name and r.code == code), None)
            if match is not None:
                return match.stop_reason
        if concept:
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}.statusReason: {describe(concept)} is not a treatment termination reason the code tables know; stop reason left open",
                [entry.label],
            )
    return None


def _dose_mg_per_kg(run: MappingRun, entry: Entry) -> float | None:
    resource = entry.resource
    if entry.resource_type == "MedicationAdministration":
        dose = (resource.get("dosage") or {}).get("dose")
    else:
        dosages = (
            resource.get("dosage")
            if entry.resource_type == "MedicationStatement"
            else resource.get("dosageInstruction")
        )
        first = (dosages or [{}])[0] if isinstance(dosages, list) else {}
        rate = (first.get("doseAndRate") or [{}])[0] if isinstance(first, dict) else {}
        dose = rate.get("doseQuantity") if isinstance(rate, dict) else None
    if not isinstance(dose, dict):
        return None
    if str(dose.get("code") or dose.get("unit") or "") != "mg/kg":
        return None  # doses in mg or mg/m2 are not what the dose rules read
    value = quantity(dose)
    if value is None or not 0 < value <= 100:
        raise InputError(
            f"{run.where(entry, 'dosage.dose')}: {clip(dose.get('value'))} mg/kg is not a dose (0-100 mg/kg)"
        )
    return value


def _integer_extension(run: MappingRun, entry: Entry, name: str, low: int, high: int) -> int | None:
    found = extension_value(entry.resource, run.codes.extension_url(name))
    if found is None:
        return None
    if found[0] != "valueInteger" or not isinstance(found[1], int) or not low <= found[1] <= high:
        raise InputError(f"{run.where(entry, f'extension[{name}]')}: {clip(found[1])!r} is not an integer {low}-{high}")
    return found[1]


def read_medications(run: MappingRun) -> list[MedicationRecord]:
    records: list[MedicationRecord] = []
    for entry in run.index.of_type(*MEDICATION_TYPES):
        run.use(entry)
        if not run.for_patient(entry):
            continue
        role = getattr(run.codes.medication_statuses, entry.resource_type).get(
            str(entry.resource.get("status")), "ignore"
        )
        if role == "ignore":
            if entry.resource.get("status") == "entered-in-error":
                run.ignored_in_error.append(entry.label)
            else:
                run.warn(
                    "fhir_not_given",
                    f"{entry.label}: status '{clip(entry.resource.get('status'))}' does not say the drug was given; not in the history",
                    [entry.label],
                )
            continue
        drug = drug_of(run, entry)
        if drug is None:
            continue
        start, end = _period(entry)
        best = extension_value(entry.resource, run.codes.extension_url("best-response"))
        records.append(
            MedicationRecord(
                entry=entry, drug=drug, role=role, start=start, end=end, stop_reason=_stop_reason(run, entry) if role == "history" else None,
                line=_integer_extension(run, entry, "line-of-therapy", 1, 50), best_response=str(best[1]) if best else None,
                dose_mg_per_kg=_dose_mg_per_kg(run, entry),
            )
        )  # fmt: skip
    return records


def _line(records: list[MedicationRecord]) -> dict[str, Any]:
    drugs: list[str] = []
    for record in sorted(records, key=lambda r: r.start or dt.date.min):  # stable: the record's order breaks ties
        if record.drug not in drugs:
            drugs.append(record.drug)
    line: dict[str, Any] = {"drugs": drugs}
    starts = [r.start for r in records if r.start]
    ends = [r.end for r in records if r.end]
    if starts:
        line["start"] = min(starts)
    if ends:
        line["end"] = max(ends)
    last = [r for r in records if r.end == line.get("end")] if ends else records
    reason = next((r.stop_reason for r in last if r.stop_reason), None) or next(
        (r.stop_reason for r in records if r.stop_reason), None
    )
    if reason:
        line["stop_reason"] = reason
    best = next((r.best_response for r in records if r.best_response), None)
    if best:
        line["best_response"] = best
    return line


def treatment_lines(run: MappingRun, records: list[MedicationRecord]) -> list[dict[str, Any]]:
    """The treatment history, oldest line first (see the module docstring for the grouping)."""
    given = [r for r in records if r.role == "history"]
    if given and all(r.line is not None for r in given):
        numbers = sorted({r.line for r in given if r.line is not None})
        if numbers != list(range(1, len(numbers) + 1)):
            run.warn(
                "fhir_lines_renumbered",
                f"recorded lines of therapy {numbers} are not 1..{len(numbers)}; numbered in order (the line being decided is {len(numbers) + 1})",
                [r.entry.label for r in given],
            )
        groups = [[r for r in given if r.line == n] for n in numbers]
    else:
        if any(r.line is not None for r in given):
            run.warn(
                "fhir_lines_regrouped",
                "only some medication records name their line of therapy; all are grouped by date",
                [r.entry.label for r in given],
            )
        undated = [r for r in given if r.start is None]
        if undated:
            run.warn(
                "fhir_not_mapped",
                f"{len(undated)} medication record(s) without a start date cannot be placed in a line: {', '.join(r.entry.label for r in undated)}",
                [r.entry.label for r in undated],
            )
        groups = _group_by_dates(run, [r for r in given if r.start is not None])
    lines = [_line(group) | {"line": index + 1} for index, group in enumerate(groups)]
    return [{"line": line.pop("line"), **line} for line in lines]


def _group_by_dates(run: MappingRun, records: list[MedicationRecord]) -> list[list[MedicationRecord]]:
    window = dt.timedelta(days=run.codes.line_grouping.same_line_within_days)
    groups: list[list[MedicationRecord]] = []
    for record in sorted(records, key=lambda r: r.start or dt.date.min):
        if groups and _joins(groups[-1], record, window):
            groups[-1].append(record)
        else:
            groups.append([record])
    return groups


def _joins(line: list[MedicationRecord], record: MedicationRecord, window: dt.timedelta) -> bool:
    """Whether a record (sorted by start) belongs to the line being built: it starts within the
    window of the line's first drug, before the line's last drug ended, or is a further
    administration of one of the line's drugs; never after the line stopped for progression."""
    assert record.start is not None
    progressed = [r.end for r in line if r.stop_reason == "progression" and r.end]
    if progressed and record.start > min(progressed):
        return False
    first_start = min(r.start for r in line if r.start)
    ends = [r.end for r in line if r.end]
    return (
        record.start - first_start <= window
        or bool(ends and record.start < max(ends))
        or record.drug in {r.drug for r in line}
    )


def current_therapy(run: MappingRun, records: list[MedicationRecord]) -> dict[str, Any] | None:
    current = sorted([r for r in records if r.role == "current"], key=lambda r: r.start or dt.date.min)
    if not current:
        return None
    drugs = list(dict.fromkeys(r.drug for r in current))
    doses = {r.drug: r.dose_mg_per_kg for r in current if r.dose_mg_per_kg is not None}
    therapy: dict[str, Any] = {"drugs": drugs}
    if len(drugs) == 1 and drugs[0] in doses:
        therapy["dose_mg_per_kg"] = doses[drugs[0]]
    elif doses:
        therapy["doses"] = {drug: {"mg_per_kg": dose} for drug, dose in doses.items()}
    return therapy
