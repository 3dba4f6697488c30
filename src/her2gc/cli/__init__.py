"""The command-line edge of her2gc: ``main`` is the ``her2gc`` console script."""

from __future__ import annotations

from her2gc.cli.app import app, main

__all__ = ["app", "main"]
