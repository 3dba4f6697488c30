"""``run_cohort``: a cohort input in, every patient decided, the outputs of the contract out.

The steps: open the input (the only step whose failure means "the input cannot be
read"), cut it into partitions, evaluate them where the user asked (checkpointing each
as it completes), merge the partitions in patient-id order into the final files, build
``cohort.duckdb`` and ``summary.html``, and write ``run.json`` last: a folder with a
``run.json`` holds a completed run. The knowledge base is loaded by the caller once and
passed in.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import sys
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from her2gc import __version__
from her2gc.cohort.checkpoint import Checkpoint, remove_stale_temporaries, temp_name, write_atomic
from her2gc.cohort.executors import make_executor
from her2gc.cohort.items import partition_size
from her2gc.cohort.outputs import InOrderMerge, MergedOutputs, build_duckdb, merge_patients
from her2gc.cohort.progress import CohortProgress
from her2gc.cohort.sources import CaseFolderInput, CohortInput, JsonLinesInput, describe_kind
from her2gc.cohort.summary_process import SummaryProcess
from her2gc.cohort.tables import patients_schema
from her2gc.engine import EvaluationOptions
from her2gc.errors import InputError
from her2gc.kb.base import KnowledgeBase

RUN_SCHEMA = "her2gc.cohort_run/1"
FINAL_OUTPUTS = ("patients.parquet", "patients.tsv", "reports.jsonl", "cohort.duckdb", "summary.html")
Echo = Callable[[str], None]


@dataclass(frozen=True)
class RunOptions:
    """What ``her2gc cohort run`` was asked to do."""

    input: Path
    outdir: Path
    region: str | None = None
    build: str | None = None
    clinical_map: Path | None = None
    dask: str | None = None
    workers: int | None = None
    resume: bool = False
    progress: bool = True
    summary: bool = True
    model: bool = True


@dataclass
class RunResult:
    outdir: Path
    counts: dict[str, Any] = field(default_factory=dict)
    already_complete: bool = False


def _stderr(message: str) -> None:
    sys.stderr.write(f"her2gc cohort: {message}\n")


def _sha256_of(path: Path | None) -> str | None:
    return None if path is None else hashlib.sha256(path.read_bytes()).hexdigest()


def open_input(options: RunOptions, kb: KnowledgeBase) -> CohortInput:
    """The cohort input; InputError when it cannot be read."""
    kind = describe_kind(options.input)
    if kind == "jsonl":
        return JsonLinesInput(options.input)
    if kind == "case_folder":
        return CaseFolderInput(options.input)
    from her2gc.cohort.study import StudyInput
    from her2gc.kb.schema_cohort import load_clinical_map

    if options.region is None:
        raise InputError(f"{options.input}: a study's patients carry no region; pass --region US, EU, CN or JP")
    return StudyInput(
        options.input, load_clinical_map(options.clinical_map, kb.sources), kb.genomics, build=options.build
    )


def _manifest(options: RunOptions, kb: KnowledgeBase, source: CohortInput, size: int) -> dict[str, Any]:
    """What a run is made from: ``--resume`` continues only a run made from the same."""
    return {
        "package_version": __version__,
        "kb_sha256": kb.sha256,
        "input": source.fingerprint(),
        "region": options.region,
        "build": options.build,
        "clinical_map_sha256": _sha256_of(options.clinical_map),
        "model": options.model,
        "patients": source.total,
        "partition_size": size,
    }


def _announce(source: CohortInput, echo: Echo) -> None:
    summary = source.summary
    echo(f"{source.total} patient(s) from {summary.kind.replace('_', ' ')} {summary.path}")
    for reason, count in sorted(summary.skipped.items()):
        echo(f"skipped {count}: {reason}")
    for warning in summary.warnings:
        echo(warning)
    if summary.unmapped_columns:
        echo(
            f"{len(summary.unmapped_columns)} clinical column(s) not mapped to case fields (kept in cohort.duckdb table 'clinical'): "
            + ", ".join(summary.unmapped_columns)
        )


def _completed_run(outdir: Path, manifest: dict[str, Any]) -> dict[str, Any] | None:
    path = outdir / "run.json"
    if not path.is_file() or not all((outdir / name).is_file() for name in FINAL_OUTPUTS[:4]):
        return None
    recorded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return recorded if recorded.get("manifest") == manifest else None


def _clear_previous(outdir: Path) -> None:
    (outdir / "run.json").unlink(missing_ok=True)
    for name in FINAL_OUTPUTS:
        (outdir / name).unlink(missing_ok=True)
    remove_stale_temporaries(outdir)


def run_cohort(options: RunOptions, kb: KnowledgeBase, echo: Echo = _stderr) -> RunResult:
    """Run the cohort; InputError (exit 2) only when the input itself cannot be read."""
    started = time.perf_counter()
    source = open_input(options, kb)
    try:
        return _run(options, kb, source, started, echo)
    finally:
        source.close()


def _run(options: RunOptions, kb: KnowledgeBase, source: CohortInput, started: float, echo: Echo) -> RunResult:
    read_seconds = time.perf_counter() - started
    if options.clinical_map is not None and source.summary.kind != "study":
        echo("--clinical-map applies to cBioPortal study folders only; ignored for this input")
    size = partition_size(source.total)
    partitions = math.ceil(source.total / size)
    manifest = _manifest(options, kb, source, size)
    try:
        options.outdir.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise InputError(f"{options.outdir}: cannot create the output folder ({exc.strerror or exc})") from None
    if options.resume and (recorded := _completed_run(options.outdir, manifest)) is not None:
        Checkpoint(options.outdir).remove()
        echo(f"{options.outdir}: the run is already complete; nothing to resume")
        return RunResult(options.outdir, recorded.get("counts", {}), already_complete=True)
    _announce(source, echo)
    checkpoint, done = _start_checkpoint(options, manifest, partitions, echo)
    # Forked now, before the workers and any thread: it loads the summary's libraries meanwhile.
    summary = SummaryProcess() if options.summary else None
    try:
        return _finish(
            options, kb, source, checkpoint, done, size, partitions, manifest, started, read_seconds, summary, echo
        )
    finally:
        if summary is not None:
            summary.close()


def _finish(
    options: RunOptions,
    kb: KnowledgeBase,
    source: CohortInput,
    checkpoint: Checkpoint,
    done: set[int],
    size: int,
    partitions: int,
    manifest: dict[str, Any],
    started: float,
    read_seconds: float,
    summary: SummaryProcess | None,
    echo: Echo,
) -> RunResult:
    clinical_path = _store_clinical(source, checkpoint)
    evaluate_started = time.perf_counter()
    # The final files grow as the partitions complete, while the others are evaluated.
    in_order = InOrderMerge(checkpoint, options.outdir, partitions, patients_schema(source.extra_columns))
    try:
        execution = _evaluate(options, kb, source, checkpoint, done, size, partitions, in_order)
        evaluate_seconds = time.perf_counter() - evaluate_started
        write_started = time.perf_counter()
        merged = in_order.finish()
    except BaseException:
        in_order.discard()
        raise
    written = _write_outputs(options, checkpoint, partitions, source, clinical_path, merged)
    execution.update(
        {
            "merge": "concatenated" if written["concatenated"] else "k-way merge",
            "partitions": partitions,
            "partition_size": size,
            "resumed_partitions": len(done),
        }
    )
    seconds = {
        "read_input": read_seconds,
        "evaluate": evaluate_seconds,
        "write_outputs": time.perf_counter() - write_started,
    }
    run = _run_record(options, kb, source, written, execution, seconds, manifest)
    if summary is not None:
        summary_started = time.perf_counter()
        summary.write(options.outdir, options.outdir / "summary.html", run)
        run["seconds"]["summary"] = round(time.perf_counter() - summary_started, 3)
    run["seconds"]["total"] = round(time.perf_counter() - started, 3)
    run["memory"] = _peak_memory()
    write_atomic(
        options.outdir / "run.json", (json.dumps(run, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    )
    checkpoint.remove()
    counts = run["counts"]
    echo(
        f"{counts['evaluated']} of {counts['read']} patient(s) evaluated, {counts['failed']} failed; outputs in {options.outdir} ({run['seconds']['total']:.1f} s)"
    )
    return RunResult(options.outdir, counts)


def _peak_memory() -> dict[str, float]:
    """Peak resident memory of this process and of its largest finished child process on this
    machine (local workers; a remote Dask cluster's workers are not seen), in MiB."""
    import resource

    scale = 1024.0  # ru_maxrss is in KiB on Linux
    this = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / scale
    children = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / scale
    return {"parent_peak_mib": round(this, 1), "largest_local_child_peak_mib": round(children, 1)}


def _start_checkpoint(
    options: RunOptions, manifest: dict[str, Any], partitions: int, echo: Echo
) -> tuple[Checkpoint, set[int]]:
    """A fresh run clears earlier outputs; a resumed one keeps its completed partitions."""
    checkpoint = Checkpoint(options.outdir)
    if not options.resume:
        _clear_previous(options.outdir)
    done = checkpoint.start(manifest, options.resume)
    if options.resume:
        (options.outdir / "run.json").unlink(missing_ok=True)
        remove_stale_temporaries(options.outdir)
        echo(f"resuming: {len(done)} of {partitions} partition(s) already done")
    return checkpoint, done


def _store_clinical(source: CohortInput, checkpoint: Checkpoint) -> Path | None:
    """A study's clinical values (long form), for the ``clinical`` table of cohort.duckdb."""
    table = getattr(source, "clinical", None)
    if table is None:
        return None
    import pyarrow.parquet as pq

    path = checkpoint.root / "clinical.parquet"
    pq.write_table(table, temp_name(path), compression="zstd")
    os.replace(temp_name(path), path)
    return path


def _evaluate(
    options: RunOptions,
    kb: KnowledgeBase,
    source: CohortInput,
    checkpoint: Checkpoint,
    done: set[int],
    size: int,
    partitions: int,
    in_order: InOrderMerge,
) -> dict[str, Any]:
    """Evaluate the partitions not done yet, checkpointing each and handing it to ``in_order``; what ran them."""
    evaluation = EvaluationOptions(region=options.region.upper() if options.region else None, with_model=options.model)
    executor = make_executor(
        options.dask, options.workers, kb, evaluation, source.extra_columns, partitions - len(done), checkpoint.root
    )
    try:
        already = sum(checkpoint.stats(i)["read"] for i in done)
        for index in sorted(done):
            in_order.add(index)
        with CohortProgress(source.total, already, options.progress) as bar:
            for result in executor.run(p for p in source.partitions(size) if p.index not in done):
                checkpoint.store(result)
                in_order.add(result.index)
                bar.advance(result.stats["read"])
    finally:
        executor.close()
    return {"scheduler": executor.description, "workers": executor.workers}


def _run_record(
    options: RunOptions,
    kb: KnowledgeBase,
    source: CohortInput,
    written: dict[str, Any],
    execution: dict[str, Any],
    seconds: dict[str, float],
    manifest: dict[str, Any],
) -> dict[str, Any]:
    """The content of run.json."""
    return {
        "schema": RUN_SCHEMA,
        "input": {"kind": source.summary.kind, "path": str(options.input), "files": source.summary.files},
        "counts": written["counts"],
        "failure_reasons": written["failure_reasons"],
        "unmapped_columns": source.summary.unmapped_columns,
        "endpoints": {
            c.name.removesuffix("_months"): c.label for c in source.extra_columns if c.role == "endpoint_time"
        },
        "warnings": source.summary.warnings,
        "kb": {"version": kb.version, "sha256": kb.sha256},
        "package_version": __version__,
        "options": {
            "region": options.region,
            "build": options.build,
            "clinical_map": str(options.clinical_map) if options.clinical_map else None,
            "model": options.model,
        },
        "execution": execution,
        "outputs": written["outputs"],
        "seconds": {name: round(value, 3) for name, value in seconds.items()},
        "manifest": manifest,
    }


def _write_outputs(
    options: RunOptions,
    checkpoint: Checkpoint,
    partitions: int,
    source: CohortInput,
    clinical: Path | None,
    merged: MergedOutputs | None,
) -> dict[str, Any]:
    """The final files (``merged``: patients and reports merged in order already, else None), renamed into place."""
    outdir = options.outdir
    stats = [checkpoint.stats(i) for i in range(partitions)]
    if merged is None:
        merged = merge_patients(checkpoint, outdir, partitions, patients_schema(source.extra_columns))
    duckdb_temp = temp_name(outdir / "cohort.duckdb")
    build_duckdb(duckdb_temp, merged.patients_parquet, checkpoint, partitions, clinical, merged.concatenated)
    for temporary, name in (
        (merged.patients_parquet, "patients.parquet"),
        (merged.patients_tsv, "patients.tsv"),
        (merged.reports, "reports.jsonl"),
        (duckdb_temp, "cohort.duckdb"),
    ):
        os.replace(temporary, outdir / name)
    reasons: Counter[str] = Counter()
    for item in stats:
        reasons.update(item["failure_reasons"])
    counts = {
        "read": sum(s["read"] for s in stats),
        "evaluated": sum(s["evaluated"] for s in stats),
        "failed": sum(s["failed"] for s in stats),
        "internal_errors": sum(s["internal_errors"] for s in stats),
        "skipped": dict(sorted(source.summary.skipped.items())),
        "duplicate_patient_ids": merged.duplicate_ids,
        "model_screens_computed": sum(s.get("model_screens") or 0 for s in stats),
        "partition_seconds": round(sum(s["seconds"] for s in stats), 3),
    }
    outputs = {
        "patients.tsv": {"rows": merged.rows, "sha256": merged.tsv_sha256},
        "reports.jsonl": {"lines": merged.reports_written, "bytes": (outdir / "reports.jsonl").stat().st_size},
    }
    return {
        "counts": counts,
        "failure_reasons": dict(reasons.most_common(50)),
        "outputs": outputs,
        "concatenated": merged.concatenated,
    }
