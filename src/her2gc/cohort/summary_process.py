"""The summary's process: forked when a run starts, so that its libraries load meanwhile.

Writing ``summary.html`` is the run's last step and, for a small cohort, its longest:
importing the survival and drawing libraries (lifelines brings pandas and SciPy) takes
two to three seconds before the first curve is estimated. :class:`SummaryProcess` forks
one process when the run starts (before any worker and before any thread, as forking
requires); it imports them while the parent reads the input and the workers evaluate,
then waits. At the end the parent sends it the run's record and it writes the page
(the same function, so the same bytes). Should the process be gone, the parent writes
the page itself.
"""

from __future__ import annotations

import multiprocessing
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any


def _serve(connection: Connection) -> None:
    try:
        import lifelines  # noqa: F401 - loading it is the point
        import matplotlib.figure  # noqa: F401

        from her2gc.cohort import summary
    except ImportError:  # the parent reports it when it writes the page
        connection.close()
        return
    try:
        request = connection.recv()
    except EOFError:  # the run ended without a summary (an error, or Ctrl-C)
        return
    if request is None:
        return
    outdir, target, run = request
    try:
        summary.write_summary(outdir, target, run=run)
    except Exception as exc:
        try:
            connection.send(("error", exc))
        except Exception:  # an exception that cannot be pickled: its words
            connection.send(("error", RuntimeError(f"{type(exc).__name__}: {exc}")))
    else:
        connection.send(("done", None))
    connection.close()


class SummaryProcess:
    """A forked process that writes ``summary.html`` when asked; :meth:`close` ends it."""

    def __init__(self) -> None:
        context = multiprocessing.get_context("fork")
        self._connection, child = context.Pipe()
        self._process: Any = context.Process(target=_serve, args=(child,), name="her2gc-summary", daemon=False)
        self._process.start()
        child.close()

    def write(self, outdir: Path, target: Path, run: dict[str, Any]) -> None:
        """Write the page (in the process, or here if it is gone); its error re-raised here."""
        try:
            self._connection.send((outdir, target, run))
            status, error = self._connection.recv()
        except (EOFError, OSError, BrokenPipeError):
            from her2gc.cohort.summary import write_summary

            self.close()
            write_summary(outdir, target, run=run)
            return
        self.close()
        if status == "error":
            raise error

    def close(self) -> None:
        if self._process is None:
            return
        try:
            if self._process.is_alive():
                self._connection.send(None)
        except (OSError, BrokenPipeError):
            pass
        self._connection.close()
        self._process.join(timeout=30)
        if self._process.is_alive():
            self._process.kill()
            self._process.join()
        self._process = None
