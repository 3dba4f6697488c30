"""Readers and writers: case files, sequencing files, report renderings.

The sequencing readers (MAF, VCF, discrete CNA, segments, ctDNA) are exposed lazily so
that ``import her2gc`` does not import pyarrow or cyvcf2::

    from her2gc.formats import read_maf, read_seg, merge_into_case
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "read_maf": "her2gc.formats.maf",
    "read_vcf": "her2gc.formats.vcf",
    "read_cna": "her2gc.formats.cna",
    "read_seg": "her2gc.formats.seg",
    "Thresholds": "her2gc.formats.seg",
    "read_ctdna": "her2gc.formats.ctdna",
    "annotate_results": "her2gc.formats.annotate",
    "write_tsv": "her2gc.formats.annotate",
    "merge_into_case": "her2gc.formats.merge",
    "merge_with_report": "her2gc.formats.merge",
    "normalise_protein_change": "her2gc.formats.protein",
    "ReadResult": "her2gc.formats.result",
}

__all__ = [
    "ReadResult",
    "Thresholds",
    "annotate_results",
    "merge_into_case",
    "merge_with_report",
    "normalise_protein_change",
    "read_cna",
    "read_ctdna",
    "read_maf",
    "read_seg",
    "read_vcf",
    "write_tsv",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'her2gc.formats' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
