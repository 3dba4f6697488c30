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
