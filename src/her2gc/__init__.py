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

import importlib
from typing import TYPE_CHECKING, Any

from her2gc._version import __version__

_PUBLIC = {
    "Case": "her2gc.case",
    "evaluate": "her2gc.engine",
    "EvaluationOptions": "her2gc.engine",
    "Her2gcError": "her2gc.errors",
    "InputError": "her2gc.errors",
    "read_case": "her2gc.readers.case_file",
    "KnowledgeBase": "her2gc.kb.base",
    "load_kb": "her2gc.kb.loader",
    "Report": "her2gc.report",
    "Runtime": "her2gc.runtime",
}

__all__ = [
    "Case",
    "EvaluationOptions",
    "Her2gcError",
    "InputError",
    "KnowledgeBase",
    "Report",
    "Runtime",
    "__version__",
    "evaluate",
    "load_kb",
    "read_case",
]

if TYPE_CHECKING:
    from her2gc.case import Case
    from her2gc.engine import EvaluationOptions, evaluate
    from her2gc.errors import Her2gcError, InputError
    from her2gc.kb.base import KnowledgeBase
    from her2gc.kb.loader import load_kb
    from her2gc.readers.case_file import read_case
    from her2gc.report import Report
    from her2gc.runtime import Runtime


def __getattr__(name: str) -> Any:
    module = _PUBLIC.get(name)
    if module is None:
        raise AttributeError(f"module 'her2gc' has no attribute '{name}'")
    from her2gc._gc import gc_paused

    with gc_paused():
        return getattr(importlib.import_module(module), name)
