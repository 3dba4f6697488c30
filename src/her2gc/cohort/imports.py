"""The one place the cohort runner names modules that the package restructure moves.

Sequencing readers, the case-file reader and the report's JSON rendering are imported
from here only, so repointing them (``her2gc.formats.*`` -> ``her2gc.readers.*`` and
``her2gc.render``) is a change of this file alone.
"""

from __future__ import annotations

from her2gc.input_files import read_text
from her2gc.readers.case_file import case_from_data
from her2gc.readers.cna import read_cna
from her2gc.readers.documents import parse_document
from her2gc.readers.maf import read_maf
from her2gc.readers.result import TCGA_SAMPLE, ReadResult, in_knowledge_base
from her2gc.readers.seg import read_seg
from her2gc.readers.tabular import RawTable, ReadReport, read_delimited

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
