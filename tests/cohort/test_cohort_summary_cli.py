"""summary.html (self-contained, deterministic), the statistics behind it, and the command line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from her2gc.cli import main
from her2gc.cohort.summary import fisher_exact_p, render_summary
from her2gc.cohort.survival import compare

from .conftest import write_jsonl


@pytest.fixture(scope="module")
def finished(tmp_path_factory: pytest.TempPathFactory, kb: object) -> Path:
    from her2gc.cohort.runner import RunOptions, run_cohort

    folder = tmp_path_factory.mktemp("summary")
    cases = write_jsonl(folder / "cases.jsonl", 40, {5: "[]"})
    run_cohort(
        RunOptions(input=cases, outdir=folder / "out", region="CN", progress=False, workers=1), kb, echo=lambda _: None
    )  # type: ignore[arg-type]
    return folder / "out"


def test_summary_is_self_contained_and_deterministic(finished: Path) -> None:
    page = (finished / "summary.html").read_text(encoding="utf-8")
    assert page == render_summary(finished), "the same run gives the same bytes"
    assert page.count("<svg") >= 4 and "<script" not in page
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page), "no external resources"
    for heading in (
        "HER2",
        "Options offered by line",
        "Resistance mechanisms among ERBB2-amplified tumours",
        "Co-alterations with ERBB2 amplification",
        "ctDNA patterns",
        "Survival and time on therapy",
    ):
        assert f"<h2>{heading}</h2>" in page
    assert "failed (error column)" in page and "expected a mapping" in page


def test_summary_command_writes_where_asked(finished: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    target = tmp_path / "elsewhere.html"
    assert main(["cohort", "summary", str(finished), "-o", str(target)]) == 0
    assert target.read_bytes() == (finished / "summary.html").read_bytes()
    assert main(["cohort", "summary", str(tmp_path)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert error[-1].startswith("her2gc: error: ") and "run.json" in error[-1]


def test_run_command_exit_codes(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    bad_inputs = {
        "missing": tmp_path / "nope.jsonl",
        "not an input": (tmp_path / "cases.txt"),
        "empty": (tmp_path / "empty.jsonl"),
    }
    bad_inputs["not an input"].write_text("x\n")
    bad_inputs["empty"].write_text("\n\n")
    for path in bad_inputs.values():
        assert main(["cohort", "run", str(path), "-o", str(tmp_path / "out"), "--no-progress"]) == 2
        line = capsys.readouterr().err.strip().splitlines()[-1]
        assert line.startswith("her2gc: error: ") and str(path.name) in line
    study = tmp_path / "study"
    study.mkdir()
    (study / "data_clinical_sample.txt").write_text("SAMPLE_ID\tPATIENT_ID\nS1\tP1\n")
    assert main(["cohort", "run", str(study), "-o", str(tmp_path / "out")]) == 2
    assert "--region" in capsys.readouterr().err
    assert main(["cohort", "run", str(study), "-o", str(tmp_path / "out"), "--region", "XX"]) == 2
    assert (
        main(
            [
                "cohort",
                "run",
                str(study),
                "-o",
                str(tmp_path / "out"),
                "--dask",
                "local:zero",
                "--region",
                "US",
                "--no-progress",
            ]
        )
        == 2
    )
    assert "local:N" in capsys.readouterr().err


def test_run_command_completes_with_bad_patients(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cases = write_jsonl(tmp_path / "c.jsonl", 6, {2: "{broken"})
    assert (
        main(
            [
                "cohort",
                "run",
                str(cases),
                "-o",
                str(tmp_path / "out"),
                "--region",
                "JP",
                "--no-progress",
                "--no-model",
                "--workers",
                "1",
            ]
        )
        == 0
    )
    assert "5 of 6 patient(s) evaluated, 1 failed" in capsys.readouterr().err


def test_kaplan_meier_by_hand() -> None:
    # Five deaths at 1..5 months and five patients censored at 10: S(t) = 1 - k/10 at month k.
    months = [1, 2, 3, 4, 5, 10, 10, 10, 10, 10, 2, 4, 6, 8, 12]
    events = [1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1]
    groups = ["a"] * 10 + ["b"] * 5
    result = compare("os", "Overall survival", "arm", months, events, groups)
    assert result is not None
    a, b = result.curves
    assert a.survival[a.times.index(5.0)] == pytest.approx(0.5) and a.median == 5.0
    assert b.median == 6.0 and b.events == 5
    assert a.at_risk[0] == 10 and result.logrank_p is not None and 0 < result.logrank_p < 1
    assert compare("os", "OS", "arm", months, events, ["a"] * 12 + ["b"] * 3) is None, "a group of three is too small"


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 30), st.integers(0, 30), st.integers(0, 30), st.integers(0, 30))
def test_fisher_exact_matches_scipy(a: int, b: int, c: int, d: int) -> None:
    scipy_stats = pytest.importorskip("scipy.stats")
    expected = scipy_stats.fisher_exact([[a, b], [c, d]])[1]
    assert fisher_exact_p(a, b, c, d) == pytest.approx(expected, rel=1e-9, abs=1e-12)
