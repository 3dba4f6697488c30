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
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import pyarrow as pa
import pyarrow.parquet as pq

from her2gc.cohort.checkpoint import Checkpoint, temp_name
from her2gc.cohort.tables import ALTERATIONS, MECHANISMS, OPTIONS, tsv_line

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
    concatenated: bool


def _partition_rows(
    checkpoint: Checkpoint, index: int, with_reports: bool
) -> Iterator[tuple[Key, tuple[Any, ...], bytes | None]]:
    folder = checkpoint.partition_dir(index)
    parquet = pq.ParquetFile(folder / "patients.parquet")
    names = parquet.schema_arrow.names
    id_at, error_at, seq_at = names.index("patient_id"), names.index("error"), names.index("seq")
    with open(folder / "reports.jsonl", "rb") as reports:
        for batch in parquet.iter_batches(batch_size=BATCH_ROWS):
            columns = [column.to_pylist() for column in batch.columns]
            for row in zip(*columns, strict=False):
                line = reports.readline() if with_reports and row[error_at] is None else None
                patient = row[id_at]
                yield (patient is None, patient or "", row[seq_at]), row, line


def _key_range(checkpoint: Checkpoint, index: int) -> tuple[Key, Key] | None:
    table = pq.read_table(checkpoint.partition_dir(index) / "patients.parquet", columns=["patient_id", "seq"])
    if table.num_rows == 0:
        return None
    ids, seqs = table.column("patient_id"), table.column("seq")

    def key(row: int) -> Key:
        patient = ids[row].as_py()
        return (patient is None, patient or "", seqs[row].as_py())

    return key(0), key(table.num_rows - 1)


def globally_ordered(checkpoint: Checkpoint, partitions: int) -> bool:
    """Whether each partition's rows all sort after the previous one's: then the merge is a concatenation."""
    previous: Key | None = None
    for index in range(partitions):
        bounds = _key_range(checkpoint, index)
        if bounds is None:
            continue
        if previous is not None and not previous < bounds[0]:
            return False
        previous = bounds[1]
    return True


def merge_patients(checkpoint: Checkpoint, outdir: Path, partitions: int, schema: pa.Schema) -> MergedOutputs:
    """Write patients.parquet, patients.tsv and reports.jsonl (temporary names) in patient-id order.

    When the partitions are already in order (inputs cut in patient-id order), each file is
    the partitions' parts one after the other, copied whole; otherwise the rows and reports
    are merged line by line.
    """
    paths = [temp_name(outdir / name) for name in ("patients.parquet", "patients.tsv", "reports.jsonl")]
    concatenated = globally_ordered(checkpoint, partitions)
    merge = _concatenate if concatenated else _merge
    writer = pq.ParquetWriter(paths[0], schema, compression="zstd")
    try:
        with open(paths[1], "wb") as tsv, open(paths[2], "wb") as reports:
            header = ("\t".join(schema.names) + "\n").encode()
            tsv.write(header)
            tsv_hash = hashlib.sha256(header)
            rows, reports_written, duplicates = merge(checkpoint, partitions, schema, writer, tsv, tsv_hash, reports)
            _sync(tsv)
            _sync(reports)
    finally:
        writer.close()
    return MergedOutputs(
        paths[0], paths[1], paths[2], rows, reports_written, duplicates, tsv_hash.hexdigest(), concatenated
    )


def _merge(
    checkpoint: Checkpoint,
    partitions: int,
    schema: pa.Schema,
    writer: pq.ParquetWriter,
    tsv: IO[bytes],
    tsv_hash: Any,
    reports: IO[bytes],
) -> tuple[int, int, int]:
    """The k-way merge of the partitions' rows and reports; (rows, reports, duplicate ids)."""
    streams = [_partition_rows(checkpoint, i, True) for i in range(partitions)]
    rows = reports_written = duplicates = 0
    previous: str | None = None
    buffer: list[tuple[Any, ...]] = []
    for key, row, line in heapq.merge(*streams, key=lambda entry: entry[0]):
        rows += 1
        if not key[0] and key[1] == previous:
            duplicates += 1
        previous = None if key[0] else key[1]
        text = tsv_line(row)
        tsv.write(text)
        tsv_hash.update(text)
        if line is not None:
            reports.write(line)
            reports_written += 1
        buffer.append(row)
        if len(buffer) >= BATCH_ROWS:
            _write_batch(writer, buffer, schema)
            buffer = []
    if buffer:
        _write_batch(writer, buffer, schema)
    return rows, reports_written, duplicates


def _concatenate(
    checkpoint: Checkpoint,
    partitions: int,
    schema: pa.Schema,
    writer: pq.ParquetWriter,
    tsv: IO[bytes],
    tsv_hash: Any,
    reports: IO[bytes],
) -> tuple[int, int, int]:
    """The partitions' parts one after the other (they are in order already): the same
    bytes as the merge, with Parquet row groups of :data:`BATCH_ROWS` rows as it writes them."""
    rows = reports_written = duplicates = 0
    previous: str | None = None
    pending: list[pa.Table] = []
    waiting = 0
    for index in range(partitions):
        folder = checkpoint.partition_dir(index)
        table = pa.Table.from_arrays(pq.read_table(folder / "patients.parquet").columns, schema=schema)
        ids = table.column("patient_id").to_pylist()
        for patient in ids:
            if patient is not None and patient == previous:
                duplicates += 1
            previous = patient
        rows += table.num_rows
        part = (folder / "patients.tsv").read_bytes()
        tsv.write(part)
        tsv_hash.update(part)
        with open(folder / "reports.jsonl", "rb") as source:
            reports_written += _copy(source, reports)
        pending.append(table)
        waiting += table.num_rows
        while waiting >= BATCH_ROWS:
            batch = pa.concat_tables(pending)
            writer.write_table(batch.slice(0, BATCH_ROWS).combine_chunks())
            rest = batch.slice(BATCH_ROWS)
            pending, waiting = [rest], rest.num_rows
    if waiting:
        writer.write_table(pa.concat_tables(pending).combine_chunks())
    return rows, reports_written, duplicates


def _copy(source: IO[bytes], target: IO[bytes]) -> int:
    """Copy a whole report file; the number of lines it holds (counted in the copied bytes)."""
    lines = 0
    while chunk := source.read(1 << 22):
        target.write(chunk)
        lines += chunk.count(b"\n")
    return lines


def _sync(handle: IO[bytes]) -> None:
    import os

    handle.flush()
    os.fsync(handle.fileno())


def _write_batch(writer: pq.ParquetWriter, rows: Sequence[tuple[Any, ...]], schema: pa.Schema) -> None:
    columns = list(zip(*rows, strict=False))
    writer.write_table(
        pa.table([pa.array(list(c), type=f.type) for c, f in zip(columns, schema, strict=False)], schema=schema)
    )


def build_duckdb(
    path: Path, patients_parquet: Path, checkpoint: Checkpoint, partitions: int, clinical: Path | None, in_order: bool
) -> None:
    """``cohort.duckdb`` at ``path``: tables patients, alterations, mechanisms, options (and clinical).

    ``in_order``: the partitions follow each other in patient-id order, so their rows are
    taken in file order (DuckDB keeps insertion order) instead of being sorted again.
    """
    import duckdb

    path.unlink(missing_ok=True)
    con = duckdb.connect(str(path))
    try:
        # Bounded memory: DuckDB spills sorts to the checkpoint folder rather than grow.
        con.execute("SET memory_limit = '256MB'")
        con.execute("SET temp_directory = ?", [str(checkpoint.root / "duckdb_tmp")])
        con.execute("SET preserve_insertion_order = true")
        con.execute("CREATE TABLE patients AS SELECT * FROM read_parquet(?)", [str(patients_parquet)])
        order = "" if in_order else "ORDER BY patient_id NULLS LAST, seq, ordinal"
        for name, schema in (("alterations", ALTERATIONS), ("mechanisms", MECHANISMS), ("options", OPTIONS)):
            files = [str(checkpoint.partition_dir(i) / f"{name}.parquet") for i in range(partitions)]
            columns = ", ".join(f'"{n}"' for n in schema.names)
            con.execute(f"CREATE TABLE {name} AS SELECT {columns} FROM read_parquet(?) {order}", [files])
        if clinical is not None:
            con.execute(
                "CREATE TABLE clinical AS SELECT * FROM read_parquet(?) ORDER BY patient_id NULLS LAST, file, sample_id NULLS FIRST, attribute",
                [str(clinical)],
            )
        con.execute("CHECKPOINT")
    finally:
        con.close()
