"""Pausing the cyclic garbage collector while long-lived objects are created."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while long-lived objects are created.

    Importing the schema classes and rebuilding the knowledge base allocate many
    thousands of objects that live as long as the process; without the pause the
    collector scans them over and over, which costs about a tenth of a cold start.
    Nothing collectable is produced meanwhile, and the previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


# A worker's young generation: tens of thousands of allocations before a collection.
# A report allocates some thousands of objects and frees them by reference counting
# (it makes no cycles), so the default threshold (700) runs a collection every few
# hundred microseconds for nothing.
WORKER_THRESHOLDS = (50_000, 20, 100)


def settle_worker() -> None:
    """Set up the collector of a process that evaluates many cases (a cohort worker).

    Everything alive now (the modules, the knowledge base) is moved out of the collector's
    sight (``gc.freeze``), so it is never scanned again, and the young generation is made
    larger (:data:`WORKER_THRESHOLDS`). Called by the edge that owns the process, once.
    """
    gc.collect()
    gc.freeze()
    gc.set_threshold(*WORKER_THRESHOLDS)
