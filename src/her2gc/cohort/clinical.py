"""Clinical files of a cBioPortal study, read column by column through the clinical map.

A clinical file (``data_clinical_patient.txt``, ``data_clinical_sample.txt``, with or
without cBioPortal's four ``#`` header rows) is read as text columns. Each mapped column
is translated once per distinct value, never once per row, and spread back over the
rows; what a row says is then a small record of case fields, end points and carried
study columns, with the one-line error of a value the map does not know.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.cohort.imports import RawTable, ReadReport, read_delimited
from her2gc.errors import InputError
from her2gc.kb.schema_cohort import NUMERIC_FIELDS, ClinicalAttribute, ClinicalMap, Endpoint, TreatmentRule

DAYS_PER_MONTH = 30.4375  # 365.25 / 12
Level = Literal["patient", "sample"]


@dataclass
class ClinicalFile:
    """One clinical file: its rows as text, the key of each row, and its columns' use."""

    path: Path
    level: Level
    raw: RawTable
    keys: list[str | None]
    patients: list[str | None]  # the patient column of a sample file (the key itself for a patient file)
    used: set[str] = field(default_factory=set)

    @property
    def name(self) -> str:
        return self.path.name

    def column(self, wanted: Sequence[str]) -> str | None:
        """The file's first column among ``wanted`` (case-insensitive), if any."""
        folded: dict[str, str] = {str(name).strip().lower(): str(name) for name in self.raw.table.column_names}
        for name in wanted:
            if name.lower() in folded:
                return folded[name.lower()]
        return None

    def values(self, column: str) -> pa.Array:
        return self.raw.table.column(column).combine_chunks()

    def line(self, row: int) -> int:
        return self.raw.line_of(row)

    def unused_columns(self) -> list[str]:
        return [c for c in self.raw.table.column_names if c not in self.used and not c.startswith("__")]


def _nulled(table: pa.Table, null_values: Sequence[str]) -> pa.Table:
    """Study-specific "no value" tokens (``[Not Available]``, ``not tested``) as nulls, column by column."""
    folded = pa.array(sorted({v.strip().lower() for v in null_values}), pa.string())
    columns = []
    for name in table.column_names:
        column = table.column(name)
        if pa.types.is_string(column.type):
            trimmed = pc.utf8_trim_whitespace(column)
            is_null = pc.is_in(pc.utf8_lower(trimmed), value_set=folded)
            column = pc.if_else(is_null, pa.scalar(None, pa.string()), trimmed)
        columns.append(column)
    return pa.table(columns, names=table.column_names)


def read_clinical_file(path: Path, level: Level, cmap: ClinicalMap, report: ReadReport) -> ClinicalFile:
    """Read one clinical file; InputError when it has no key column."""
    aliases = {"patient": cmap.patient_id_columns, "sample": cmap.sample_id_columns}
    raw = read_delimited(path, aliases, [], report, delimiter="\t", keep_all_columns=True)
    raw = RawTable(raw.path, _nulled(raw.table, cmap.null_values), raw.header_line, raw.columns)
    key_name = "patient" if level == "patient" else "sample"
    if key_name not in raw.columns:
        wanted = ", ".join(aliases[key_name])
        raise InputError(f"{path.name} line {raw.header_line}: no {key_name} id column (one of {wanted})")
    if level == "sample" and raw.columns.get("patient") in (None, raw.columns["sample"]):
        raise InputError(
            f"{path.name} line {raw.header_line}: no patient id column (one of {', '.join(cmap.patient_id_columns)})"
        )
    keys = raw.table.column(raw.columns[key_name]).to_pylist()
    patients = raw.table.column(raw.columns["patient"]).to_pylist() if level == "sample" else list(keys)
    used = {raw.columns[key_name]} | ({raw.columns["patient"]} if level == "sample" else set())
    return ClinicalFile(path=path, level=level, raw=raw, keys=keys, patients=patients, used=used)


def per_distinct(values: pa.Array, translate: Callable[[str], Any]) -> list[Any]:
    """``translate`` called once per distinct non-null value, spread back over the rows."""
    encoded = pc.dictionary_encode(values)
    answers = [translate(v) for v in encoded.dictionary.to_pylist()]
    return [None if i is None else answers[i] for i in encoded.indices.to_pylist()]


class _Unknown:
    """A value the map does not know (kept apart from ``None``, which means "no value")."""


UNKNOWN = _Unknown()


def _translator(attribute: ClinicalAttribute) -> Callable[[str], Any]:
    values = {k.strip().lower(): v for k, v in (attribute.values or {}).items()}

    def translate(text: str) -> Any:
        folded = text.strip().lower()
        if folded in values:
            return values[folded]
        for rule in attribute.contains:
            if rule.text.lower() in folded:
                return rule.value
        if attribute.field in NUMERIC_FIELDS:
            try:
                return float(text)
            except ValueError:
                pass
        if attribute.passthrough:
            return text.strip()
        return UNKNOWN

    return translate


@dataclass
class FieldColumn:
    """One case field as read from one file: a value (or None) and an error (or None) per row."""

    field: str
    values: list[Any]
    errors: list[str | None]


def map_attributes(clinical: ClinicalFile, attributes: Sequence[ClinicalAttribute]) -> list[FieldColumn]:
    """Every attribute whose column the file has, in map order. Per row, the first entry of a
    field with a value wins; an entry reading a column an earlier entry of the same field
    already reads is passed over (so a user's map overrides the packaged one)."""
    out: list[FieldColumn] = []
    read: set[tuple[str, str]] = set()
    for attribute in attributes:
        column = clinical.column(attribute.columns)
        if column is None or (attribute.field, column) in read:
            continue
        read.add((attribute.field, column))
        clinical.used.add(column)
        values = clinical.values(column)
        translated = per_distinct(values, _translator(attribute))
        raw_text = values.to_pylist()
        errors: list[str | None] = [None] * len(translated)
        for row, value in enumerate(translated):
            if value is UNKNOWN:
                translated[row] = None
                if attribute.unknown == "error":
                    known = ", ".join(sorted(attribute.values or {}))[:80]
                    errors[row] = (
                        f"{clinical.name} line {clinical.line(row)}, column '{column}': '{_cut(raw_text[row])}' is not a value the clinical map knows for {attribute.field} (known: {known})"
                    )
        out.append(FieldColumn(attribute.field, translated, errors))
    return out


def _cut(text: object, width: int = 80) -> str:
    value = str(text)
    return value if len(value) <= width else value[: width - 1] + "…"


@dataclass
class EndpointColumn:
    endpoint: Endpoint
    months: list[float | None]
    events: list[int | None]


def _event_translator(endpoint: Endpoint) -> Callable[[str], int | _Unknown | None]:
    values = {k.strip().lower(): v for k, v in endpoint.event.values.items()}

    def translate(text: str) -> int | _Unknown | None:
        folded = text.strip().lower()
        if folded in values:
            return values[folded]
        for prefix, value in endpoint.event.prefixes.items():
            if folded.startswith(prefix.lower()):
                return value
        return UNKNOWN

    return translate


def map_endpoints(clinical: ClinicalFile, endpoints: Sequence[Endpoint], warnings: list[str]) -> list[EndpointColumn]:
    """End points whose event column and a time column the file has (the first definition of a name wins)."""
    out: list[EndpointColumn] = []
    seen: set[str] = set()
    rows = clinical.raw.table.num_rows
    for endpoint in endpoints:
        event_column = clinical.column([endpoint.event_column])
        time_columns = [c for c in (clinical.column([name]) for name in endpoint.time_columns) if c is not None]
        if endpoint.name in seen or event_column is None or not time_columns:
            continue
        seen.add(endpoint.name)
        clinical.used.update([event_column, *time_columns])
        scale = 1.0 / DAYS_PER_MONTH if endpoint.time_unit == "days" else 1.0
        months: list[float | None] = [None] * rows
        bad_times = 0
        for column in time_columns:
            parsed = per_distinct(clinical.values(column), _as_number)
            for row, value in enumerate(parsed):
                if months[row] is None and value is not None:
                    if value is UNKNOWN or value < 0:
                        bad_times += 1
                    else:
                        months[row] = round(value * scale, 6)
        events = per_distinct(clinical.values(event_column), _event_translator(endpoint))
        unknown_events = sum(1 for e in events if e is UNKNOWN)
        events = [None if e is UNKNOWN else e for e in events]
        if bad_times:
            warnings.append(
                f"{clinical.name}: {endpoint.name}: {bad_times} time value(s) that are not a non-negative number, left empty"
            )
        if unknown_events:
            warnings.append(
                f"{clinical.name}: {endpoint.name}: {unknown_events} event value(s) in '{event_column}' the clinical map does not know, left empty"
            )
        out.append(EndpointColumn(endpoint, months, events))
    return out


def _as_number(text: str) -> float | _Unknown:
    try:
        return float(text)
    except ValueError:
        return UNKNOWN


@dataclass
class CarriedValues:
    name: str
    values: list[str | None]


def map_carried(clinical: ClinicalFile, cmap: ClinicalMap) -> list[CarriedValues]:
    out = []
    for carried in cmap.carry:
        column = clinical.column(carried.columns)
        if column is not None:
            clinical.used.add(column)
            out.append(CarriedValues(carried.name, clinical.values(column).to_pylist()))
    return out


@dataclass
class TreatmentValues:
    rule: TreatmentRule
    given: list[bool]
    responses: list[str | None]


def map_treatments(clinical: ClinicalFile, rules: Sequence[TreatmentRule]) -> list[TreatmentValues]:
    out = []
    for rule in rules:
        column = clinical.column([rule.when_column])
        if column is None:
            continue
        clinical.used.add(column)
        given = [v is not None for v in clinical.values(column).to_pylist()]
        responses: list[str | None] = [None] * len(given)
        if rule.best_response is not None:
            response_column = clinical.column([rule.best_response.column])
            if response_column is not None:
                clinical.used.add(response_column)
                responses = per_distinct(
                    clinical.values(response_column), _response_translator(rule.best_response.values)
                )
        out.append(TreatmentValues(rule, given, responses))
    return out


def _response_translator(values: Mapping[str, str | None]) -> Callable[[str], str | None]:
    known = {k.strip().lower(): v for k, v in values.items()}

    def translate(text: str) -> str | None:
        return known.get(text.strip().lower())

    return translate


def long_table(clinical: ClinicalFile, patient_of_row: Sequence[str | None]) -> pa.Table:
    """Every value of the file as (patient_id, sample_id, file, attribute, value) rows: nothing dropped."""
    table = clinical.raw.table
    rows = table.num_rows
    patients = pa.array(patient_of_row, pa.string())
    samples = pa.array(clinical.keys if clinical.level == "sample" else [None] * rows, pa.string())
    pieces = []
    for name in table.column_names:
        if name.startswith("__"):
            continue
        values = table.column(name).combine_chunks()
        keep = pc.is_valid(values)
        pieces.append(
            pa.table(
                {
                    "patient_id": patients.filter(keep),
                    "sample_id": samples.filter(keep),
                    "file": pa.array([clinical.name] * rows, pa.string()).filter(keep),
                    "attribute": pa.array([name] * rows, pa.string()).filter(keep),
                    "value": values.cast(pa.string()).filter(keep),
                }
            )
        )
    return (
        pa.concat_tables(pieces)
        if pieces
        else pa.table({k: pa.array([], pa.string()) for k in ("patient_id", "sample_id", "file", "attribute", "value")})
    )
