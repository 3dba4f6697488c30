"""Shared by the browser tests: where the repository, the example and axe-core are."""

from __future__ import annotations

import os
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"


def axe_script() -> Path | None:
    """axe-core's ``axe.min.js`` from $HER2GC_AXE_CORE or the test cache (npm install, never at run time)."""
    given = os.environ.get("HER2GC_AXE_CORE")
    candidates = [Path(given)] if given else []
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "her2gc-tests"
    candidates += [
        cache / "node_modules" / "axe-core" / "axe.min.js",
        REPO / "node_modules" / "axe-core" / "axe.min.js",
    ]
    return next((path for path in candidates if path.is_file()), None)
