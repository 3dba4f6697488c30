"""Cohort inputs: a JSON Lines file of cases, a folder of case files, a cBioPortal study.

:func:`open_input` recognises the kind and returns a :class:`CohortInput`, which counts
the patients up front (so that partitions are cut the same way on a resumed run) and
yields them in partitions, reading lazily where it can: a JSON Lines file is streamed,
a folder's files are read one partition at a time. Parsing and validating a case is
the workers' job; here only bytes are read.
"""

from __future__ import annotations

import gzip
import hashlib
import os
import tempfile
import zlib
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import orjson
import pyarrow as pa
import pyarrow.compute as pc

from her2gc.cohort.items import ExtraColumn, InputSummary, ItemKind, Partition, WorkItem
from her2gc.errors import InputError
from her2gc.input_files import max_input_bytes

CASE_SUFFIXES = (".yaml", ".yml", ".json")


class CohortInput(Protocol):
    summary: InputSummary
    total: int
    extra_columns: tuple[ExtraColumn, ...]

    def partitions(self, size: int) -> Iterator[Partition]: ...

    def fingerprint(self) -> dict[str, Any]: ...

    def close(self) -> None: ...


def _file_fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _patient_id_of_line(line: bytes) -> str | None:
    """The line's ``patient_id`` when it is a JSON object with a non-empty text id, else None."""
    try:
        data = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    value = data.get("patient_id") if isinstance(data, dict) else None
    return value if isinstance(value, str) and value else None


@dataclass
class JsonLinesInput:
    """One case per line (``.jsonl`` or ``.jsonl.gz``); blank lines are skipped and counted.

    Opening the file reads it once and keeps, per case, its byte offset, length, line
    number and patient id (compact Arrow and NumPy arrays, some 30 bytes per case plus
    the id), then orders the cases by patient id. Partitions are cut in that order, so
    the merged outputs are a concatenation of the partitions. A gzip file is
    decompressed once into a temporary file, for reading lines by offset.
    """

    path: Path
    summary: InputSummary = field(init=False)
    total: int = field(init=False)
    extra_columns: tuple[ExtraColumn, ...] = ()

    def __post_init__(self) -> None:
        self.summary = InputSummary(kind="jsonl", path=str(self.path), files=[self.path.name])
        self._temporary: Path | None = None
        self._data = self._plain_copy()
        offsets, lengths, numbers, ids = array("q"), array("q"), array("q"), []
        blank = 0
        position = 0
        with open(self._data, "rb") as handle:
            for number, line in enumerate(handle, start=1):
                if line.strip():
                    offsets.append(position)
                    lengths.append(len(line))
                    numbers.append(number)
                    ids.append(_patient_id_of_line(line))
                else:
                    blank += 1
                position += len(line)
        self.summary.skip("blank lines", blank)
        if not offsets:
            self.close()
            raise InputError(f"{self.path.name}: no cases (the file has no non-blank line)")
        self.total = len(offsets)
        self._offsets, self._lengths, self._numbers = (
            np.frombuffer(a, dtype=np.int64) for a in (offsets, lengths, numbers)
        )
        keys = pa.table(
            {
                "missing": pa.array([i is None for i in ids]),
                "id": pa.array(ids, pa.string()),
                "seq": pa.array(np.arange(self.total)),
            }
        )
        self._order = pc.sort_indices(
            keys, sort_keys=[("missing", "ascending"), ("id", "ascending"), ("seq", "ascending")]
        ).to_numpy()

    def _plain_copy(self) -> Path:
        try:
            with self.path.open("rb") as handle:
                compressed = handle.read(2) == b"\x1f\x8b"
        except OSError as exc:
            raise InputError(f"{self.path}: cannot read ({exc.strerror or exc})") from None
        if not compressed:
            return self.path
        descriptor, name = tempfile.mkstemp(prefix="her2gc-cohort-", suffix=".jsonl")
        self._temporary = Path(name)
        # Decompressed to disk as a stream, within the same cap as every other input: a small
        # gzip bomb must not fill the disk.
        cap = max_input_bytes()
        written = 0
        try:
            with os.fdopen(descriptor, "wb") as out, gzip.open(self.path, "rb") as source:
                while chunk := source.read(1 << 22):
                    written += len(chunk)
                    if written > cap:
                        break
                    out.write(chunk)
        except (OSError, EOFError, zlib.error) as exc:
            self.close()
            raise InputError(f"{self.path.name}: truncated or corrupt gzip ({exc})") from None
        if written > cap:
            self.close()
            raise InputError(
                f"{self.path.name}: decompresses to more than {cap:,} bytes (the HER2GC_MAX_INPUT_BYTES cap); refused"
            )
        return self._temporary

    def partitions(self, size: int) -> Iterator[Partition]:
        with open(self._data, "rb") as handle:
            for index, start in enumerate(range(0, self.total, size)):
                chosen = self._order[start : start + size]
                items = []
                for seq in chosen.tolist():
                    handle.seek(int(self._offsets[seq]))
                    line = handle.read(int(self._lengths[seq]))
                    items.append(
                        WorkItem(
                            seq=seq,
                            source=f"{self.path.name} line {int(self._numbers[seq])}",
                            kind="json",
                            payload=line,
                        )
                    )
                yield Partition(index, tuple(items))

    def fingerprint(self) -> dict[str, Any]:
        return {"kind": "jsonl", **_file_fingerprint(self.path)}

    def close(self) -> None:
        if self._temporary is not None:
            self._temporary.unlink(missing_ok=True)
            self._temporary = None


def _is_case_file(path: Path) -> bool:
    name = path.name.lower().removesuffix(".gz")
    return path.is_file() and not path.name.startswith(".") and name.endswith(CASE_SUFFIXES)


@dataclass
class CaseFolderInput:
    """Every ``*.yaml``, ``*.yml``, ``*.json`` (optionally ``.gz``) below a folder, in path order."""

    path: Path
    summary: InputSummary = field(init=False)
    total: int = field(init=False)
    files: list[Path] = field(init=False)
    extra_columns: tuple[ExtraColumn, ...] = ()

    def __post_init__(self) -> None:
        self.files = sorted(
            (p for p in self.path.rglob("*") if _is_case_file(p)), key=lambda p: p.relative_to(self.path).as_posix()
        )
        self.summary = InputSummary(kind="case_folder", path=str(self.path))
        others = [p for p in self.path.rglob("*") if p.is_file() and not _is_case_file(p)]
        self.summary.skip("files that are not case files (*.yaml, *.yml, *.json)", len(others))
        if not self.files:
            raise InputError(f"{self.path}: no case files (*.yaml, *.yml, *.json, optionally .gz) in the folder")
        self.total = len(self.files)

    def partitions(self, size: int) -> Iterator[Partition]:
        for index, start in enumerate(range(0, len(self.files), size)):
            items = []
            for seq, path in enumerate(self.files[start : start + size], start=start):
                relative = path.relative_to(self.path).as_posix()
                try:
                    data = path.read_bytes()
                except OSError as exc:
                    items.append(WorkItem(seq, relative, "error", f"{relative}: cannot read ({exc.strerror or exc})"))
                    continue
                if data[:2] == b"\x1f\x8b":
                    try:
                        data = gzip.decompress(data)
                    except (OSError, EOFError) as exc:
                        items.append(WorkItem(seq, relative, "error", f"{relative}: truncated or corrupt gzip ({exc})"))
                        continue
                kind: ItemKind = "json" if path.name.lower().removesuffix(".gz").endswith(".json") else "yaml"
                items.append(WorkItem(seq, relative, kind, data))
            yield Partition(index, tuple(items))

    def close(self) -> None:
        return None

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256()
        for path in self.files:
            stat = path.stat()
            digest.update(f"{path.relative_to(self.path).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return {
            "kind": "case_folder",
            "path": str(self.path.resolve()),
            "files": len(self.files),
            "sha256": digest.hexdigest(),
        }


def is_study_folder(path: Path) -> bool:
    """A cBioPortal study: a folder holding ``data_clinical*`` files."""
    return path.is_dir() and any(p.name.lower().startswith("data_clinical") for p in path.iterdir())


def describe_kind(path: Path) -> str:
    """``jsonl``, ``study`` or ``case_folder``; InputError for anything else."""
    if not path.exists():
        raise InputError(f"{path}: no such file or folder")
    if path.is_file():
        name = path.name.lower()
        if name.endswith((".jsonl", ".jsonl.gz", ".ndjson", ".ndjson.gz")):
            return "jsonl"
        raise InputError(
            f"{path}: not a cohort input (give a .jsonl file of cases, a folder of case files, or a cBioPortal study folder)"
        )
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: cannot read the folder")
    return "study" if is_study_folder(path) else "case_folder"
