"""`her2gc evaluate` with sequencing files merged into the case (the shipped example)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from her2gc.cli import main

EXAMPLES = Path(__file__).resolve().parents[1] / "examples" / "sequencing"


def test_evaluate_merges_maf_and_ctdna(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "evaluate",
            str(EXAMPLES / "case_without_sequencing.yaml"),
            "--maf",
            str(EXAMPLES / "tumour.maf"),
            "--ctdna",
            str(EXAMPLES / "plasma_ctdna.csv"),
            "--format",
            "json",
            "--no-model",
        ]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    report = json.loads(captured.out)
    mechanisms = {m["id"] for m in report["resistance"]["mechanisms"]}
    # Oncology Frontier review: secondary ERBB2 kinase-domain mutations reduce HER2 TKI efficacy;
    # Tao & Huang 2026 §4.1: the copy number at progression (2025-09-01, line 1 stopped for
    # progression) is compared with baseline (2025-02-01): 14.5 against 8.2 is above it.
    assert "erbb2_kinase_domain_mutation" in mechanisms
    assert report["resistance"]["ctdna_pattern"] == "rising"
    assert report["resistance"]["ctdna"]["compared"] == "progression_vs_baseline"
    assert report["resistance"]["ctdna"]["responded_before_progression"] is True  # PR on line 1
    # Counts of what was read and skipped are always reported, never silent.
    assert "tumour.maf (maf): 4 alteration(s) in 1 sample(s); 4 row(s) read: 4 used, 0 skipped" in captured.err


def test_evaluate_refuses_missing_sequencing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(
        [
            "evaluate",
            str(EXAMPLES / "case_without_sequencing.yaml"),
            "--maf",
            str(tmp_path / "absent.maf"),
            "--no-model",
        ]
    )
    assert code == 2
    assert "absent.maf" in capsys.readouterr().err
