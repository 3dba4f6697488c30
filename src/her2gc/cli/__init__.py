"""The command-line edge of her2gc: ``run`` is the ``her2gc`` console script (``main`` returns its exit code).

``app`` (the typer application) and ``main`` are imported when asked for, so ``run`` can
set the process up before typer and the commands are imported.
"""

from __future__ import annotations

import gc
import os
import sys
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
    """The ``her2gc`` console script: a short-lived process, set up as one.

    - Pydantic's plugins (third-party hooks found through package entry points, such as
      tracing) are not loaded unless ``PYDANTIC_DISABLE_PLUGINS`` is set (empty loads them):
      the command validates nothing through them, and looking them up costs every command
      the scan of all installed packages' metadata.
    - The collector gets a worker's young generation, and a command may freeze what it
      creates at start-up (``main(owns_process=True)``, see :class:`Invocation`).
    - At the end, every output written and closed, the heap is frozen so that the
      interpreter does not collect the knowledge base and the report models on its way out
      (about 80 ms of a 0.55 s ``her2gc evaluate`` on the slower project machine); exit
      handlers still run.

    Tests and embedding code call ``main``, which changes none of this.
    """
    from her2gc._gc import settle_command_line

    os.environ.setdefault("PYDANTIC_DISABLE_PLUGINS", "__all__")
    settle_command_line()
    from her2gc.cli.application import main

    code = main(owns_process=True)
    sys.stdout.flush()
    gc.freeze()
    sys.exit(code)
