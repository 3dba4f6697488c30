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
import os
import shutil
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
    the partitions' parts one after the other (:class:`InOrderMerge`); otherwise the rows
    and reports are merged line by line.
    """
    if globally_ordered(checkpoint, partitions):
        in_order = InOrderMerge(checkpoint, outdir, partitions, schema)
        for index in range(partitions):
            in_order.add(index)
        merged = in_order.finish()
        assert merged is not None, "partitions in order"
        return merged
    paths = _paths(outdir)
    writer = pq.ParquetWriter(paths[0], schema, compression="zstd")
    try:
        with open(paths[1], "wb") as tsv, open(paths[2], "wb") as reports:
            tsv_hash = hashlib.sha256(_header(tsv, schema))
            rows, reports_written, duplicates = _merge(checkpoint, partitions, schema, writer, tsv, tsv_hash, reports)
            _sync(tsv)
            _sync(reports)
    finally:
        writer.close()
    return MergedOutputs(paths[0], paths[1], paths[2], rows, reports_written, duplicates, tsv_hash.hexdigest(), False)


def _paths(outdir: Path) -> list[Path]:
    return [temp_name(outdir / name) for name in ("patients.parquet", "patients.tsv", "reports.jsonl")]


def _header(tsv: IO[bytes], schema: pa.Schema) -> bytes:
    header = ("\t".join(schema.names) + "\n").encode()
    tsv.write(header)
    return header


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


class InOrderMerge:
    """The final files as the partitions' parts one after the other, appended as the
    partitions complete (while the others are still being evaluated), in index order.

    Valid while each partition's rows all sort after the previous one's (inputs cut in
    patient-id order); the first partition that does not marks the merge ``broken`` and
    the caller merges line by line instead. The same bytes as the merge: Parquet row
    groups of :data:`BATCH_ROWS` rows, as it writes them. The files are temporaries,
    rebuilt from the checkpoint by every run (a resumed run adds its done partitions first).
    """

    def __init__(self, checkpoint: Checkpoint, outdir: Path, partitions: int, schema: pa.Schema) -> None:
        self.checkpoint, self.partitions, self.schema = checkpoint, partitions, schema
        self.paths = _paths(outdir)
        self.writer: pq.ParquetWriter | None = pq.ParquetWriter(self.paths[0], schema, compression="zstd")
        self.tsv = open(self.paths[1], "wb")  # noqa: SIM115 - closed by finish or discard
        self.reports = open(self.paths[2], "wb")  # noqa: SIM115
        self.tsv_hash = hashlib.sha256(_header(self.tsv, schema))
        self.next = 0
        self.ready: set[int] = set()
        self.broken = False
        self.previous_key: Key | None = None
        self.previous_id: str | None = None
        self.rows = self.reports_written = self.duplicates = 0
        self.pending: list[pa.Table] = []
        self.waiting = 0

    def add(self, index: int) -> None:
        """Partition ``index`` is complete in the checkpoint: append it and every one after it that is."""
        self.ready.add(index)
        while not self.broken and self.next in self.ready:
            self._append(self.next)
            self.ready.discard(self.next)
            self.next += 1

    def _append(self, index: int) -> None:
        folder = self.checkpoint.partition_dir(index)
        table = pa.Table.from_arrays(pq.read_table(folder / "patients.parquet").columns, schema=self.schema)
        if table.num_rows:
            ids, seqs = table.column("patient_id"), table.column("seq")
            first = _key(ids[0].as_py(), seqs[0].as_py())
            if self.previous_key is not None and not self.previous_key < first:
                self.broken = True
                return
            self.previous_key = _key(ids[-1].as_py(), seqs[-1].as_py())
        for patient in table.column("patient_id").to_pylist():
            if patient is not None and patient == self.previous_id:
                self.duplicates += 1
            self.previous_id = patient
        self.rows += table.num_rows
        part = (folder / "patients.tsv").read_bytes()
        self.tsv.write(part)
        self.tsv_hash.update(part)
        _copy_file(folder / "reports.jsonl", self.reports)
        self.reports_written += int(self.checkpoint.stats(index)["evaluated"])
        self.pending.append(table)
        self.waiting += table.num_rows
        while self.waiting >= BATCH_ROWS:
            batch = pa.concat_tables(self.pending)
            self._write(batch.slice(0, BATCH_ROWS))
            rest = batch.slice(BATCH_ROWS)
            self.pending, self.waiting = [rest], rest.num_rows

    def _write(self, table: pa.Table) -> None:
        assert self.writer is not None
        self.writer.write_table(table.combine_chunks())

    def finish(self) -> MergedOutputs | None:
        """The merged files, flushed to disk; None (and nothing left) when the partitions were not in order."""
        if self.broken or self.next != self.partitions:
            self.discard()
            return None
        if self.waiting:
            self._write(pa.concat_tables(self.pending))
        _sync(self.tsv)
        _sync(self.reports)
        self._close()
        parquet, tsv, reports = self.paths
        return MergedOutputs(
            parquet, tsv, reports, self.rows, self.reports_written, self.duplicates, self.tsv_hash.hexdigest(), True
        )

    def _close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            self.writer = None
        self.tsv.close()
        self.reports.close()

    def discard(self) -> None:
        self._close()
        for path in self.paths:
            path.unlink(missing_ok=True)


def _key(patient: str | None, seq: int) -> Key:
    return (patient is None, patient or "", seq)


def _copy_file(source: Path, target: IO[bytes]) -> None:
    """Append a whole file, copied by the kernel (no pass through this process's memory)."""
    target.flush()
    with open(source, "rb") as handle:
        remaining = os.fstat(handle.fileno()).st_size
        offset = 0
        while remaining > 0:
            try:
                copied = os.copy_file_range(handle.fileno(), target.fileno(), remaining, offset)
            except OSError:  # a file system without it: copy through this process
                handle.seek(offset)
                shutil.copyfileobj(handle, target, 1 << 22)
                return
            if copied == 0:
                break
            offset += copied
            remaining -= copied


def _sync(handle: IO[bytes]) -> None:
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
