"""Cohort runs on the real studies of ../shared/data (skipped with a message when absent).

TCGA STAD runs without the model step (its 300-odd distinct alteration profiles would
take minutes of model screens; the claims here are about joins and decisions). The
Kaplan-Meier figures are printed (``pytest -s``) and checked only for being computed:
nothing is fitted to them and no outcome is expected.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import duckdb
import pyarrow.compute as pc
import pytest

from her2gc.cohort.survival import MIN_GROUP, compare


def _study(real_data: Path, name: str) -> Path:
    folder = real_data / name
    if not folder.is_dir():
        pytest.skip(f"{folder} not found")
    return folder


def _describe(comparison: object) -> str:
    curves = "; ".join(
        f"{c.label}: n={c.n}, events {c.events}, median {c.median} mo (95% CI {c.median_ci})" for c in comparison.curves
    )  # type: ignore[attr-defined]
    return f"{comparison.endpoint_label} by {comparison.split}: {curves}; log-rank p = {comparison.logrank_p:.4g}"  # type: ignore[attr-defined]


@pytest.fixture(scope="module")
def tcga(real_data: Path, tmp_path_factory: pytest.TempPathFactory, kb: object) -> Path:
    from her2gc.cohort.runner import RunOptions, run_cohort

    outdir = tmp_path_factory.mktemp("tcga")
    options = RunOptions(
        input=_study(real_data, "tcga_stad"), outdir=outdir, region="US", model=False, summary=False, progress=False
    )
    run_cohort(options, kb, echo=lambda _: None)  # type: ignore[arg-type]
    return outdir


def test_tcga_every_patient_decided(tcga: Path) -> None:
    run = json.loads((tcga / "run.json").read_text(encoding="utf-8"))
    with open(Path(run["input"]["path"]) / "data_clinical_patient.txt", encoding="utf-8") as handle:
        patients = sum(1 for line in handle if line.strip() and not line.startswith("#")) - 1
    assert run["counts"]["read"] == patients == 393
    assert run["counts"]["evaluated"] == 393 and run["counts"]["failed"] == 0


def test_tcga_erbb2_amplified_patients_are_those_annotate_finds(tcga: Path, real_data: Path, genomics: Any) -> None:
    from her2gc.readers.annotate import annotate_results
    from her2gc.readers.maf import read_maf
    from her2gc.readers.seg import read_seg

    folder = _study(real_data, "tcga_stad")
    table = annotate_results(
        [read_maf(folder / "data_mutations.txt.gz", genomics), read_seg(folder / "data_cna_hg19.seg.gz", genomics)],
        lambda *_: [],
        genomics,
    )
    amplified = table.filter(pc.and_(pc.equal(table.column("gene"), "ERBB2"), pc.equal(table.column("kind"), "amp")))
    annotated = {sample[:12] for sample in amplified.column("sample_id").to_pylist()}
    con = duckdb.connect(str(tcga / "cohort.duckdb"), read_only=True)
    clinical = {row[0] for row in con.execute("SELECT patient_id FROM patients").fetchall()}
    cohort = {row[0] for row in con.execute("SELECT patient_id FROM patients WHERE erbb2_ngs_amplified").fetchall()}
    outside = annotated - clinical
    print(
        f"\nTCGA STAD: annotate finds ERBB2 amplification in {len(annotated)} tumours; {len(outside)} of them have no clinical record; the cohort run flags {len(cohort)}"
    )
    assert cohort == annotated & clinical
    run = json.loads((tcga / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["skipped"]["alteration rows of samples that match no clinical patient"] > 0, (
        "the others are counted, not merged"
    )


def test_tcga_overall_survival_by_erbb2_status(tcga: Path) -> None:
    con = duckdb.connect(str(tcga / "cohort.duckdb"), read_only=True)
    rows = con.execute("SELECT os_months, os_event, erbb2_ngs_amplified FROM patients ORDER BY seq").fetchall()
    result = compare(
        "os",
        "Overall survival",
        "ERBB2 amplification (tissue NGS)",
        [r[0] for r in rows],
        [r[1] for r in rows],
        ["amplified" if r[2] else "not amplified" for r in rows],
    )
    assert result is not None and result.logrank_p is not None and 0.0 <= result.logrank_p <= 1.0
    print("\nTCGA STAD " + _describe(result))
    assert sum(c.n for c in result.curves) + result.excluded == 393


@pytest.fixture(scope="module")
def msk2017(real_data: Path, tmp_path_factory: pytest.TempPathFactory, kb: object) -> Path:
    from her2gc.cohort.runner import RunOptions, run_cohort

    outdir = tmp_path_factory.mktemp("msk2017")
    run_cohort(
        RunOptions(input=_study(real_data, "msk_egc_2017"), outdir=outdir, region="US", progress=False),
        kb,
        echo=lambda _: None,
    )  # type: ignore[arg-type]
    return outdir


def test_msk_2017_time_on_first_line_trastuzumab(msk2017: Path) -> None:
    con = duckdb.connect(str(msk2017 / "cohort.duckdb"), read_only=True)
    assert con.execute("SELECT count(*) FROM patients").fetchone() == (305,)  # 341 samples of 305 patients (the study)
    treated = con.execute(
        "SELECT her2_first_line_months, her2_first_line_event, ngs_discordant, ihc_score, ish FROM patients WHERE her2_first_line_months IS NOT NULL ORDER BY seq"
    ).fetchall()
    assert len(treated) == 60, "the study gives time on first-line trastuzumab for 60 patients"
    months, events = [r[0] for r in treated], [r[1] for r in treated]
    flagged = sum(1 for r in treated if r[2])
    by_flag = compare(
        "her2_first_line",
        "Time on first-line trastuzumab",
        "NGS-discordance flag",
        months,
        events,
        ["flagged" if r[2] else "not flagged" for r in treated],
    )
    print(f"\nMSK 2017: {flagged} of 60 trastuzumab-treated patients carry the engine's NGS-discordance flag")
    if flagged >= MIN_GROUP:
        assert by_flag is not None
        print(_describe(by_flag))
    else:
        assert by_flag is None, "too few flagged patients for a curve"
    groups = [
        "IHC 3+" if r[3] == "3+" else "IHC 2+ / ISH-amplified" if r[3] == "2+" and r[4] == "amplified" else None
        for r in treated
    ]
    by_ihc = compare(
        "her2_first_line", "Time on first-line trastuzumab", "IHC 3+ vs IHC 2+ / ISH-amplified", months, events, groups
    )
    assert by_ihc is not None and by_ihc.logrank_p is not None
    print(_describe(by_ihc))
    page = (msk2017 / "summary.html").read_text(encoding="utf-8")
    assert "Time on first-line trastuzumab-based therapy by HER2 IHC 3+ vs IHC 2+ / ISH-amplified" in page


def test_msk_trap_2020_what_its_columns_allow(real_data: Path, run, tmp_path: Path) -> None:
    result = run(_study(real_data, "msk_egc_trap_2020"), tmp_path / "trap", region="US", summary=False)
    assert result.counts["read"] == 37  # 68 samples of 37 patients
    con = duckdb.connect(str(tmp_path / "trap" / "cohort.duckdb"), read_only=True)
    missing_site = con.execute(
        "SELECT count(*) FROM patients WHERE error LIKE '%case.tumour.site: required%'"
    ).fetchone()[0]
    assert result.counts["failed"] == missing_site, (
        "the only failures: samples from metastases that do not name the primary site"
    )
    agreement = con.execute(
        "SELECT her2_binary, study_her2_status, count(*) FROM patients WHERE error IS NULL GROUP BY ALL ORDER BY ALL"
    ).fetchall()
    cps = con.execute(
        "SELECT count(*) FROM patients WHERE error IS NULL AND top_regimen_id = 'pembrolizumab-trastuzumab-chemo'"
    ).fetchone()[0]
    print(
        f"\nMSK TRAP 2020: {result.counts['evaluated']} of 37 decided, {missing_site} without a primary site in the sample file; engine vs study HER2: {agreement}; pembrolizumab-trastuzumab-chemotherapy first: {cps}"
    )
    assert all(not (ours == "negative" and theirs == "Positive") for ours, theirs, _ in agreement)
