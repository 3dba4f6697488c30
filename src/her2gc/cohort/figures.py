"""The summary's figures, drawn in worker processes while the page is assembled.

Drawing a figure (matplotlib text layout) costs a tenth to a third of a second, and a
page has one to a few dozen; estimating the survival curves (lifelines) costs about as
much again, most of it importing. :class:`Figures` forks its workers before the page is
read from the run's database, hands each figure to them as soon as its data is known and
puts a marker in the page where the figure goes, so the figures are drawn while the page goes on
(importing lifelines and estimating the curves); :meth:`Figures.fill` puts each figure's
SVG in its place at the end. Each figure is a pure function of its data, so the page's
bytes are the same with or without workers.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

MARK = "\x00her2gc-figure-{}\x00"  # a NUL never occurs in the page's own text (it is escaped HTML)


def _warm() -> None:
    """Import the drawing library in a worker before its first figure arrives."""
    import matplotlib.figure  # noqa: F401 - the import is the work


class Figures:
    """Figures by their place in the page: drawn in ``workers`` forked processes (2 or more), else here."""

    def __init__(self, workers: int) -> None:
        self._drawn: list[Future[str] | str] = []
        self._pool: ProcessPoolExecutor | None = None
        if workers >= 2:
            self._pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork"))
            for _ in range(workers):
                self._pool.submit(_warm)

    def draw(self, function: Callable[..., str], *args: Any, **kwargs: Any) -> str:
        """The place in the page of ``function(*args, **kwargs)``'s SVG, drawn now or by a worker."""
        mark = MARK.format(len(self._drawn))
        self._drawn.append(
            function(*args, **kwargs) if self._pool is None else self._pool.submit(function, *args, **kwargs)
        )
        return mark

    def fill(self, page: str) -> str:
        """``page`` with each such place filled with its figure."""
        for index, drawn in enumerate(self._drawn):
            page = page.replace(MARK.format(index), drawn if isinstance(drawn, str) else drawn.result(), 1)
        return page

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def __enter__(self) -> Figures:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
