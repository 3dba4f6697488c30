"""Cohort runs end to end: outputs, ordering, bad patients, determinism, resume after kill -9, Dask."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from her2gc.cohort.tables import CONTRACT_COLUMNS

from .conftest import REPO, read_bytes, write_jsonl

BAD_LINES = {
    3: "{not json",
    7: json.dumps(
        {
            "schema": "her2gc.case/1",
            "patient_id": "P-BAD-IHC",
            "tumour": {"site": "stomach"},
            "her2_tests": [{"specimen": "biopsy", "ihc": {"score": "4+"}}],
        }
    ),
    11: json.dumps(
        {
            "schema": "her2gc.case/1",
            "patient_id": "P-SQUAMOUS",
            "tumour": {"site": "oesophagus", "histology": "squamous cell carcinoma"},
        }
    ),
}


@pytest.fixture(scope="module")
def cohort_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return write_jsonl(tmp_path_factory.mktemp("cohort") / "cases.jsonl", 60, BAD_LINES)


@pytest.fixture(scope="module")
def embedded(cohort_file: Path, tmp_path_factory: pytest.TempPathFactory, kb: object) -> Path:
    from her2gc.cohort.runner import RunOptions, run_cohort

    outdir = tmp_path_factory.mktemp("embedded")
    run_cohort(
        RunOptions(input=cohort_file, outdir=outdir, region="US", progress=False, workers=2), kb, echo=lambda _: None
    )  # type: ignore[arg-type]
    return outdir


def test_outputs_of_the_contract(embedded: Path) -> None:
    names = {p.name for p in embedded.iterdir()}
    assert {"patients.parquet", "patients.tsv", "reports.jsonl", "cohort.duckdb", "summary.html", "run.json"} <= names
    assert not [n for n in names if n.startswith(".")], "no temporary files or checkpoint left after a completed run"
    header = (embedded / "patients.tsv").read_text(encoding="utf-8").splitlines()[0].split("\t")
    assert tuple(header[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    table = pq.read_table(embedded / "patients.parquet")
    assert tuple(table.column_names[: len(CONTRACT_COLUMNS)]) == CONTRACT_COLUMNS
    import duckdb

    con = duckdb.connect(str(embedded / "cohort.duckdb"), read_only=True)
    tables = {row[0] for row in con.execute("SHOW TABLES").fetchall()}
    assert {"patients", "alterations", "mechanisms", "options"} <= tables
    assert con.execute("SELECT count(*) FROM patients").fetchone() == (60,)


def test_every_patient_kept_bad_ones_counted(embedded: Path) -> None:
    run = json.loads((embedded / "run.json").read_text(encoding="utf-8"))
    assert run["counts"]["read"] == 60
    assert run["counts"]["failed"] == 3 and run["counts"]["evaluated"] == 57
    rows = pq.read_table(embedded / "patients.parquet").to_pylist()
    errors = {row["source"]: row["error"] for row in rows if row["error"]}
    assert set(errors) == {"cases.jsonl line 4", "cases.jsonl line 8", "cases.jsonl line 12"}
    assert "malformed JSON" in errors["cases.jsonl line 4"]
    assert "case.her2_tests[0].ihc.score" in errors["cases.jsonl line 8"] and "'4+'" in errors["cases.jsonl line 8"]
    assert "squamous" in errors["cases.jsonl line 12"]
    assert all("\n" not in message for message in errors.values())
    # Reports: one line per evaluated patient, compact JSON with sorted keys.
    lines = (embedded / "reports.jsonl").read_bytes().splitlines()
    assert len(lines) == 57
    first = json.loads(lines[0])
    assert list(first) == sorted(first) and first["schema"] == "her2gc.report/1"


def test_rows_in_patient_id_order(embedded: Path) -> None:
    rows = pq.read_table(embedded / "patients.parquet").to_pylist()
    named = [r["patient_id"] for r in rows if r["patient_id"] is not None]
    assert named == sorted(named)
    assert rows[-1]["patient_id"] is None, "a line that is not JSON has no id and sorts last"
    reports = [json.loads(line)["patient_id"] for line in (embedded / "reports.jsonl").read_bytes().splitlines()]
    assert reports == [r["patient_id"] for r in rows if r["error"] is None]


def test_runs_are_byte_identical(embedded: Path, cohort_file: Path, run, tmp_path: Path) -> None:
    again = run(cohort_file, tmp_path / "again", region="US", workers=1, summary=False)
    assert read_bytes(embedded) == read_bytes(again.outdir)


def test_dask_local_cluster_gives_the_same_bytes(
    embedded: Path, cohort_file: Path, run, tmp_path: Path, no_dask_warnings: None
) -> None:
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        result = run(cohort_file, tmp_path / "dask", region="US", dask=cluster.scheduler_address, summary=False)
    assert read_bytes(embedded) == read_bytes(result.outdir)
    run_json = json.loads((result.outdir / "run.json").read_text(encoding="utf-8"))
    assert (
        run_json["execution"]["scheduler"].startswith("dask tcp://127.0.0.1:") and run_json["execution"]["workers"] == 2
    )


def test_a_dask_run_keeps_a_short_message_log(tmp_path: Path, no_dask_warnings: None) -> None:
    """Dask keeps each connection's recent messages (1,000 by default); a partition of cases is
    one of them, so the run's process would keep about 1 MB per partition it sent."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("distributed")
    from her2gc.cohort.executors import DASK_LOG_LENGTH, DaskCluster
    from her2gc.engine import EvaluationOptions
    from support import kb

    setting = "distributed.admin.low-level-log-length"
    before = dask.config.get(setting)
    with distributed.LocalCluster(
        n_workers=1, threads_per_worker=1, processes=False, protocol="tcp", host="127.0.0.1", dashboard_address=None
    ) as cluster:
        executor = DaskCluster(cluster.scheduler_address, kb(), EvaluationOptions(), (), tmp_path)
        try:
            assert executor.client.scheduler_comm.recent_message_log.maxlen == DASK_LOG_LENGTH < before
        finally:
            executor.close()
    assert dask.config.get(setting) == before


def _partitions_done(outdir: Path) -> int:
    folder = outdir / ".partitions"
    return sum(1 for p in folder.iterdir() if p.is_dir() and p.name.startswith("p")) if folder.is_dir() else 0


def test_kill_9_then_resume_equals_an_uninterrupted_run(tmp_path: Path, run) -> None:
    cases = write_jsonl(tmp_path / "big.jsonl", 1600)
    outdir = tmp_path / "killed"
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    command = [
        sys.executable,
        "-m",
        "her2gc.cli",
        "cohort",
        "run",
        str(cases),
        "-o",
        str(outdir),
        "--region",
        "EU",
        "--no-model",
        "--workers",
        "1",
        "--no-progress",
    ]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while _partitions_done(outdir) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.02)
    assert process.poll() is None, "the run ended before it could be killed; make the cohort bigger"
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    # Nothing under a final name; every checkpointed partition whole.
    for name in ("patients.parquet", "patients.tsv", "reports.jsonl", "cohort.duckdb", "summary.html", "run.json"):
        assert not (outdir / name).exists(), name
    for part in (outdir / ".partitions").iterdir():
        if part.is_dir() and not part.name.startswith("."):
            assert json.loads((part / "stats.json").read_text())["read"] > 0
            pq.read_table(part / "patients.parquet")
    (outdir / ".patients.tsv.tmp-99999").write_text("half a file")  # as a kill during the final writes leaves
    resumed = subprocess.run([*command, "--resume"], check=False, env=env, capture_output=True, text=True, timeout=120)
    assert resumed.returncode == 0, resumed.stderr
    assert "resuming:" in resumed.stderr
    assert not (outdir / ".patients.tsv.tmp-99999").exists()
    whole = run(cases, tmp_path / "whole", region="EU", model=False, workers=1, summary=False)
    assert read_bytes(outdir) == read_bytes(whole.outdir)
    again = subprocess.run([*command, "--resume"], check=False, env=env, capture_output=True, text=True, timeout=60)
    assert again.returncode == 0 and "already complete" in again.stderr


def test_resume_refuses_another_input(tmp_path: Path, run) -> None:
    from her2gc.cohort.checkpoint import Checkpoint
    from her2gc.errors import InputError

    first = write_jsonl(tmp_path / "a.jsonl", 30)
    outdir = tmp_path / "out"
    Checkpoint(outdir).start({"input": {"path": "somewhere else"}}, resume=False)
    with pytest.raises(InputError, match="different"):
        run(first, outdir, region="US", resume=True, summary=False, model=False)


def test_a_gzipped_cohort_past_the_input_cap_is_refused(tmp_path: Path, run, monkeypatch) -> None:
    """A gzipped JSON Lines cohort is decompressed to disk as a stream within the documented
    cap (HER2GC_MAX_INPUT_BYTES): a small bomb never fills the disk."""
    import gzip

    from her2gc.errors import InputError

    plain = write_jsonl(tmp_path / "cases.jsonl", 40)
    packed = tmp_path / "cases.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    monkeypatch.setenv("HER2GC_MAX_INPUT_BYTES", str(plain.stat().st_size - 1))
    with pytest.raises(InputError, match=r"cases\.jsonl\.gz: decompresses to more than .* cap\); refused"):
        run(packed, tmp_path / "out", region="US", summary=False, model=False)
    monkeypatch.setenv("HER2GC_MAX_INPUT_BYTES", str(plain.stat().st_size))
    run(packed, tmp_path / "out2", region="US", summary=False, model=False)
    assert (tmp_path / "out2" / "patients.tsv").read_text().count("\n") == 41
