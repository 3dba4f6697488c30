"""What travels from the input to the workers: patients as work items, in partitions.

A :class:`WorkItem` carries one patient as the input gave it (JSON or YAML text, a case
already assembled from a study's tables, or the one-line error that stopped its
assembly) plus the values of the input's extra patient columns (end points, carried
study columns). A :class:`Partition` is a run of items in input order; partitions are
the unit of work, of checkpointing and of memory.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

# Patients per partition: large enough that per-task overheads (a pickle, a Dask
# round trip, four small Parquet files) vanish, small enough that a partition's
# reports (about 10-60 kB each) stay a few tens of MB in a worker. Small cohorts
# are cut finer so that every worker gets some of them.
PARTITION_SIZE = 1000
MIN_PARTITION_SIZE = 25
TARGET_PARTITIONS = 16

ItemKind = Literal["json", "yaml", "case", "error"]
ColumnType = Literal["string", "float64", "int64", "bool"]


@dataclass(frozen=True, slots=True)
class ExtraColumn:
    """A patient-table column that comes from the input rather than from the report."""

    name: str
    type: ColumnType
    label: str = ""
    role: Literal["endpoint_time", "endpoint_event", "carried"] = "carried"


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One patient as the input gave it.

    ``seq`` is the patient's position in the input, the tie-break of the output order;
    ``source`` says where it came from (``cases.jsonl line 12``); ``payload`` is JSON or
    YAML text (bytes), a case mapping, or an error message, as ``kind`` says.
    """

    seq: int
    source: str
    kind: ItemKind
    payload: bytes | dict[str, Any] | str
    patient_id: str | None = None
    extra: tuple[Any, ...] = ()


@dataclass(frozen=True, slots=True)
class Partition:
    index: int
    items: tuple[WorkItem, ...]


@dataclass
class InputSummary:
    """What reading the input found, beside the patients: for stderr and run.json."""

    kind: str
    path: str
    skipped: dict[str, int] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    unmapped_columns: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)

    def skip(self, reason: str, count: int = 1) -> None:
        if count:
            self.skipped[reason] = self.skipped.get(reason, 0) + count


def partition_size(total: int) -> int:
    """Patients per partition for a cohort of ``total``: :data:`PARTITION_SIZE` at most,
    about :data:`TARGET_PARTITIONS` partitions for small cohorts, never below
    :data:`MIN_PARTITION_SIZE`. Depends on the cohort only, so a resumed run cuts alike."""
    return max(MIN_PARTITION_SIZE, min(PARTITION_SIZE, math.ceil(total / TARGET_PARTITIONS)))
