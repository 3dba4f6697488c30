"""Cohorts: a cBioPortal study, a folder of case files or a JSON Lines file in; every
patient decided; the cohort at a glance.

An edge of the package: it receives the knowledge base rather than loading it below
the edge, and owns its concurrency (local worker processes, or a Dask cluster)::

    from pathlib import Path
    import her2gc
    from her2gc.cohort import RunOptions, run_cohort, write_summary

    kb = her2gc.load_kb()
    run_cohort(RunOptions(input=Path("tcga_stad"), outdir=Path("out"), region="US"), kb)
    write_summary(Path("out"), Path("out/summary.html"))

The names are imported on first use, so that mounting the command line stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

_PUBLIC = {
    "RunOptions": "her2gc.cohort.runner",
    "RunResult": "her2gc.cohort.runner",
    "run_cohort": "her2gc.cohort.runner",
    "write_summary": "her2gc.cohort.summary",
}

__all__ = ["RunOptions", "RunResult", "run_cohort", "write_summary"]

if TYPE_CHECKING:
    from her2gc.cohort.runner import RunOptions, RunResult, run_cohort
    from her2gc.cohort.summary import write_summary


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'her2gc.cohort' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
