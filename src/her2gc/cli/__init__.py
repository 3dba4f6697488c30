"""The command-line edge of her2gc: ``run`` is the ``her2gc`` console script (``main`` returns its exit code)."""

from __future__ import annotations

from her2gc.cli.app import app, main, run

__all__ = ["app", "main", "run"]
