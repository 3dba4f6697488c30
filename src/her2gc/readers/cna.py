"""cBioPortal discrete copy-number (``data_CNA.txt``, GISTIC ``all_thresholded.by_genes``).

Wide table: ``Hugo_Symbol`` (or ``Gene Symbol``), optional ``Entrez_Gene_Id``, ``Locus ID``
and ``Cytoband`` columns, then one column per sample holding -2, -1.5, -1, 0, 1 or 2
(``NA`` or empty: not called). 2 is a high-level amplification (``amp``), -2 and -1.5 a deep
deletion (``del``); +-1 are low-level gains / shallow losses, not alterations of the case,
counted in ``skipped``. Values from ``copy_number.yaml`` (``discrete``); conventions from
Mermel et al. 2011 (GISTIC2) and the cBioPortal file-format documentation.
A value that is not a number, or not one of these, is an error naming the file, line and sample.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from her2gc.errors import InputError
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.result import SCHEMA, TCGA_SAMPLE, ReadResult, normalise_genes
from her2gc.readers.tabular import LINE, RawTable, ReadReport, numeric, read_delimited, text

ALIASES: dict[str, list[str]] = {"gene": ["Hugo_Symbol", "Gene Symbol", "gene", "symbol"]}
ANNOTATION_COLUMNS = {"hugo_symbol", "gene symbol", "gene", "symbol", "entrez_gene_id", "locus id", "cytoband"}


def read_cna(path: Path | str, genomics: GenomicsKnowledge) -> ReadResult:
    """Amplifications (2) and deep deletions (-2, -1.5) of a discrete CNA matrix, one row per sample and gene."""
    path = Path(path)
    report = ReadReport()
    raw = read_delimited(path, ALIASES, ["gene"], report, delimiter="\t", keep_all_columns=True)
    no_gene = pc.is_null(text(raw, "gene"))
    if pc.any(no_gene).as_py():
        report.skip("rows without a gene symbol", pc.sum(no_gene).as_py())
        raw = raw.filter(pc.invert(no_gene))
    samples = [
        c for c in raw.table.column_names if c.strip().lower() not in ANNOTATION_COLUMNS and c != LINE and c.strip()
    ]
    if not samples:
        raise InputError(f"{path.name} line {raw.header_line}: no sample columns after the gene columns")
    raw = RawTable(raw.path, raw.table, raw.header_line, {**raw.columns, **{name: name for name in samples}})
    discrete = genomics.copy_number.discrete.model_dump(by_alias=True)
    amp, deleted, low = (np.array(discrete[k], dtype=float) for k in ("amp", "del", "low_level"))
    allowed = np.concatenate([amp, deleted, low, [0.0]])
    genes = normalise_genes(text(raw, "gene").combine_chunks(), genomics)
    pieces: list[pa.Table] = []
    low_level = 0
    for sample in samples:  # one vectorised pass per sample column
        match = TCGA_SAMPLE.match(sample)
        if match and int(match.group(1)) >= 10:
            report.skip("non-tumour TCGA sample columns (sample type 10-29)", unit="column")
            continue
        values = _column_values(raw, sample, allowed)
        is_amp = np.isin(values, amp)
        is_del = np.isin(values, deleted)
        low_level += int(np.isin(values, low).sum())
        keep = np.flatnonzero(is_amp | is_del)
        if keep.size:
            pieces.append(_rows(sample, genes, raw.lines(), keep, is_amp))
    report.skip("low-level gains / shallow losses (GISTIC +-1), not alterations", low_level, unit="value")
    table = pa.concat_tables(pieces) if pieces else SCHEMA.empty_table()
    return ReadResult(path=path, source="cna", table=table, report=report, extra={"samples": samples})


def _column_values(raw: RawTable, sample: str, allowed: np.ndarray) -> np.ndarray:
    values: np.ndarray = np.asarray(numeric(raw, sample).to_numpy(zero_copy_only=False), dtype=np.float64)
    bad = np.flatnonzero(~np.isnan(values) & ~np.isin(values, allowed))
    if bad.size:
        row = int(bad[0])
        raise InputError(
            f"{raw.where(row, sample)}: '{values[row]:g}' is not a discrete copy-number value (-2, -1.5, -1, 0, 1, 2)"
        )
    return values


def _rows(sample: str, genes: pa.Array, lines: pa.ChunkedArray, keep: np.ndarray, is_amp: np.ndarray) -> pa.Table:
    index = pa.array(keep)
    count = len(keep)
    kinds = np.where(is_amp[keep], "amp", "del")
    return pa.table(
        {
            "sample_id": pa.array([sample] * count, pa.string()),
            "gene": pc.take(genes, index),
            "kind": pa.array(kinds, pa.string()),
            "variant_class": pa.array(np.where(is_amp[keep], "amplification", "deletion"), pa.string()),
            "protein_change": pa.nulls(count, pa.string()),
            "copy_number": pa.nulls(count, pa.float64()),
            "log2_ratio": pa.nulls(count, pa.float64()),
            "vaf": pa.nulls(count, pa.float64()),
            "line": pc.take(lines.combine_chunks(), index),
        },
        schema=SCHEMA,
    )
