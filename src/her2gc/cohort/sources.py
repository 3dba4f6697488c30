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
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO, Protocol

from her2gc.cohort.items import ExtraColumn, InputSummary, Partition, WorkItem
from her2gc.errors import InputError

CASE_SUFFIXES = (".yaml", ".yml", ".json")


class CohortInput(Protocol):
    summary: InputSummary
    total: int
    extra_columns: tuple[ExtraColumn, ...]

    def partitions(self, size: int) -> Iterator[Partition]: ...

    def fingerprint(self) -> dict[str, Any]: ...


def _file_fingerprint(path: Path) -> dict[str, Any]:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime_ns": stat.st_mtime_ns}


def _open_maybe_gzip(path: Path) -> BinaryIO:
    try:
        handle = path.open("rb")
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    magic = handle.read(2)
    handle.seek(0)
    if magic == b"\x1f\x8b":
        return gzip.GzipFile(fileobj=handle)  # type: ignore[return-value]
    return handle


@dataclass
class JsonLinesInput:
    """One case per line (``.jsonl`` or ``.jsonl.gz``); blank lines are skipped and counted."""

    path: Path
    summary: InputSummary = field(init=False)
    total: int = field(init=False)
    extra_columns: tuple[ExtraColumn, ...] = ()

    def __post_init__(self) -> None:
        self.summary = InputSummary(kind="jsonl", path=str(self.path), files=[self.path.name])
        count = blank = 0
        try:
            with _open_maybe_gzip(self.path) as handle:
                for line in handle:
                    if line.strip():
                        count += 1
                    else:
                        blank += 1
        except (OSError, EOFError) as exc:
            raise InputError(f"{self.path.name}: truncated or corrupt ({exc})") from None
        self.summary.skip("blank lines", blank)
        if count == 0:
            raise InputError(f"{self.path.name}: no cases (the file has no non-blank line)")
        self.total = count

    def partitions(self, size: int) -> Iterator[Partition]:
        batch: list[WorkItem] = []
        seq = 0
        index = 0
        with _open_maybe_gzip(self.path) as handle:
            for number, line in enumerate(handle, start=1):
                if not line.strip():
                    continue
                batch.append(WorkItem(seq=seq, source=f"{self.path.name} line {number}", kind="json", payload=line))
                seq += 1
                if len(batch) == size:
                    yield Partition(index, tuple(batch))
                    index += 1
                    batch = []
        if batch:
            yield Partition(index, tuple(batch))

    def fingerprint(self) -> dict[str, Any]:
        return {"kind": "jsonl", **_file_fingerprint(self.path)}


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
        self.files = sorted((p for p in self.path.rglob("*") if _is_case_file(p)), key=lambda p: p.relative_to(self.path).as_posix())
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
                kind = "json" if path.name.lower().removesuffix(".gz").endswith(".json") else "yaml"
                items.append(WorkItem(seq, relative, kind, data))
            yield Partition(index, tuple(items))

    def fingerprint(self) -> dict[str, Any]:
        digest = hashlib.sha256()
        for path in self.files:
            stat = path.stat()
            digest.update(f"{path.relative_to(self.path).as_posix()}\0{stat.st_size}\0{stat.st_mtime_ns}\n".encode())
        return {"kind": "case_folder", "path": str(self.path.resolve()), "files": len(self.files), "sha256": digest.hexdigest()}


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
        raise InputError(f"{path}: not a cohort input (give a .jsonl file of cases, a folder of case files, or a cBioPortal study folder)")
    if not os.access(path, os.R_OK | os.X_OK):
        raise InputError(f"{path}: cannot read the folder")
    return "study" if is_study_folder(path) else "case_folder"
