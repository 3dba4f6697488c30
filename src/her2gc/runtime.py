"""What a process remembers between evaluations, and the executor it may use.

The steps are pure functions of the case and the knowledge base; the work they repeat
across patients (a model screen per alteration profile, trial outcomes per regimen) is
kept here, keyed by the knowledge base's sha256, so one process can serve several
knowledge-base versions. The edges make a :class:`Runtime` and pass it in: the command
line may give it a process pool for model screens, a server thread or a Dask task gives
none (or its own). :func:`default_runtime` is the one process-wide instance the Python
API uses when no runtime is passed.

An edge may also give a folder (``disk_cache``): results that are costly and repeat across
processes (a model screen per alteration profile) are then kept there as JSON, each file
carrying the sha256 of its content, checked on every read; a file that does not match is
ignored and rewritten. The command line uses the user's cache folder, as the knowledge-base
snapshot does.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
import threading
from collections import Counter
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from her2gc.network.lru import Lru

if TYPE_CHECKING:
    import concurrent.futures

    from her2gc.network.engine import SolverCache

T = TypeVar("T")


class Runtime:
    """Caches (thread-safe, bounded) and an optional executor for model screens."""

    def __init__(
        self,
        executor: concurrent.futures.Executor | None = None,
        workers: int = 2,
        cache_size: int = 8192,
        disk_cache: Path | None = None,
        facts_size: int = 4096,
    ) -> None:
        self.executor = executor
        self.disk_cache = disk_cache
        self.workers = workers
        self._solver: SolverCache | None = None
        self._solver_lock = threading.Lock()  # apart: a singleton's build may ask for the solver
        self._memo = Lru(cache_size)
        # Cheap results keyed by a patient's facts (many distinct keys): kept apart, so that
        # they never push the costly ones (model screens) out of ``_memo``. Each holds some
        # kB (a line's trace, an option): 4096 of them stay within some tens of MB.
        self._facts = Lru(facts_size)
        self._singletons: dict[Hashable, object] = {}
        self._lock = threading.Lock()
        # Persistent results actually computed here (neither in memory nor on disk), by the
        # first element of their key (e.g. "model_section"): what a cohort run reports.
        self.computed: Counter[str] = Counter()

    @property
    def solver(self) -> SolverCache:
        """The network engine's caches (percolations, trap spaces, solver programs), made when
        a screen first runs: a runtime that only reads stored screens never loads the engine."""
        with self._solver_lock:
            if self._solver is None:
                from her2gc.network.engine import SolverCache

                self._solver = SolverCache()
            return self._solver

    def memo(self, key: Hashable, compute: Callable[[], T]) -> T:
        """``compute()`` once per ``key`` (bounded; a key should start with the kb sha256)."""
        found = self._memo.get(key)
        if found is None:
            found = compute()
            self._memo.put(key, found)
        return found  # type: ignore[return-value]

    def memo_facts(self, key: Hashable, compute: Callable[[], T]) -> T:
        """Like :meth:`memo`, for cheap results of the therapy step keyed by a patient's facts
        (a key should start with the kb sha256); the result must not be mutated."""
        found = self._facts.get(key)
        if found is None:
            found = compute()
            self._facts.put(key, found)
        return found  # type: ignore[return-value]

    def persistent(
        self, key: Hashable, compute: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
    ) -> T:
        """Like :meth:`memo`, and also kept in ``disk_cache`` (JSON) when the runtime has one.

        ``key`` must name everything the result depends on (package and knowledge-base
        versions included); ``encode``/``decode`` turn the result into JSON data and back.
        """
        return self.memo(key, lambda: self._from_disk(key, compute, encode, decode))

    def _from_disk(
        self, key: Hashable, compute: Callable[[], T], encode: Callable[[T], Any], decode: Callable[[Any], T]
    ) -> T:
        if self.disk_cache is None:
            return self._count(key, compute)
        name = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:40]
        path = self.disk_cache / f"{name}.json"
        found = _read_checked(path)
        if found is not None:
            try:
                return decode(found)
            except (ValueError, TypeError, KeyError):
                pass  # a wrongly shaped entry is recomputed and rewritten
        result = self._count(key, compute)
        _write_checked(path, encode(result))
        return result

    def _count(self, key: Hashable, compute: Callable[[], T]) -> T:
        result = compute()
        with self._lock:
            self.computed[str(key[0]) if isinstance(key, tuple) and key else "other"] += 1
        return result

    def singleton(self, key: Hashable, build: Callable[[], T]) -> T:
        """One object per ``key`` for the runtime's life (e.g. a model per knowledge base)."""
        with self._lock:
            found = self._singletons.get(key)
            if found is None:
                found = build()
                self._singletons[key] = found
        return found  # type: ignore[return-value]


def _read_checked(path: Path) -> Any:
    """The JSON data of a cache file whose content matches its recorded sha256, else None."""
    try:
        wrapper = json.loads(path.read_bytes())
    except (OSError, ValueError):
        return None
    if not isinstance(wrapper, dict) or "sha256" not in wrapper or "data" not in wrapper:
        return None
    body = json.dumps(wrapper["data"], sort_keys=True, separators=(",", ":"))
    return wrapper["data"] if hashlib.sha256(body.encode()).hexdigest() == wrapper["sha256"] else None


def _write_checked(path: Path, data: Any) -> None:
    """Write atomically; a read-only or full disk only costs speed."""
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    text = json.dumps({"sha256": hashlib.sha256(body.encode()).hexdigest(), "data": data}, sort_keys=True)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(text)
        os.replace(handle.name, path)
    except OSError:
        return


_DEFAULT: Runtime | None = None
_DEFAULT_LOCK = threading.Lock()


def default_runtime() -> Runtime:
    """The process-wide runtime of the Python API (no executor: the caller owns concurrency)."""
    global _DEFAULT
    with _DEFAULT_LOCK:
        if _DEFAULT is None:
            _DEFAULT = Runtime()
        return _DEFAULT
