"""her2gc: HER2 in gastric and gastro-oesophageal junction adenocarcinoma.

One case in, one auditable report out::

    import her2gc
    kb = her2gc.load_kb()
    case = her2gc.read_case("case.yaml")
    report = her2gc.evaluate(case, kb)
"""

from __future__ import annotations

__version__ = "0.1.0"

from her2gc.case import Case
from her2gc.engine import evaluate
from her2gc.errors import Her2gcError, InputError
from her2gc.formats.case_io import read_case
from her2gc.kb.loader import KnowledgeBase, load_kb
from her2gc.report import Report

__all__ = ["Case", "Her2gcError", "InputError", "KnowledgeBase", "Report", "__version__", "evaluate", "load_kb", "read_case"]
