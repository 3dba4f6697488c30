"""Segmented copy number (``.seg``, log2 ratio) to gene-level amplification / deletion calls.

Input: the IGV / cBioPortal / DNAcopy segment format, one row per segment: sample
(``ID``), chromosome (``chrom``, ``chr`` prefix optional, 23/24 = X/Y), ``loc.start``,
``loc.end``, optional ``num.mark``, and the segment mean log2 ratio (``seg.mean``;
aliases ``Segment_Mean``, ``log2``, ``log2_ratio``). Plain or gzip.

Gene level: the length-weighted mean log2 ratio of the segments overlapping the gene's
span on the chosen build (``genes.yaml``). Calls, defaults in ``copy_number.yaml``:

* ``arm_relative`` (default) -- the GISTIC2 high-level rule (Mermel et al., Genome Biol
  2011; the rule behind the thresholded ``+-2`` calls of TCGA and cBioPortal): amplified
  when the gene's log2 ratio exceeds the sample's highest autosomal arm-level median (and
  the 0.1 noise threshold), deleted when below the lowest arm-level median (and -0.1).
  Parameter-free per sample, so tumour purity and ploidy, which compress log2 ratios, are
  accounted for without fitting anything to outcome labels.
* ``fixed`` -- log2 ratio >= ``amp_threshold`` (default 1.0, a twofold ratio, the analogue
  of an ISH HER2/CEP17 ratio of 2.0) or <= ``del_threshold`` (default -1.0).

The agreement of both with the published TCGA ERBB2 calls is in docs/copy_number.md.
Reported copy number is ``ploidy * 2**log2`` (uncorrected for purity).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from her2gc.errors import InputError
from her2gc.kb.genomics import Build, GeneSpan, GenomicsKnowledge, parse_build
from her2gc.readers.result import SCHEMA, ReadResult, non_tumour_mask
from her2gc.readers.tabular import RawTable, ReadReport, numeric, read_delimited, text

Method = Literal["arm_relative", "fixed"]
ALIASES: dict[str, list[str]] = {
    "sample": ["ID", "sample", "sample_id", "Sample", "sampleId"],
    "chrom": ["chrom", "chromosome", "chr", "Chromosome"],
    "start": ["loc.start", "start", "loc_start", "startpos", "Start"],
    "end": ["loc.end", "end", "loc_end", "endpos", "End"],
    "value": ["seg.mean", "Segment_Mean", "seg_mean", "log2", "log2_ratio", "mean"],
}
REQUIRED = ("sample", "chrom", "start", "end", "value")
AUTOSOMES = [str(n) for n in range(1, 23)]


@dataclass(frozen=True)
class Thresholds:
    """How gene-level log2 ratios become calls; defaults from ``copy_number.yaml``."""

    method: Method = "arm_relative"
    amp_threshold: float = 1.0
    del_threshold: float = -1.0
    noise: float = 0.1
    ploidy: float = 2.0

    @classmethod
    def default(
        cls,
        genomics: GenomicsKnowledge,
        method: str | None = None,
        amp_threshold: float | None = None,
        del_threshold: float | None = None,
    ) -> Thresholds:
        rules = genomics.copy_number
        chosen = method or ("fixed" if amp_threshold is not None or del_threshold is not None else rules.default_method)
        if chosen not in {"arm_relative", "fixed"}:
            raise InputError(f"copy-number method '{chosen}' is not one of arm_relative, fixed")
        return cls(
            method="fixed" if chosen == "fixed" else "arm_relative",
            amp_threshold=float(amp_threshold if amp_threshold is not None else rules.fixed.amp_log2),
            del_threshold=float(del_threshold if del_threshold is not None else rules.fixed.del_log2),
            noise=float(rules.arm_relative.noise_log2),
            ploidy=float(rules.ploidy),
        )


@dataclass(frozen=True)
class Segments:
    samples: list[str]
    sample_code: np.ndarray
    chrom: np.ndarray
    start: np.ndarray
    end: np.ndarray
    value: np.ndarray


def read_seg(
    path: Path | str, genomics: GenomicsKnowledge, build: str = "GRCh37", thresholds: Thresholds | None = None
) -> ReadResult:
    """Gene-level amp/del calls for the knowledge-base genes; ``extra['gene_levels']`` holds every gene x sample."""
    path = Path(path)
    chosen = parse_build(build, f"{path.name}: --build")
    thresholds = thresholds or Thresholds.default(genomics)
    report = ReadReport()
    segments = _segments(read_delimited(path, ALIASES, REQUIRED, report), report)
    if len(segments.samples) == 0:
        # A header-only file (or one whose every segment was skipped): no calls, said so.
        report.warn(f"{path.name}: no segments to call genes from")
        empty: dict[str, object] = {"build": chosen, "thresholds": thresholds, "samples": []}
        return ReadResult(path=path, source="seg", table=SCHEMA.empty_table(), report=report, extra=empty)
    levels = gene_levels(segments, genomics.gene_spans(chosen), chosen, thresholds, genomics)
    _report_uncovered(path, levels, report)
    called = levels.filter(pc.is_valid(levels.column("kind")))
    rows = called.num_rows
    table = pa.table(
        {
            "sample_id": called.column("sample_id"),
            "gene": called.column("gene"),
            "kind": called.column("kind"),
            "variant_class": pc.if_else(
                pc.equal(called.column("kind"), "amp"), pa.scalar("amplification"), pa.scalar("deletion")
            ),
            "protein_change": pa.nulls(rows, pa.string()),
            "copy_number": pc.round(pc.multiply(thresholds.ploidy, pc.power(2.0, called.column("log2_ratio"))), 2),
            "log2_ratio": pc.round(called.column("log2_ratio"), 4),
            "vaf": pa.nulls(rows, pa.float64()),
            "line": pa.nulls(rows, pa.int64()),
        },
        schema=SCHEMA,
    )
    extra = {"build": chosen, "thresholds": thresholds, "gene_levels": levels, "samples": segments.samples}
    return ReadResult(path=path, source="seg", table=table, report=report, extra=extra)


def _segments(raw: RawTable, report: ReadReport) -> Segments:
    missing = pc.or_(pc.is_null(text(raw, "sample")), pc.is_null(text(raw, "chrom")))
    if pc.any(missing).as_py():
        report.skip("segments without sample or chromosome", pc.sum(missing).as_py())
        raw = raw.filter(pc.invert(missing))
    no_value = pc.is_null(text(raw, "value"))
    if pc.any(no_value).as_py():
        report.skip("segments without a log2 ratio", pc.sum(no_value).as_py())
        raw = raw.filter(pc.invert(no_value))
    normal = non_tumour_mask(text(raw, "sample"))
    if pc.any(normal).as_py():
        report.skip("segments of non-tumour TCGA samples (sample type 10-29)", pc.sum(normal).as_py())
        raw = raw.filter(pc.invert(normal))
    start = numeric(raw, "start", integer=True).to_numpy(zero_copy_only=False)
    end = numeric(raw, "end", integer=True).to_numpy(zero_copy_only=False)
    value = numeric(raw, "value").to_numpy(zero_copy_only=False)
    backwards = np.flatnonzero(end < start)
    if backwards.size:
        row = int(backwards[0])
        raise InputError(f"{raw.where(row, 'end')}: segment end {end[row]} is before its start {start[row]}")
    chrom = pc.replace_substring_regex(pc.utf8_upper(text(raw, "chrom")), "^CHR", "")
    chrom = pc.replace_substring_regex(pc.replace_substring_regex(chrom, "^23$", "X"), "^24$", "Y")
    encoded = text(raw, "sample").combine_chunks().dictionary_encode()
    return Segments(
        samples=encoded.dictionary.to_pylist(),
        sample_code=encoded.indices.to_numpy(zero_copy_only=False).astype(np.int64),
        chrom=np.asarray(chrom.to_numpy(zero_copy_only=False), dtype=object),
        start=start.astype(np.int64),
        end=end.astype(np.int64),
        value=value.astype(np.float64),
    )


def arm_medians(segments: Segments, build: Build, genomics: GenomicsKnowledge) -> tuple[np.ndarray, np.ndarray]:
    """Highest and lowest autosomal arm-level median log2 ratio of each sample (length-weighted)."""
    centromeres = {str(k): int(v) for k, v in genomics.copy_number.centromeres[build].items()}
    chrom_index = {c: i for i, c in enumerate(AUTOSOMES)}
    chrom_id = np.array([chrom_index.get(c, -1) for c in segments.chrom], dtype=np.int64)
    keep = chrom_id >= 0
    centre = np.array([centromeres.get(c, 0) for c in AUTOSOMES], dtype=np.int64)
    midpoint = (segments.start[keep] + segments.end[keep]) // 2
    arm = chrom_id[keep] * 2 + (midpoint >= centre[chrom_id[keep]])
    group = segments.sample_code[keep] * 64 + arm
    value = segments.value[keep]
    length = (segments.end[keep] - segments.start[keep] + 1).astype(np.float64)
    order = np.lexsort((value, group))
    group, value, length = group[order], value[order], length[order]
    cumulative = np.cumsum(length)
    firsts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    base = np.r_[0.0, cumulative][firsts]
    totals = np.add.reduceat(length, firsts)
    median_index = np.searchsorted(cumulative, base + totals / 2.0, side="left")
    medians = value[median_index]
    sample_of_group = group[firsts] // 64
    count = len(segments.samples)
    highest = np.full(count, np.nan)
    lowest = np.full(count, np.nan)
    np.fmax.at(highest, sample_of_group, medians)
    np.fmin.at(lowest, sample_of_group, medians)
    return highest, lowest


def gene_levels(
    segments: Segments, spans: tuple[GeneSpan, ...], build: Build, thresholds: Thresholds, genomics: GenomicsKnowledge
) -> pa.Table:
    """One row per gene and sample: weighted log2 ratio, the sample's arm extremes and the call."""
    count = len(segments.samples)
    highest, lowest = arm_medians(segments, build, genomics)
    by_chrom: dict[str, np.ndarray] = {}
    for chrom in np.unique(segments.chrom):
        by_chrom[str(chrom)] = np.flatnonzero(segments.chrom == chrom)
    genes, levels = [], []
    for span in spans:  # a loop over the ~80 genes, not over rows
        index = by_chrom.get(span.chrom, np.empty(0, dtype=np.int64))
        hit = index[(segments.start[index] <= span.end) & (segments.end[index] >= span.start)]
        overlap = (np.minimum(segments.end[hit], span.end) - np.maximum(segments.start[hit], span.start) + 1).astype(
            np.float64
        )
        weight = np.bincount(segments.sample_code[hit], weights=overlap, minlength=count)
        total = np.bincount(segments.sample_code[hit], weights=overlap * segments.value[hit], minlength=count)
        with np.errstate(invalid="ignore", divide="ignore"):
            levels.append(np.where(weight > 0, total / weight, np.nan))
        genes.append(span.symbol)
    level = np.concatenate(levels) if levels else np.empty(0)
    gene_column = np.repeat(np.array(genes, dtype=object), count)
    sample_column = np.tile(np.array(segments.samples, dtype=object), len(genes))
    high = np.tile(highest, len(genes))
    low = np.tile(lowest, len(genes))
    kind = _calls(level, high, low, thresholds)
    return pa.table(
        {
            "sample_id": pa.array(sample_column, pa.string()),
            "gene": pa.array(gene_column, pa.string()),
            "log2_ratio": pa.array(level, pa.float64(), from_pandas=True),
            "max_arm_median": pa.array(high, pa.float64(), from_pandas=True),
            "min_arm_median": pa.array(low, pa.float64(), from_pandas=True),
            "kind": pa.array(kind, pa.string()),
        }
    )


def _calls(level: np.ndarray, high: np.ndarray, low: np.ndarray, t: Thresholds) -> list[str | None]:
    with np.errstate(invalid="ignore"):
        if t.method == "fixed":
            amp = level >= t.amp_threshold
            deleted = level <= t.del_threshold
        else:
            amp = (level > np.fmax(high, t.noise)) & (level > t.noise)
            deleted = (level < np.fmin(low, -t.noise)) & (level < -t.noise)
    kind = np.full(level.shape, None, dtype=object)
    kind[amp] = "amp"
    kind[deleted & ~amp] = "del"
    return list(kind)


def _report_uncovered(path: Path, levels: pa.Table, report: ReadReport) -> None:
    missing = pc.is_null(levels.column("log2_ratio"))
    count = pc.sum(missing).as_py() or 0
    if count:
        report.warn(f"{path.name}: {count} gene x sample pair(s) not covered by any segment (no call)")
