"""her2gc: HER2 in gastric and gastro-oesophageal junction adenocarcinoma.

One case in, one auditable report out::

    import her2gc
    kb = her2gc.load_kb()
    case = her2gc.read_case("case.yaml")
    report = her2gc.evaluate(case, kb)

The public names are imported on first use, so ``import her2gc`` stays cheap for
commands that need only part of the package.
"""

from __future__ import annotations

import gc
import importlib
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

_PUBLIC = {
    "Case": "her2gc.case",
    "evaluate": "her2gc.engine",
    "EvaluationOptions": "her2gc.engine",
    "Her2gcError": "her2gc.errors",
    "InputError": "her2gc.errors",
    "read_case": "her2gc.formats.case_io",
    "KnowledgeBase": "her2gc.kb.loader",
    "load_kb": "her2gc.kb.loader",
    "Report": "her2gc.report",
}

__all__ = ["Case", "EvaluationOptions", "Her2gcError", "InputError", "KnowledgeBase", "Report", "__version__", "evaluate", "load_kb", "read_case"]

if TYPE_CHECKING:
    from her2gc.case import Case
    from her2gc.engine import EvaluationOptions, evaluate
    from her2gc.errors import Her2gcError, InputError
    from her2gc.formats.case_io import read_case
    from her2gc.kb.loader import KnowledgeBase, load_kb
    from her2gc.report import Report


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


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'her2gc' has no attribute '{name}'")
    with gc_paused():
        return getattr(importlib.import_module(module), name)
