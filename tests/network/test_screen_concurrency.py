"""A screen gives the same rows serially, on a caller's process pool, and from threads
sharing one cache (each thread gets its own solver program)."""

from __future__ import annotations

import concurrent.futures

from her2gc.network import ScreenResult, SolverCache, screen_bnet
from network_helpers import AGS, shared
from support import her2_model


def _ags(cache: SolverCache, executor: concurrent.futures.Executor | None = None) -> list[ScreenResult]:
    files = [shared(AGS / name) for name in ("ags_flobak2015.bnet", "flobak2015_drugpanel", "flobak2015_modeloutputs")]
    return screen_bnet(*files, her2_model().annotations.screen, cache=cache, executor=executor)


def test_process_pool_gives_the_serial_rows() -> None:
    serial = _ags(SolverCache())
    with concurrent.futures.ProcessPoolExecutor(2) as pool:
        pooled = _ags(SolverCache(), pool)
    assert pooled == serial and len(serial) == 28


def test_threads_sharing_one_cache_give_the_serial_rows() -> None:
    serial = _ags(SolverCache())
    shared_cache = SolverCache()
    with concurrent.futures.ThreadPoolExecutor(4) as threads:
        results = list(threads.map(lambda _: _ags(shared_cache), range(4)))
    assert all(rows == serial for rows in results)
