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


@contextmanager
def long_lived() -> Iterator[None]:
    """Create objects that live as long as the process: the collector is paused meanwhile
    and what exists at the end is moved out of its sight (``gc.freeze``).

    Pausing alone is not enough: the objects made while paused stay in the young generation,
    and the first collection after would scan them all. For a command's start-up (the
    schema classes, the knowledge base), which makes nothing collectable."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()  # before the collector runs again, or its first pass would scan them all
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


def settle_command_line() -> None:
    """Set up the collector of a ``her2gc`` command as it starts.

    A command imports some hundreds of modules and creates the schema classes and the
    knowledge base, all of which live until the process ends; at the default threshold the
    collector runs over a hundred times while they are created (about 18 ms of a 0.3 s
    ``her2gc evaluate``) and frees almost nothing. The worker's young generation
    (:data:`WORKER_THRESHOLDS`) keeps collecting in long commands (a cohort, the service)."""
    gc.set_threshold(*WORKER_THRESHOLDS)
