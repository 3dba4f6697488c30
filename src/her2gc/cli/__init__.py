"""The command-line edge of her2gc: ``run`` is the ``her2gc`` console script (``main`` returns its exit code).

``app`` (the typer application) and ``main`` are imported when asked for, so ``run`` can
set the process up before typer and the commands are imported.
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from her2gc.cli.application import app, main

__all__ = ["app", "main", "run"]


def __getattr__(name: str) -> Any:
    if name in ("app", "main"):
        from her2gc.cli import application

        return getattr(application, name)
    raise AttributeError(f"module 'her2gc.cli' has no attribute '{name}'")


def run() -> NoReturn:
    """The ``her2gc`` console script: a short-lived process, set up as one, then the application.

    Pydantic's plugins (third-party hooks found through package entry points, such as
    tracing) are not loaded unless ``PYDANTIC_DISABLE_PLUGINS`` is set (empty loads them):
    the command validates nothing through them, and looking them up costs every command
    the scan of all installed packages' metadata. Tests and embedding code call ``main``,
    which changes neither.
    """
    from her2gc._gc import settle_command_line

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    settle_command_line()
    from her2gc.cli.application import run as run_application

    run_application()
