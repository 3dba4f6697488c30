"""Shared helpers for the network tests: paths to ../shared/data and a CLI runner."""

from __future__ import annotations

import io
import sys
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
# ../shared/data next to the repository, else the machine-wide copy.
SHARED_DATA = next(
    (p for p in (REPO.parent / "shared" / "data", Path("/work/shared/data")) if p.exists()),
    REPO.parent / "shared" / "data",
)
AGS = SHARED_DATA / "networks" / "ags_flobak2015"
ERBB = SHARED_DATA / "networks" / "erbb_models"


def shared(path: Path) -> Path:
    """A file of ../shared/data, or skip the test with a clear message."""
    if not path.exists():
        pytest.skip(
            f"real data not available: {path} (expected ../shared/data next to the repository, or /work/shared/data)"
        )
    return path


def run_model_cli(*args: str) -> tuple[int, str, str]:
    """Run ``her2gc model ARGS`` as the main CLI does: Her2gcError -> exit 2, one line."""
    from her2gc.cli.model import model_app
    from her2gc.errors import Her2gcError

    out, err = io.StringIO(), io.StringIO()
    code = 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            model_app(args=list(args), prog_name="her2gc model", standalone_mode=False)
        except Her2gcError as error:
            sys.stderr.write(f"her2gc: error: {error.one_line()}\n")
            code = error.exit_code
    return code, out.getvalue(), err.getvalue()
