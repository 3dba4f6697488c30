"""The one place the cohort runner names modules that the package restructure moves.

Sequencing readers, the case-file reader and the report's JSON rendering are imported
from here only, so repointing them (``her2gc.formats.*`` -> ``her2gc.readers.*`` and
``her2gc.render``) is a change of this file alone.
"""

from __future__ import annotations

from her2gc.formats.case_io import case_from_data, parse_document, read_text
from her2gc.formats.cna import read_cna
from her2gc.formats.maf import read_maf
from her2gc.formats.result import TCGA_SAMPLE, ReadResult, in_knowledge_base
from her2gc.formats.seg import read_seg
from her2gc.formats.tabular import RawTable, ReadReport, read_delimited

__all__ = [
    "TCGA_SAMPLE",
    "RawTable",
    "ReadReport",
    "ReadResult",
    "case_from_data",
    "in_knowledge_base",
    "parse_document",
    "read_cna",
    "read_delimited",
    "read_maf",
    "read_seg",
    "read_text",
]


def model_screens_computed() -> int | None:
    """Model screens this process has computed so far (misses of the model step's
    per-profile cache), for the run's counts; None where the cache does not say."""
    from her2gc import modelstep

    info = getattr(getattr(modelstep, "_screened", None), "cache_info", None)
    return None if info is None else int(info().misses)
