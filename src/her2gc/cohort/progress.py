"""Progress of a cohort run on stderr: a rich bar with patients done, rate and ETA.

Shown only when stderr is a terminal and ``--no-progress`` is not given; otherwise a
no-op, so that logs and pipes get the one-line messages only.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import Any, Self


class CohortProgress:
    """``with CohortProgress(total, done, enabled) as bar: bar.advance(n)``."""

    def __init__(self, total: int, done: int, enabled: bool) -> None:
        self.enabled = enabled and sys.stderr.isatty()
        self.total, self.done = total, done
        self._progress: Any = None
        self._task: Any = None

    def __enter__(self) -> Self:
        if not self.enabled:
            return self
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            ProgressColumn,
            Task,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class RateColumn(ProgressColumn):
            def render(self, task: Task) -> Text:
                speed = task.finished_speed or task.speed
                return Text("" if speed is None else f"{speed:,.0f} patients/s")

        self._progress = Progress(
            TextColumn("[bold]cohort[/bold]"),
            BarColumn(),
            MofNCompleteColumn(),
            RateColumn(),
            TimeElapsedColumn(),
            TextColumn("ETA"),
            TimeRemainingColumn(),
            console=Console(stderr=True),
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task("patients", total=self.total, completed=self.done)
        return self

    def advance(self, count: int) -> None:
        self.done += count
        if self._progress is not None:
            self._progress.advance(self._task, count)

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, trace: TracebackType | None
    ) -> None:
        if self._progress is not None:
            self._progress.stop()
