"""The final outputs, merged from the checkpointed partitions in patient-id order.

Each partition is sorted by ``(patient_id, seq)`` already; a streaming k-way merge
(``heapq.merge``, reading each partition lazily) writes ``patients.parquet``,
``patients.tsv`` and ``reports.jsonl`` in one pass, so memory holds a few rows per
partition, not the cohort. Ties (the same patient id twice) keep input order. Patients
without an id (a line that is not JSON) sort last, by input order. ``cohort.duckdb`` is
built by DuckDB itself from the Parquet files (sorting out of core when it must).
Everything is written under temporary names and renamed into place by the caller.
"""

from __future__ import annotations

import hashlib
import heapq
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from her2gc.cohort.checkpoint import Checkpoint, temp_name
from her2gc.cohort.tables import ALTERATIONS, MECHANISMS, OPTIONS

BATCH_ROWS = 4096
Key = tuple[bool, str, int]


@dataclass
class MergedOutputs:
    """Temporary paths of the merged files, and what they hold."""

    patients_parquet: Path
    patients_tsv: Path
    reports: Path
    rows: int
    reports_written: int
    duplicate_ids: int
    tsv_sha256: str
    reports_sha256: str


def _partition_rows(checkpoint: Checkpoint, index: int) -> Iterator[tuple[Key, tuple[Any, ...], bytes | None]]:
    folder = checkpoint.partition_dir(index)
    parquet = pq.ParquetFile(folder / "patients.parquet")
    names = parquet.schema_arrow.names
    id_at, error_at, seq_at = names.index("patient_id"), names.index("error"), names.index("seq")
    with open(folder / "reports.jsonl", "rb") as reports:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            columns = [column.to_pylist() for column in batch.columns]
            for row in zip(*columns):
                line = reports.readline() if row[error_at] is None else None
                patient = row[id_at]
                yield (patient is None, patient or "", row[seq_at]), row, line


def _tsv_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "" if math.isnan(value) else repr(value)
    return str(value).replace("\t", " ").replace("\r", " ").replace("\n", " ")


def merge_patients(checkpoint: Checkpoint, outdir: Path, partitions: int, schema: pa.Schema) -> MergedOutputs:
    """Write patients.parquet, patients.tsv and reports.jsonl (temporary names) in patient-id order."""
    paths = [temp_name(outdir / name) for name in ("patients.parquet", "patients.tsv", "reports.jsonl")]
    merged = heapq.merge(*(_partition_rows(checkpoint, i) for i in range(partitions)), key=lambda entry: entry[0])
    tsv_hash, reports_hash = hashlib.sha256(), hashlib.sha256()
    rows = reports_written = duplicates = 0
    previous: str | None = None
    writer = pq.ParquetWriter(paths[0], schema, compression="zstd")
    buffer: list[tuple[Any, ...]] = []
    try:
        with open(paths[1], "wb") as tsv, open(paths[2], "wb") as reports:
            header = ("\t".join(schema.names) + "\n").encode()
            tsv.write(header)
            tsv_hash.update(header)
            for key, row, line in merged:
                rows += 1
                if not key[0] and key[1] == previous:
                    duplicates += 1
                previous = None if key[0] else key[1]
                text = ("\t".join(_tsv_cell(v) for v in row) + "\n").encode()
                tsv.write(text)
                tsv_hash.update(text)
                if line is not None:
                    reports.write(line)
                    reports_hash.update(line)
                    reports_written += 1
                buffer.append(row)
                if len(buffer) >= BATCH_ROWS:
                    _write_batch(writer, buffer, schema)
                    buffer = []
            if buffer:
                _write_batch(writer, buffer, schema)
            _sync(tsv)
            _sync(reports)
    finally:
        writer.close()
    return MergedOutputs(paths[0], paths[1], paths[2], rows, reports_written, duplicates, tsv_hash.hexdigest(), reports_hash.hexdigest())


def _sync(handle: IO[bytes]) -> None:
    import os

    handle.flush()
    os.fsync(handle.fileno())


def _write_batch(writer: pq.ParquetWriter, rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> None:
    columns = list(zip(*rows))
    writer.write_table(pa.table([pa.array(list(c), type=f.type) for c, f in zip(columns, schema)], schema=schema))


def build_duckdb(path: Path, patients_parquet: Path, checkpoint: Checkpoint, partitions: int, clinical: Path | None) -> None:
    """``cohort.duckdb`` at ``path``: tables patients, alterations, mechanisms, options (and clinical)."""
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        # Bounded memory: DuckDB spills sorts to the checkpoint folder rather than grow.
        con.execute("SET memory_limit = '512MB'")
        con.execute("SET temp_directory = ?", [str(checkpoint.root / "duckdb_tmp")])
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TABLE patients AS SELECT * FROM read_parquet(?)", [str(patients_parquet)])
        order = "ORDER BY patient_id NULLS LAST, seq, ordinal"
        for name, schema in (("alterations", ALTERATIONS), ("mechanisms", MECHANISMS), ("options", OPTIONS)):
            files = [str(checkpoint.partition_dir(i) / f"{name}.parquet") for i in range(partitions)]
            columns = ", ".join(f'"{n}"' for n in schema.names)
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM read_parquet(?) {order}", [files])  # noqa: S608 - fixed names
        if clinical is not None:
            con.execute("CREATE TABLE clinical AS SELECT * FROM read_parquet(?) ORDER BY patient_id NULLS LAST, file, sample_id NULLS FIRST", [str(clinical)])
        con.execute("CHECKPOINT")
    finally:
        con.close()
