"""The work of one partition, as a worker does it: parse, validate, evaluate, tabulate.

:func:`evaluate_partition` is a pure function of the partition, the knowledge base and
the options, so any worker (a local process, a Dask worker) gives the same bytes. A
patient whose data is bad gets its ``error`` column filled with the one-line message
and the partition goes on; an unexpected exception in the engine is caught the same
way (and counted apart), so that one patient cannot stop a cohort.

Reports are written as ``her2gc.render.to_json`` writes them (keys sorted,
UTF-8), one compact line each (:mod:`her2gc.cohort.report_lines`).
"""

from __future__ import annotations

import io
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson
import pyarrow as pa
import pyarrow.parquet as pq

from her2gc.case import Case
from her2gc.cohort import tables
from her2gc.cohort.imports import case_from_data, parse_document
from her2gc.cohort.items import ExtraColumn, Partition, WorkItem
from her2gc.cohort.report_lines import ReportLines
from her2gc.engine import EvaluationOptions, evaluate
from her2gc.errors import Her2gcError, InputError
from her2gc.kb.base import KnowledgeBase
from her2gc.report import Report
from her2gc.runtime import Runtime


@dataclass
class PartitionResult:
    """A partition's tables as Parquet bytes, its reports as JSON Lines bytes, and its counts."""

    index: int
    patients: bytes
    alterations: bytes
    mechanisms: bytes
    options: bytes
    reports: bytes
    patients_tsv: bytes = b""  # the rows as patients.tsv writes them (no header)
    stats: dict[str, Any] = field(default_factory=dict)
    written: str | None = (
        None  # the temporary folder where the worker wrote the files itself (the bytes are then empty)
    )

    def files(self) -> dict[str, bytes]:
        """The partition's checkpoint files by name."""
        return {
            "patients.parquet": self.patients,
            "patients.tsv": self.patients_tsv,
            "alterations.parquet": self.alterations,
            "mechanisms.parquet": self.mechanisms,
            "options.parquet": self.options,
            "reports.jsonl": self.reports,
        }

    def receipt(self, written: Path) -> PartitionResult:
        """What goes back to the caller once the files are written to ``written``: the counts and that folder."""
        return PartitionResult(self.index, b"", b"", b"", b"", b"", stats=self.stats, written=str(written))


def _with_source(message: str, source: str) -> str:
    return message if message.startswith(source) else f"{source}: {message}"


def parse_item(item: WorkItem, kb: KnowledgeBase) -> Case:
    """The validated case of a work item (names checked against ``kb``); InputError (one
    line, naming the source) if bad."""
    if item.kind == "error":
        raise InputError(str(item.payload))
    if item.kind == "case":
        return case_from_data(item.payload, item.source, kb)
    assert isinstance(item.payload, bytes)
    if item.kind == "json":
        try:
            data = orjson.loads(item.payload)
        except orjson.JSONDecodeError as exc:
            raise InputError(f"{item.source}: malformed JSON ({str(exc).split(':')[0]})") from None
    else:
        try:
            text = item.payload.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise InputError(f"{item.source}: not UTF-8 text (byte {exc.start})") from None
        data = parse_document(Path(item.source), text)
    return case_from_data(data, item.source, kb)


def _patient_id_of(item: WorkItem) -> str | None:
    """The patient id of an item that failed, when it can be read without validation."""
    if item.patient_id is not None or item.kind != "json":
        return item.patient_id
    try:
        data = orjson.loads(item.payload)  # type: ignore[arg-type]
    except orjson.JSONDecodeError:
        return None
    value = data.get("patient_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


def _joined(values: Sequence[str]) -> str:
    return ";".join(values)


def _patient_row(item: WorkItem, case: Case, report: Report) -> tuple[Any, ...]:
    her2 = report.her2
    top = report.recommendations[0] if report.recommendations else None
    erbb2_amp = any(a.gene == "ERBB2" and a.kind == "amp" and a.source == "tissue" for a in case.alterations)
    return (
        report.patient_id,
        her2.binary,
        her2.csco_tier,
        report.decision_line,
        top.regimen_id if top else None,
        len(report.recommendations),
        _joined([m.id for m in report.resistance.mechanisms]),
        report.resistance.ctdna_pattern,
        None,
        report.region,
        her2.ihc_score,
        her2.ish,
        her2.heterogeneous,
        her2.loss_after_therapy,
        her2.ngs_discordant,
        erbb2_amp,
        _joined(her2.actions),
        top.approval.status if top else None,
        len(case.alterations),
        len(report.warnings),
        item.source,
        item.seq,
        *item.extra,
    )


def _error_row(item: WorkItem, message: str, width: int) -> tuple[Any, ...]:
    fixed = len(tables.PATIENT_FIELDS)
    row: list[Any] = [None] * fixed
    row[0] = _patient_id_of(item)
    row[8] = message
    row[fixed - 2] = item.source
    row[fixed - 1] = item.seq
    return (*row, *(item.extra or (None,) * width))


def _detail_rows(item: WorkItem, case: Case, report: Report, out: dict[str, list[tuple[Any, ...]]]) -> None:
    pid, seq = report.patient_id, item.seq
    for ordinal, a in enumerate(case.alterations):
        out["alterations"].append(
            (
                pid,
                seq,
                ordinal,
                a.gene,
                a.kind,
                a.protein_change,
                a.copy_number,
                a.vaf,
                a.source,
                a.sample_id,
                a.label(),
            )
        )
    for ordinal, m in enumerate(report.resistance.mechanisms):
        out["mechanisms"].append(
            (pid, seq, ordinal, m.id, m.name, m.class_, m.level, m.evidence_setting, _joined(m.alterations))
        )
    line = report.decision_line
    for ordinal, o in enumerate(report.recommendations):
        out["options"].append(
            (
                pid,
                seq,
                ordinal,
                line,
                True,
                o.rank,
                o.regimen_id,
                _joined(o.drugs),
                o.evidence.escat,
                o.approval.status,
                None,
            )
        )
    start = len(report.recommendations)
    for ordinal, x in enumerate(report.excluded, start=start):
        out["options"].append(
            (pid, seq, ordinal, line, False, None, x.regimen_id, None, None, None, _joined(x.why_not))
        )


def _table(rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> pa.Table:
    columns = list(zip(*rows, strict=False)) if rows else [() for _ in schema]
    return pa.table([pa.array(list(col), type=f.type) for col, f in zip(columns, schema, strict=False)], schema=schema)


def _parquet(table: pa.Table) -> bytes:
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _reason(message: str, source: str) -> str:
    """A failure's reason without the patient's own source, so that like failures count together."""
    return message.removeprefix(source).removeprefix(": ")[:160]


def evaluate_partition(
    partition: Partition,
    kb: KnowledgeBase,
    options: EvaluationOptions,
    extra_columns: Sequence[ExtraColumn],
    runtime: Runtime,
) -> PartitionResult:
    """Evaluate every patient of ``partition``; rows and reports in patient-id order.

    ``runtime`` is the worker's: it keeps the model screens by alteration profile across
    the partitions a worker evaluates (and, with a disk cache, across workers and runs).
    The reports do not depend on what it holds.
    """
    started = time.perf_counter()
    screens_before = runtime.computed["model_section"]
    width = len(extra_columns)
    keyed: list[tuple[tuple[bool, str, int], tuple[Any, ...], bytes | None]] = []
    details: dict[str, list[tuple[Any, ...]]] = {"alterations": [], "mechanisms": [], "options": []}
    failures: Counter[str] = Counter()
    internal = 0
    lines = ReportLines()
    for item in partition.items:
        try:
            case = parse_item(item, kb)
            report = evaluate(case, kb, options, runtime=runtime)
        except Her2gcError as exc:
            message = _with_source(exc.one_line(), item.source)
        except Exception as exc:
            internal += 1
            message = f"{item.source}: internal error ({type(exc).__name__}: {' '.join(str(exc).split())[:120]}); please report it"
        else:
            row = _patient_row(item, case, report)
            _detail_rows(item, case, report, details)
            line = lines.line(report)
            keyed.append(((False, report.patient_id, item.seq), row, line))
            continue
        failures[_reason(message, item.source)] += 1
        row = _error_row(item, message, width)
        keyed.append(((row[0] is None, row[0] or "", item.seq), row, None))
    keyed.sort(key=lambda entry: entry[0])
    schema = tables.patients_schema(extra_columns)
    reports = b"".join(line + b"\n" for _, _, line in keyed if line is not None)
    order = {seq: i for i, (key, _, _) in enumerate(keyed) for seq in (key[2],)}
    for rows in details.values():
        rows.sort(key=lambda r: (order[r[1]], r[2]))
    evaluated = sum(1 for _, _, line in keyed if line is not None)
    patients = _table([row for _, row, _ in keyed], schema)
    return PartitionResult(
        index=partition.index,
        patients=_parquet(patients),
        alterations=_parquet(_table(details["alterations"], tables.ALTERATIONS)),
        mechanisms=_parquet(_table(details["mechanisms"], tables.MECHANISMS)),
        options=_parquet(_table(details["options"], tables.OPTIONS)),
        reports=reports,
        # From the Arrow columns, so each cell is written as the merge of Parquet rows writes it.
        patients_tsv=tables.tsv_rows(patients),
        stats={
            "read": len(partition.items),
            "evaluated": evaluated,
            "failed": len(partition.items) - evaluated,
            "internal_errors": internal,
            "failure_reasons": dict(failures),
            "seconds": round(time.perf_counter() - started, 3),
            "model_screens": runtime.computed["model_section"] - screens_before,
        },
    )
