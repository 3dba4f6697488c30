"""One patient's clinical rows (patient file, samples) and alterations into one case.

Values of one patient are taken from the patient-file row first, then from the
samples in sample-id order; the first value found decides, and a patient whose rows
disagree is noted. Each row with a HER2 reading becomes one HER2 test: samples taken
before treatment first (``setting: diagnosis``), then after it (``post_progression``).
A value the clinical map does not know makes the patient's error; the other patients
go on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from her2gc.cohort import clinical as cl
from her2gc.cohort.items import ExtraColumn
from her2gc.kb.schema_cohort import TEST_FIELDS, ClinicalMap


@dataclass
class RowRecord:
    """What one clinical row says, through the map."""

    level: str
    line: int
    file: str
    sample_id: str | None
    fields: dict[str, Any] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    extra: dict[str, Any] = field(default_factory=dict)
    treatments: list[dict[str, Any]] = field(default_factory=list)


def row_records(clinical: cl.ClinicalFile, cmap: ClinicalMap, warnings: list[str]) -> list[RowRecord]:
    """One record per row of the file; mapping is done column-wise, this only gathers."""
    rows = len(clinical.keys)
    records = [
        RowRecord(
            clinical.level, clinical.line(r), clinical.name, clinical.keys[r] if clinical.level == "sample" else None
        )
        for r in range(rows)
    ]
    for column in cl.map_attributes(clinical, cmap.attributes):
        for record, value, error in zip(records, column.values, column.errors, strict=False):
            if error is not None:
                record.errors.append(error)
            elif value is not None:
                record.fields.setdefault(column.field, value)
    for endpoint in cl.map_endpoints(clinical, cmap.endpoints, warnings):
        name = endpoint.endpoint.name
        for record, months, event in zip(records, endpoint.months, endpoint.events, strict=False):
            if months is not None and event is not None:
                record.extra[f"{name}_months"] = months
                record.extra[f"{name}_event"] = event
    for carried in cl.map_carried(clinical, cmap):
        for record, value in zip(records, carried.values, strict=False):
            if value is not None:
                record.extra.setdefault(carried.name, value)
    for treatment in cl.map_treatments(clinical, cmap.treatments):
        rule = treatment.rule
        for record, given, response in zip(records, treatment.given, treatment.responses, strict=False):
            if given:
                line: dict[str, Any] = {"line": rule.line, "drugs": list(rule.drugs)}
                if response is not None:
                    line["best_response"] = response
                record.treatments.append(line)
    return records


def _first(rows: Sequence[RowRecord], name: str, defaults: dict[str, Any]) -> Any:
    """The first row's value of a patient-level field, else the map's default for it."""
    for row in rows:
        if name in row.fields:
            return row.fields[name]
    return defaults.get(name)


def _her2_test(row: RowRecord, defaults: dict[str, Any]) -> dict[str, Any] | None:
    values = row.fields
    test: dict[str, Any] = {}
    if "her2.ihc_score" in values:
        test["ihc"] = {"score": values["her2.ihc_score"]}
    if "her2.ish_ratio" in values:
        test["ish"] = {"ratio": values["her2.ish_ratio"]}
    elif "her2.ish_result" in values:
        test["ish"] = {"reported_result": values["her2.ish_result"]}
    if not test:
        return None
    test["specimen"] = values.get("her2.specimen", defaults.get("her2.specimen"))
    test["setting"] = values.get("her2.setting", defaults.get("her2.setting", "diagnosis"))
    site = values.get("her2.site")
    if site is not None or row.sample_id is not None:
        test["site"] = " ".join(str(part) for part in (site, row.sample_id) if part is not None)
    return test


def _tumour(rows: Sequence[RowRecord], defaults: dict[str, Any]) -> dict[str, Any]:
    tumour: dict[str, Any] = {}
    for name in ("site", "oncotree_code", "histology", "lauren", "metastatic"):
        value = _first(rows, f"tumour.{name}", defaults)
        if value is not None:
            tumour[name] = value
    return tumour


def _treatment_history(rows: Sequence[RowRecord]) -> list[dict[str, Any]]:
    lines: dict[int, dict[str, Any]] = {}
    for row in rows:
        for line in row.treatments:
            lines.setdefault(line["line"], line)
    return [lines[n] for n in sorted(lines)]


def _disagreements(rows: Sequence[RowRecord]) -> list[str]:
    """Patient-level fields whose rows give different values (the first one is used)."""
    fields = {name for row in rows for name in row.fields if name not in TEST_FIELDS and name != "erbb2.ngs_amplified"}
    return sorted(name for name in fields if len({repr(r.fields[name]) for r in rows if name in r.fields}) > 1)


def assemble_case(
    patient_id: str,
    rows: Sequence[RowRecord],
    alterations: Sequence[dict[str, Any]],
    cmap: ClinicalMap,
    extra_columns: Sequence[ExtraColumn],
) -> tuple[dict[str, Any] | None, str | None, tuple[Any, ...], list[str]]:
    """The case data of one patient, or the first error of its rows; its extra column values;
    and the patient-level fields its rows disagree on (the first value is used)."""
    extra = tuple(next((r.extra[c.name] for r in rows if c.name in r.extra), None) for c in extra_columns)
    errors = [error for row in rows for error in row.errors]
    if errors:
        more = f" (+{len(errors) - 1} more)" if len(errors) > 1 else ""
        return None, errors[0] + more, extra, []
    defaults: dict[str, Any] = {d.field: d.value for d in cmap.defaults}
    tests = [t for t in (_her2_test(row, defaults) for row in rows) if t is not None]
    tests.sort(key=lambda t: t["setting"] != "diagnosis")  # stable: sample order within a setting
    case: dict[str, Any] = {"patient_id": patient_id, "tumour": _tumour(rows, defaults), "her2_tests": tests}
    for name in ("msi", "ecog", "tumour_fraction"):
        value = _first(rows, name, defaults)
        if value is not None:
            case[name] = int(value) if name == "ecog" else value
    cps, assay = _first(rows, "pdl1.cps", defaults), _first(rows, "pdl1.assay", defaults)
    if cps is not None:
        case["pdl1"] = {"cps": cps, **({"assay": assay} if assay else {})}
    merged = list(alterations)
    for row in rows:
        if row.fields.get("erbb2.ngs_amplified") is True and not any(
            a["gene"] == "ERBB2" and a["kind"] == "amp" for a in merged
        ):
            merged.append({"gene": "ERBB2", "kind": "amp", "source": "tissue", "sample_id": row.sample_id})
    case["alterations"] = merged
    case["treatment_history"] = _treatment_history(rows)
    samples = sorted(
        {r.sample_id for r in rows if r.sample_id} | {a["sample_id"] for a in merged if a.get("sample_id")}
    )
    if samples:
        case["sample_ids"] = samples
    return case, None, extra, _disagreements(rows)
