"""Real data: ERBB2 amplification from TCGA STAD segments against the published calls, and
the co-alterations of ERBB2-amplified tumours. Prints the figures (run with -s to see them)."""

from __future__ import annotations

import csv
from pathlib import Path

import pyarrow.compute as pc
import pytest

from her2gc.readers import read_maf, read_seg
from her2gc.readers.seg import Thresholds
from support import genomics


def _published(path: Path) -> dict[str, bool]:
    lines = [line for line in path.read_text().splitlines() if not line.startswith("#")]
    rows = csv.DictReader(lines, delimiter="\t")
    return {
        r["SAMPLE_ID"]: r["HER2_AMPLIFICATION_STATUS"] == "1"
        for r in rows
        if r["HER2_AMPLIFICATION_STATUS"] in ("0", "1")
    }


def agreement(predicted: list[bool], truth: list[bool]) -> dict[str, float]:
    """Cohen's kappa, sensitivity and specificity of two binary ratings."""
    n = len(truth)
    tp = sum(p and t for p, t in zip(predicted, truth, strict=False))
    tn = sum(not p and not t for p, t in zip(predicted, truth, strict=False))
    fp = sum(p and not t for p, t in zip(predicted, truth, strict=False))
    fn = n - tp - tn - fp
    observed = (tp + tn) / n
    expected = ((tp + fp) * (tp + fn) + (fn + tn) * (fp + tn)) / n**2
    return {"n": n, "tp": tp, "fp": fp, "fn": fn, "tn": tn, "kappa": (observed - expected) / (1 - expected),
            "sensitivity": tp / (tp + fn), "specificity": tn / (tn + fp)}  # fmt: skip


def _erbb2_calls(tcga: Path, thresholds: Thresholds) -> dict[str, bool]:
    levels = read_seg(tcga / "data_cna_hg19.seg.gz", genomics(), thresholds=thresholds).extra["gene_levels"]
    erbb2 = levels.filter(pc.equal(levels.column("gene"), "ERBB2")).to_pylist()
    return {row["sample_id"][:15]: row["kind"] == "amp" for row in erbb2}  # TCGA-XX-XXXX-01


@pytest.mark.parametrize(
    ("method", "floor"),
    [("arm_relative", 0.9), ("fixed", 0.75)],  # fixed log2 >= 1: conservative, see docs/copy_number.md
)
def test_erbb2_amplification_agrees_with_published_calls(
    tcga: Path, stes_calls: Path, method: str, floor: float
) -> None:
    published = _published(stes_calls)
    calls = _erbb2_calls(tcga, Thresholds.default(genomics(), method=method))  # type: ignore[arg-type]
    shared = sorted(set(calls) & set(published))
    stats = agreement([calls[s] for s in shared], [published[s] for s in shared])
    print(
        f"\nERBB2 amplification, {method}: "
        + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in stats.items())
    )
    assert stats["n"] >= 380
    assert stats["kappa"] >= floor


CO_ALTERATIONS = [
    ("MET amp", lambda r: r["gene"] == "MET" and r["kind"] == "amp"),
    ("EGFR amp", lambda r: r["gene"] == "EGFR" and r["kind"] == "amp"),
    ("FGFR2 amp", lambda r: r["gene"] == "FGFR2" and r["kind"] == "amp"),
    ("CCNE1 amp", lambda r: r["gene"] == "CCNE1" and r["kind"] == "amp"),
    ("CDK6 amp", lambda r: r["gene"] == "CDK6" and r["kind"] == "amp"),
    ("CCND1 amp", lambda r: r["gene"] == "CCND1" and r["kind"] == "amp"),
    ("KRAS amp", lambda r: r["gene"] == "KRAS" and r["kind"] == "amp"),
    (
        "KRAS/NRAS/BRAF hotspot",
        lambda r: r["gene"] in ("KRAS", "NRAS", "BRAF") and r["variant_class"] == "activating_hotspot",
    ),
    ("PIK3CA hotspot", lambda r: r["gene"] == "PIK3CA" and r["variant_class"] == "activating_hotspot"),
    (
        "PTEN loss (truncating or deep deletion)",
        lambda r: r["gene"] == "PTEN" and (r["kind"] == "del" or r["variant_class"] == "truncating"),
    ),
    ("ERBB2 kinase/ECD hotspot", lambda r: r["gene"] == "ERBB2" and r["variant_class"] == "activating_hotspot"),
    ("CDKN2A deletion", lambda r: r["gene"] == "CDKN2A" and r["kind"] == "del"),
]


def test_co_alterations_of_erbb2_amplified_tumours(tcga: Path) -> None:
    seg = read_seg(tcga / "data_cna_hg19.seg.gz", genomics())
    maf = read_maf(tcga / "data_mutations.txt.gz", genomics())
    patients_seg = {s[:12] for s in seg.extra["samples"]}  # type: ignore[union-attr]
    patients_maf = {s[:12] for s in maf.samples()}
    both = patients_seg & patients_maf
    rows = [r for r in [*seg.table.to_pylist(), *maf.table.to_pylist()] if r["sample_id"][:12] in both]
    amplified = {r["sample_id"][:12] for r in rows if r["gene"] == "ERBB2" and r["kind"] == "amp"}
    others = both - amplified
    lines = [f"\nCo-alterations in TCGA STAD ({len(both)} tumours with segments and mutations; ERBB2 amp n={len(amplified)})",
             f"{'alteration':42} {'ERBB2 amp':>14} {'not amp':>14}"]  # fmt: skip
    for label, test in CO_ALTERATIONS:
        hit = {r["sample_id"][:12] for r in rows if test(r)}
        a, b = len(hit & amplified), len(hit & others)
        lines.append(f"{label:42} {a:4d} ({100 * a / len(amplified):4.1f}%) {b:4d} ({100 * b / len(others):4.1f}%)")
    print("\n".join(lines))
    assert len(amplified) >= 40
    ccne1 = {r["sample_id"][:12] for r in rows if r["gene"] == "CCNE1" and r["kind"] == "amp"}
    assert len(ccne1 & amplified) / len(amplified) > len(ccne1 & others) / len(others)  # known co-amplification
