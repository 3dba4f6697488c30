"""What every sequencing reader returns: an alteration table and what was skipped."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.tabular import ReadReport

# One row per sample and alteration; the columns every reader fills (nulls where not known).
SCHEMA = pa.schema(
    [
        ("sample_id", pa.string()),
        ("gene", pa.string()),
        ("kind", pa.string()),
        ("variant_class", pa.string()),
        ("protein_change", pa.string()),
        ("copy_number", pa.float64()),
        ("log2_ratio", pa.float64()),
        ("vaf", pa.float64()),
        ("line", pa.int64()),
    ]
)

# TCGA barcodes: TCGA-TSS-PART-<sample type><vial>...; types 01-09 tumour, 10-19 normal,
# 20-29 controls (GDC sample type codes). Patient-level barcodes carry no type.
TCGA_SAMPLE = re.compile(r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-(\d{2})")
TCGA_TYPE_REGEX = r"^TCGA-[A-Z0-9]{2}-[A-Z0-9]{4}-(?:[1-9][0-9])"


def per_distinct(values: pa.Array | pa.ChunkedArray, compute: Callable[[pa.Array], pa.Array]) -> pa.Array:
    """``compute`` applied once per distinct value and spread back over the column.

    MAF columns repeat heavily (393 samples, ~20 variant classes, a few thousand genes in
    178k rows), so working on the dictionary instead of the rows is the cheap way.
    """
    column = values.combine_chunks() if isinstance(values, pa.ChunkedArray) else values
    encoded = pc.dictionary_encode(column)
    return pc.take(compute(encoded.dictionary), encoded.indices)


def non_tumour_mask(samples: pa.Array | pa.ChunkedArray) -> pa.Array:
    """True for TCGA barcodes whose sample type is not a tumour (10 and above)."""
    return per_distinct(
        samples, lambda distinct: pc.fill_null(pc.match_substring_regex(distinct, TCGA_TYPE_REGEX), False)
    )


def empty_table() -> pa.Table:
    return SCHEMA.empty_table()


def normalise_genes(genes: pa.Array | pa.ChunkedArray, genomics: GenomicsKnowledge) -> pa.Array:
    """HGNC symbol for knowledge-base genes and their aliases (``HER2`` -> ``ERBB2``, ``MLL2`` -> ``KMT2D``);
    other symbols are kept as written, upper-cased."""
    table = genomics.aliases
    keys = pa.array(list(table), pa.string())
    symbols = pa.array(list(table.values()), pa.string())

    def normalise(distinct: pa.Array) -> pa.Array:
        upper = pc.utf8_upper(pc.utf8_trim_whitespace(distinct))
        return pc.coalesce(pc.take(symbols, pc.index_in(upper, value_set=keys)), upper)

    return per_distinct(genes, normalise)


def in_knowledge_base(genes: pa.Array | pa.ChunkedArray, genomics: GenomicsKnowledge) -> pa.Array:
    known = pa.array(sorted(genomics.symbols), pa.string())
    return pc.fill_null(pc.is_in(genes, value_set=known), False)


@dataclass
class ReadResult:
    """Alterations read from one file (``table`` in :data:`SCHEMA`) and the rows not used."""

    path: Path
    source: str  # maf | vcf | cna | seg
    table: pa.Table
    report: ReadReport = field(default_factory=ReadReport)
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def skipped(self) -> dict[str, int]:
        return self.report.skipped

    @property
    def warnings(self) -> list[str]:
        return self.report.warnings

    def samples(self) -> list[str]:
        return sorted(s for s in pc.unique(self.table.column("sample_id")).to_pylist() if s is not None)

    def summary(self) -> str:
        """One line for stderr: every row read, used or skipped by reason, and what came of it."""
        return (
            f"{self.path.name} ({self.source}): {self.table.num_rows} alteration(s) in {len(self.samples())} sample(s); "
            f"{self.report.accounting()}"
        )
