"""``her2gc cohort run | summary``: the command line of the cohort runner.

Mounted on the main app by ``_mount_parts()`` in ``her2gc.cli``. The knowledge base is
loaded here, once, and passed in. Exit 0 when the run completed (whatever the number
of patients whose data was bad: they are in the ``error`` column and run.json), 2 when
the input itself cannot be read.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Annotated

import typer

from her2gc.errors import InputError

COHORT_MODULES = ("duckdb", "orjson", "matplotlib", "lifelines")


def require_cohort_extra() -> None:
    """The cohort commands need the ``cohort`` extra; say so in one line when it is missing."""
    missing = [name for name in COHORT_MODULES if importlib.util.find_spec(name) is None]
    if missing:
        raise InputError(f"her2gc cohort needs {', '.join(missing)}: pip install 'her2gc[cohort]'")


cohort_app = typer.Typer(
    no_args_is_help=True, help="Cohorts: a study, a folder of cases or a JSON Lines file in; every patient decided."
)


@cohort_app.command("run")
def run_command(
    input_path: Annotated[
        Path,
        typer.Argument(metavar="INPUT", help="cBioPortal study folder, folder of case files, or .jsonl[.gz] of cases"),
    ],
    outdir: Annotated[Path, typer.Option("-o", "--output", metavar="OUTDIR", help="folder for the outputs")],
    region: Annotated[
        str | None, typer.Option(help="US | EU | CN | JP: whose approvals apply (overrides the cases)")
    ] = None,
    build: Annotated[
        str | None,
        typer.Option(
            help="genome build of the study's .seg files: GRCh37 | GRCh38 (default: meta_study.txt, else GRCh37)"
        ),
    ] = None,
    clinical_map: Annotated[
        Path | None,
        typer.Option(
            "--clinical-map", metavar="MAP.yaml", help="extra clinical column mappings, tried before the packaged ones"
        ),
    ] = None,
    dask: Annotated[
        str | None,
        typer.Option(
            "--dask",
            metavar="SCHEDULER",
            help="run on Dask: tcp://HOST:PORT, or local:N for a local cluster of N workers",
        ),
    ] = None,
    workers: Annotated[
        int | None, typer.Option(help="embedded run: worker processes (default: the cores available)")
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="finish an interrupted run in OUTDIR from its completed partitions")
    ] = False,
    model: Annotated[
        bool, typer.Option("--model/--no-model", help="add mechanistic-model hypotheses to each report")
    ] = True,
    no_progress: Annotated[bool, typer.Option("--no-progress", help="no progress bar on stderr")] = False,
) -> None:
    """Evaluate every patient of INPUT; write patients.parquet/.tsv, reports.jsonl, cohort.duckdb, summary.html, run.json."""
    require_cohort_extra()
    from her2gc.cohort.runner import RunOptions, run_cohort
    from her2gc.kb.loader import load_kb

    if region is not None and region.upper() not in ("US", "EU", "CN", "JP"):
        raise InputError(f"--region: '{region}' is not one of US, EU, CN, JP")
    if build is not None and build not in ("GRCh37", "GRCh38"):
        raise InputError(f"--build: '{build}' is not one of GRCh37, GRCh38")
    if workers is not None and workers < 1:
        raise InputError(f"--workers: must be at least 1, got {workers}")
    if dask is not None and workers is not None:
        raise InputError("--workers applies to embedded runs; with --dask the cluster's workers are used")
    options = RunOptions(
        input=input_path,
        outdir=outdir,
        region=region.upper() if region else None,
        build=build,
        clinical_map=clinical_map,
        dask=dask,
        workers=workers,
        resume=resume,
        progress=not no_progress,
        model=model,
    )
    run_cohort(options, load_kb())


@cohort_app.command("summary")
def summary_command(
    outdir: Annotated[Path, typer.Argument(metavar="OUTDIR", help="the output folder of a cohort run")],
    output: Annotated[
        Path | None,
        typer.Option("-o", "--output", metavar="summary.html", help="where to write (default OUTDIR/summary.html)"),
    ] = None,
) -> None:
    """Write the cohort at a glance: one self-contained HTML file with its plots."""
    require_cohort_extra()
    from her2gc.cohort.summary import write_summary

    target = output or outdir / "summary.html"
    write_summary(outdir, target)
    typer.echo(f"her2gc cohort: summary written to {target}", err=True)
