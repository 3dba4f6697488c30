"""What a process remembers between evaluations, and the executor it may use.

The steps are pure functions of the case and the knowledge base; the work they repeat
across patients (a model screen per alteration profile, trial outcomes per regimen) is
kept here, keyed by the knowledge base's sha256, so one process can serve several
knowledge-base versions. The edges make a :class:`Runtime` and pass it in: the command
line may give it a process pool for model screens, a server thread or a Dask task gives
none (or its own). :func:`default_runtime` is the one process-wide instance the Python
API uses when no runtime is passed.
"""

from __future__ import annotations

import concurrent.futures
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from her2gc.network.engine import Lru, SolverCache

T = TypeVar("T")


class Runtime:
    """Caches (thread-safe, bounded) and an optional executor for model screens."""

    def __init__(
        self,
        executor: concurrent.futures.Executor | None = None,
        workers: int = 2,
        cache_size: int = 8192,
    ) -> None:
        self.executor = executor
        self.workers = workers
        self.solver = SolverCache()
        self._memo = Lru(cache_size)
        self._singletons: dict[Hashable, object] = {}
        self._lock = threading.Lock()

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` (bounded; a key should start with the kb sha256)."""
        found = self._memo.get(key)
        if found is None:
            found = compute()
            self._memo.put(key, found)
        return found  # type: ignore[return-value]

    def singleton(self, key: Hashable, build: Callable[[], T]) -> T:
        """One object per ``key`` for the runtime's life (e.g. a model per knowledge base)."""
        with self._lock:
            found = self._singletons.get(key)
            if found is None:
                found = build()
                self._singletons[key] = found
        return found  # type: ignore[return-value]


_DEFAULT: Runtime | None = None
_DEFAULT_LOCK = threading.Lock()


def default_runtime() -> Runtime:
    """The process-wide runtime of the Python API (no executor: the caller owns concurrency)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Runtime()
        return _DEFAULT
