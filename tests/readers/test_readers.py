"""Each reader on tiny files, plain and gzip."""

from __future__ import annotations

from pathlib import Path

import pytest

from her2gc.readers import read_cna, read_ctdna, read_maf, read_seg, read_vcf
from her2gc.readers.seg import Thresholds
from support import genomics


def _rows(result, *columns):  # type: ignore[no-untyped-def]
    return [tuple(row[c] for c in columns) for row in result.table.to_pylist()]


@pytest.mark.parametrize("name", ["tumour.maf", "tumour.maf.gz"])
def test_maf(data_dir: Path, name: str) -> None:
    result = read_maf(data_dir / name, genomics())
    assert _rows(result, "gene", "kind", "variant_class", "protein_change") == [
        ("PIK3CA", "mut", "activating_hotspot", "p.H1047R"),
        ("ERBB2", "mut", "activating_hotspot", "p.L755S"),  # HER2 alias, three-letter change
        ("PTEN", "mut", "truncating", "p.R130*"),
        ("ABCA1", "mut", "missense", "p.G10V"),  # outside the knowledge base, kept
    ]
    assert result.table.column("vaf").to_pylist() == [0.2, 0.25, 0.25, 0.5]
    assert result.skipped == {
        "mutations that do not change the protein (silent, intronic, UTR...)": 1,
        "non-tumour TCGA samples (sample type 10-29)": 1,
    }
    assert result.extra["build"] == "GRCh37"


@pytest.mark.parametrize("name", ["tiny.seg", "tiny.seg.gz"])
def test_seg_arm_relative(data_dir: Path, name: str) -> None:
    result = read_seg(data_dir / name, genomics())
    calls = set(_rows(result, "sample_id", "gene", "kind"))
    assert ("S1", "ERBB2", "amp") in calls and ("S2", "PTEN", "del") in calls
    assert ("S2", "ERBB2", "amp") not in calls
    erbb2 = next(r for r in result.table.to_pylist() if r["gene"] == "ERBB2")
    assert erbb2["log2_ratio"] == 2.1 and erbb2["copy_number"] == pytest.approx(2 * 2**2.1, abs=0.01)
    assert result.skipped == {"segments of non-tumour TCGA samples (sample type 10-29)": 1}


def test_seg_fixed_threshold_is_configurable(data_dir: Path) -> None:
    strict = read_seg(data_dir / "tiny.seg", genomics(), thresholds=Thresholds.default(genomics(), amp_threshold=2.5))
    assert ("S1", "ERBB2", "amp") not in set(_rows(strict, "sample_id", "gene", "kind"))
    lenient = read_seg(data_dir / "tiny.seg", genomics(), thresholds=Thresholds.default(genomics(), method="fixed"))
    assert ("S1", "ERBB2", "amp") in set(_rows(lenient, "sample_id", "gene", "kind"))


def test_seg_grch38_uses_other_coordinates(data_dir: Path) -> None:
    # The tiny file's ERBB2 segment is at the GRCh37 position; on GRCh38 ERBB2 lies elsewhere.
    result = read_seg(data_dir / "tiny.seg", genomics(), build="hg38")
    assert ("S1", "ERBB2", "amp") not in set(_rows(result, "sample_id", "gene", "kind"))


@pytest.mark.parametrize("name", ["tiny_cna.txt", "tiny_cna.txt.gz"])
def test_cna(data_dir: Path, name: str) -> None:
    result = read_cna(data_dir / name, genomics())
    assert sorted(_rows(result, "sample_id", "gene", "kind")) == [
        ("S1", "ERBB2", "amp"), ("S1", "NOTAGENE", "amp"), ("S1", "PTEN", "del"), ("S2", "MET", "amp"),
    ]  # fmt: skip
    assert result.skipped["low-level gains / shallow losses (GISTIC +-1), not alterations"] == 2
    assert result.skipped["non-tumour TCGA sample columns (sample type 10-29)"] == 1


@pytest.mark.parametrize("name", ["vep.vcf", "vep.vcf.gz"])
def test_vcf_vep(data_dir: Path, name: str) -> None:
    result = read_vcf(data_dir / name, genomics())
    assert result.table.to_pylist() == [
        {"sample_id": "TUMOR", "gene": "PIK3CA", "kind": "mut", "variant_class": "activating_hotspot", "protein_change": "p.H1047R",
         "copy_number": None, "log2_ratio": None, "vaf": 0.2, "line": 10}
    ]  # fmt: skip
    assert result.skipped == {"records failing FILTER": 1}


def test_vcf_snpeff(data_dir: Path) -> None:
    result = read_vcf(data_dir / "snpeff.vcf", genomics())
    assert _rows(result, "sample_id", "gene", "protein_change", "vaf") == [("snpeff", "KRAS", "p.G12D", 0.12)]
    assert result.skipped == {"variants that do not change the protein (synonymous, intronic, UTR...)": 1}


@pytest.mark.parametrize("name", ["ctdna_long.csv", "ctdna_long.csv.gz", "ctdna_wide.csv"])
def test_ctdna(data_dir: Path, name: str) -> None:
    result = read_ctdna(data_dir / name, genomics())
    points = result.points_by_sample[""]
    assert [(str(p.date), p.erbb2_copy_number) for p in points] == [("2025-02-01", 8.2), ("2025-05-01", 3.1)]
    variants = [(v.gene, v.protein_change, v.vaf) for v in points[1].variants]
    assert variants[0] == ("PIK3CA", "p.H1047R", 0.05)
    if name.startswith("ctdna_long"):
        assert variants[1] == ("MET", None, 0.02)  # "2%"
        assert result.skipped == {"ctDNA variants of genes outside the knowledge base": 1}
    else:
        assert variants[1] == ("KRAS", "p.G12D", 0.015)
