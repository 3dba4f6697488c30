"""MAF reader (GDC and cBioPortal conventions), vectorised with pyarrow.

Columns are matched case-insensitively; the first alias present wins:

* gene: ``Hugo_Symbol``, ``gene``, ``symbol``, ``gene_symbol``, ``hugoGeneSymbol``
* sample: ``Tumor_Sample_Barcode``, ``sample_id``, ``sample``, ``sampleId``
* protein change: ``HGVSp_Short``, ``HGVSp``, ``Protein_Change``, ``amino_acid_change``, ``aa_change``
* class: ``Variant_Classification`` (or a VEP ``Consequence`` column)
* optional: ``NCBI_Build``; VAF from ``t_vaf``/``tumor_vaf``/``vaf``/``tumor_f`` or from
  ``t_alt_count`` with ``t_ref_count`` or ``t_depth``.

Rows that are skipped, each counted by reason: non-tumour TCGA samples (sample type >= 10),
changes that do not alter the protein (silent, intronic, UTR...), unknown classification
terms, rows without gene or sample, rows with the wrong number of fields. A protein change
that is present but not HGVS-like is kept as an alteration without protein change and
counted in the warnings. A genome build other than GRCh37/GRCh38 is an error (file and line).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from her2gc.errors import InputError
from her2gc.kb.genomics import GenomicsKnowledge, parse_build
from her2gc.readers import variant_class
from her2gc.readers.protein import normalise_protein_array
from her2gc.readers.result import SCHEMA, ReadResult, non_tumour_mask, normalise_genes
from her2gc.readers.tabular import RawTable, ReadReport, numeric, read_delimited, text

ALIASES: dict[str, list[str]] = {
    "gene": ["Hugo_Symbol", "gene", "symbol", "gene_symbol", "hugoGeneSymbol"],
    "sample": ["Tumor_Sample_Barcode", "sample_id", "sample", "sampleId", "tumor_sample"],
    "protein": ["HGVSp_Short", "HGVSp", "Protein_Change", "amino_acid_change", "aa_change", "proteinChange"],
    "class": ["Variant_Classification", "Consequence", "variant_class", "mutationType"],
    "build": ["NCBI_Build", "build", "genome_build"],
    "start": ["Start_Position", "Start_position", "start", "pos", "position"],
    "vaf": ["t_vaf", "tumor_vaf", "vaf", "tumor_f", "allele_fraction"],
    "alt_count": ["t_alt_count", "tumor_alt_count"],
    "ref_count": ["t_ref_count", "tumor_ref_count"],
    "depth": ["t_depth", "tumor_depth"],
}
REQUIRED = ("gene", "sample", "protein", "class")


def read_maf(path: Path | str, genomics: GenomicsKnowledge) -> ReadResult:
    """Protein-altering mutations of a MAF (plain or gzip), one row per sample and mutation."""
    path = Path(path)
    report = ReadReport()
    return maf_alterations(read_maf_table(path, report), report, genomics)


def read_maf_table(path: Path, report: ReadReport) -> RawTable:
    """The file's columns as text (the I/O half of :func:`read_maf`)."""
    return read_delimited(path, ALIASES, REQUIRED, report, delimiter="\t")


def maf_alterations(raw: RawTable, report: ReadReport, genomics: GenomicsKnowledge) -> ReadResult:
    """The alteration table of a MAF already read (the compute half of :func:`read_maf`)."""
    path = raw.path
    build = _check_build(raw)
    if "start" in raw.columns:
        numeric(raw, "start", integer=True)  # a position that is not a number names its line
    raw = _drop(raw, _missing_required(raw), "rows without gene or sample", report)
    raw = _drop(raw, non_tumour_mask(text(raw, "sample")), "non-tumour TCGA samples (sample type 10-29)", report)
    classes = variant_class.classify_terms(text(raw, "class").combine_chunks(), genomics)
    skipped_terms = pc.equal(classes, variant_class.SKIP)
    raw, classes = (
        _drop(raw, skipped_terms, "mutations that do not change the protein (silent, intronic, UTR...)", report),
        classes.filter(pc.invert(skipped_terms)),
    )
    unknown = pc.equal(classes, variant_class.UNKNOWN)
    if pc.any(unknown).as_py():
        first = int(np.flatnonzero(unknown.to_numpy(zero_copy_only=False))[0])
        report.warn(
            f"{raw.where(first, 'class')}: unknown variant classification '{text(raw, 'class')[first].as_py()}' (row skipped; see variant_classes.yaml)"
        )
    raw, classes = (
        _drop(raw, unknown, "unknown variant classification terms", report),
        classes.filter(pc.invert(unknown)),
    )
    genes = normalise_genes(text(raw, "gene").combine_chunks(), genomics)
    changes, invalid = normalise_protein_array(text(raw, "protein"))
    _warn_invalid_changes(raw, invalid, report)
    classes = variant_class.refine_hotspots(genes, changes, classes, genomics)
    kinds = pc.take(
        pa.array(list(variant_class.KIND_OF_CLASS.values())),
        pc.index_in(classes, value_set=pa.array(list(variant_class.KIND_OF_CLASS))),
    )
    rows = raw.table.num_rows
    table = pa.table(
        {
            "sample_id": text(raw, "sample").combine_chunks(),
            "gene": genes,
            "kind": kinds,
            "variant_class": classes,
            "protein_change": changes,
            "copy_number": pa.nulls(rows, pa.float64()),
            "log2_ratio": pa.nulls(rows, pa.float64()),
            "vaf": _vaf(raw, report),
            "line": raw.lines().combine_chunks(),
        },
        schema=SCHEMA,
    )
    return ReadResult(path=path, source="maf", table=table, report=report, extra={"build": build})


def _drop(raw: RawTable, mask: pa.Array | pa.ChunkedArray, reason: str, report: ReadReport) -> RawTable:
    count = pc.sum(mask).as_py() or 0
    if not count:
        return raw
    report.skip(reason, count)
    return raw.filter(pc.invert(mask))


def _missing_required(raw: RawTable) -> pa.Array:
    return pc.or_(pc.is_null(text(raw, "gene")), pc.is_null(text(raw, "sample")))


def _check_build(raw: RawTable) -> str | None:
    if "build" not in raw.columns:
        return None
    values = pc.drop_null(pc.unique(text(raw, "build"))).to_pylist()
    builds = set()
    for value in values:
        index = pc.index(text(raw, "build"), value).as_py()
        builds.add(parse_build(value, raw.where(index, "build")))
    if len(builds) > 1:
        raise InputError(f"{raw.path.name}: column '{raw.columns['build']}' mixes genome builds {sorted(builds)}")
    return builds.pop() if builds else None


def _warn_invalid_changes(raw: RawTable, invalid: pa.Array, report: ReadReport) -> None:
    count = pc.sum(invalid).as_py() or 0
    if count:
        first = int(np.flatnonzero(invalid.to_numpy(zero_copy_only=False))[0])
        report.warn(
            f"{raw.where(first, 'protein')}: {count} protein change(s) not in HGVS form, e.g. "
            f"'{text(raw, 'protein')[first].as_py()}' (kept without protein change)"
        )


def _vaf(raw: RawTable, report: ReadReport) -> pa.Array:
    rows = raw.table.num_rows
    if "vaf" in raw.columns:
        vaf = numeric(raw, "vaf")
    elif "alt_count" in raw.columns and ("ref_count" in raw.columns or "depth" in raw.columns):
        alt = numeric(raw, "alt_count")
        depth = numeric(raw, "depth") if "depth" in raw.columns else pc.add(alt, numeric(raw, "ref_count"))
        vaf = pc.if_else(pc.greater(depth, 0), pc.divide(alt, depth), pa.scalar(None, pa.float64()))
    else:
        return pa.nulls(rows, pa.float64())
    out_of_range = pc.fill_null(pc.or_(pc.less(vaf, 0), pc.greater(vaf, 1)), False)
    count = pc.sum(out_of_range).as_py() or 0
    if count:
        first = int(np.flatnonzero(out_of_range.to_numpy(zero_copy_only=False))[0])
        report.warn(
            f"{raw.where(first, 'vaf' if 'vaf' in raw.columns else 'alt_count')}: {count} allele fraction(s) outside 0-1 (set to empty)"
        )
        vaf = pc.if_else(out_of_range, pa.scalar(None, pa.float64()), vaf)
    return vaf
