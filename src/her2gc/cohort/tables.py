"""The tables of a cohort run (Arrow schemas), and the one place that names their columns.

``patients``: one row per patient, the contract's columns first (``patient_id,
her2_binary, csco_tier, decision_line, top_regimen_id, n_options, mechanism_ids,
ctdna_pattern, error``), then more of the report, then where the patient came from
(``source``, ``seq``), then the input's extra columns (end points ``<name>_months`` /
``<name>_event``, carried study columns). ``alterations``, ``mechanisms`` and
``options`` have one row per alteration of the case, resistance mechanism found and
regimen considered (offered or not), each keyed by ``patient_id`` and ``seq``.
Lists inside a cell are ``;``-joined, as in ``her2gc annotate``.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any

import pyarrow as pa

from her2gc.cohort.items import ExtraColumn

CONTRACT_COLUMNS = (
    "patient_id",
    "her2_binary",
    "csco_tier",
    "decision_line",
    "top_regimen_id",
    "n_options",
    "mechanism_ids",
    "ctdna_pattern",
    "error",
)

PATIENT_FIELDS: tuple[tuple[str, pa.DataType], ...] = (
    ("patient_id", pa.string()),
    ("her2_binary", pa.string()),
    ("csco_tier", pa.string()),
    ("decision_line", pa.int64()),
    ("top_regimen_id", pa.string()),
    ("n_options", pa.int64()),
    ("mechanism_ids", pa.string()),
    ("ctdna_pattern", pa.string()),
    ("error", pa.string()),
    ("region", pa.string()),
    ("ihc_score", pa.string()),
    ("ish", pa.string()),
    ("heterogeneous", pa.bool_()),
    ("loss_after_therapy", pa.bool_()),
    ("ngs_discordant", pa.bool_()),
    ("erbb2_ngs_amplified", pa.bool_()),
    ("her2_actions", pa.string()),
    ("top_regimen_approval", pa.string()),
    ("n_alterations", pa.int64()),
    ("n_warnings", pa.int64()),
    ("source", pa.string()),
    ("seq", pa.int64()),
)

ALTERATIONS = pa.schema(
    [
        ("patient_id", pa.string()),
        ("seq", pa.int64()),
        ("ordinal", pa.int64()),
        ("gene", pa.string()),
        ("kind", pa.string()),
        ("protein_change", pa.string()),
        ("copy_number", pa.float64()),
        ("vaf", pa.float64()),
        ("source", pa.string()),
        ("sample_id", pa.string()),
        ("label", pa.string()),
    ]
)

MECHANISMS = pa.schema(
    [
        ("patient_id", pa.string()),
        ("seq", pa.int64()),
        ("ordinal", pa.int64()),
        ("mechanism_id", pa.string()),
        ("name", pa.string()),
        ("class", pa.string()),
        ("level", pa.string()),
        ("evidence_setting", pa.string()),
        ("alterations", pa.string()),
    ]
)

OPTIONS = pa.schema(
    [
        ("patient_id", pa.string()),
        ("seq", pa.int64()),
        ("ordinal", pa.int64()),
        ("decision_line", pa.int64()),
        ("offered", pa.bool_()),
        ("rank", pa.int64()),
        ("regimen_id", pa.string()),
        ("drugs", pa.string()),
        ("escat", pa.string()),
        ("approval_status", pa.string()),
        ("why_not", pa.string()),
    ]
)

_TYPES = {"string": pa.string(), "float64": pa.float64(), "int64": pa.int64(), "bool": pa.bool_()}


def patients_schema(extra_columns: Sequence[ExtraColumn]) -> pa.Schema:
    return pa.schema([*PATIENT_FIELDS, *((c.name, _TYPES[c.type]) for c in extra_columns)])


def tsv_cell(value: Any) -> str:
    """A patients.tsv cell: empty for null, ``true``/``false``, floats as ``repr``, no tabs or newlines."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def tsv_line(row: Iterable[Any]) -> bytes:
    return ("\t".join(tsv_cell(v) for v in row) + "\n").encode()


def tsv_rows(table: pa.Table) -> bytes:
    """The rows of ``table`` as patients.tsv lines (no header)."""
    columns = [column.to_pylist() for column in table.columns]
    return b"".join(tsv_line(row) for row in zip(*columns, strict=False))
