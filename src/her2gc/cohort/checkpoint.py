"""Atomic files and the checkpoint of completed partitions.

Every file is written under a temporary name in its final folder, flushed to disk and
renamed into place (``os.replace`` is atomic on POSIX), so a run killed at any instant
leaves either the whole file or none under the final name. A completed partition is a
folder ``OUTDIR/.partitions/p00007/`` renamed into place after its files; ``manifest.json``
records what the run was made from, so that ``--resume`` refuses to mix two inputs.
"""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

from her2gc.errors import InputError

if TYPE_CHECKING:
    from her2gc.cohort.evaluation import PartitionResult

CHECKPOINT_DIR = ".partitions"
TEMP_MARK = ".tmp-"


def temp_name(path: Path) -> Path:
    return path.with_name(f".{path.name}{TEMP_MARK}{os.getpid()}")


@contextmanager
def atomic_file(path: Path) -> Iterator[IO[bytes]]:
    """Write ``path`` (bytes) through a temporary file renamed into place when the block ends."""
    temporary = temp_name(path)
    handle = open(temporary, "wb")  # noqa: SIM115 - closed below
    try:
        yield handle
        handle.flush()
        os.fsync(handle.fileno())
        handle.close()
        os.replace(temporary, path)
    except BaseException:
        handle.close()
        temporary.unlink(missing_ok=True)
        raise


def write_atomic(path: Path, data: bytes) -> None:
    with atomic_file(path) as handle:
        handle.write(data)


def remove_stale_temporaries(folder: Path) -> int:
    """Temporary files and folders a killed run left behind (never a final name)."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.iterdir():
        if path.name.startswith(".") and TEMP_MARK in path.name:
            shutil.rmtree(path) if path.is_dir() else path.unlink(missing_ok=True)
            removed += 1
    return removed


def partition_folder(root: Path, index: int) -> Path:
    return root / f"p{index:05d}"


def write_partition(root: Path, result: PartitionResult) -> Path:
    """Write one partition's files into a temporary folder under ``root`` (the checkpoint
    folder); the folder. The process that evaluated the partition calls it when it shares
    this file system (local workers), so its reports never travel through a pipe; the
    run's own process then commits the folder (:meth:`Checkpoint.store`), so that only it
    ever puts a partition in place, and the workers never wait for the disk."""
    temporary = root / f".{partition_folder(root, result.index).name}{TEMP_MARK}{os.getpid()}"
    if temporary.exists():
        shutil.rmtree(temporary)
    temporary.mkdir()
    files = {**result.files(), "stats.json": (json.dumps(result.stats, sort_keys=True) + "\n").encode()}
    for name, data in files.items():
        (temporary / name).write_bytes(data)
    return temporary


def _commit(temporary: Path, final: Path) -> None:
    """Flush every file of ``temporary`` to disk, then rename it to ``final``."""
    for path in sorted(temporary.iterdir()):
        with open(path, "rb") as handle:
            os.fsync(handle.fileno())
    if final.exists():
        shutil.rmtree(final)
    os.replace(temporary, final)


class Checkpoint:
    """Completed partitions of one run, under ``OUTDIR/.partitions``."""

    def __init__(self, outdir: Path) -> None:
        self.root = outdir / CHECKPOINT_DIR
        self.manifest_path = self.root / "manifest.json"

    def partition_dir(self, index: int) -> Path:
        return partition_folder(self.root, index)

    def start(self, manifest: dict[str, Any], resume: bool) -> set[int]:
        """Prepare the folder; the indices of partitions already done (resume only)."""
        if resume and self.manifest_path.is_file():
            recorded = json.loads(self.manifest_path.read_text(encoding="utf-8"))
            differing = sorted(k for k in set(recorded) | set(manifest) if recorded.get(k) != manifest.get(k))
            if differing:
                raise InputError(
                    f"{self.root.parent}: --resume: the interrupted run was made with a different {', '.join(differing)}; "
                    "run again without --resume to start over"
                )
            remove_stale_temporaries(self.root)
            return {
                int(p.name[1:])
                for p in self.root.iterdir()
                if p.is_dir() and p.name.startswith("p") and p.name[1:].isdigit()
            }
        if self.root.exists():
            shutil.rmtree(self.root)
        self.root.mkdir(parents=True)
        write_atomic(self.manifest_path, (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
        return set()

    def store(self, result: PartitionResult) -> None:
        """Put one partition in place: its files (written here, or by the worker that
        evaluated it) flushed to disk, then its folder renamed into place."""
        written = Path(result.written) if result.written else write_partition(self.root, result)
        _commit(written, self.partition_dir(result.index))

    def stats(self, index: int) -> dict[str, Any]:
        data: dict[str, Any] = json.loads((self.partition_dir(index) / "stats.json").read_text(encoding="utf-8"))
        return data

    def write_extra(self, name: str, data: bytes) -> Path:
        path = self.root / name
        write_atomic(path, data)
        return path

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
