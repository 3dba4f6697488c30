"""Readers: case files and sequencing files (MAF, VCF, discrete CNA, segments, ctDNA).

Each reader receives what it needs from the knowledge base (``kb.genomics``) and returns
a table and an account of every row it did not use. Imported lazily, so that
``import her2gc`` does not import pyarrow or cyvcf2::

    from her2gc.readers import read_maf, merge_with_report, SequencingInputs
    result = read_maf("tumour.maf", kb.genomics)
"""

from __future__ import annotations

import importlib
from typing import Any

# The registry: public name -> module that defines it.
_LAZY = {
    "read_case": "her2gc.readers.case_file",
    "case_from_data": "her2gc.readers.case_file",
    "read_maf": "her2gc.readers.maf",
    "read_vcf": "her2gc.readers.vcf",
    "read_cna": "her2gc.readers.cna",
    "read_seg": "her2gc.readers.seg",
    "Thresholds": "her2gc.readers.seg",
    "read_ctdna": "her2gc.readers.ctdna",
    "annotate_results": "her2gc.readers.annotate",
    "write_tsv": "her2gc.readers.annotate",
    "read_all": "her2gc.readers.merge",
    "merge_into_case": "her2gc.readers.merge",
    "merge_with_report": "her2gc.readers.merge",
    "normalise_protein_array": "her2gc.readers.protein",
    "ReadResult": "her2gc.readers.result",
    "SequencingInputs": "her2gc.readers.sequencing",
}

__all__ = [
    "ReadResult",
    "SequencingInputs",
    "Thresholds",
    "annotate_results",
    "case_from_data",
    "merge_into_case",
    "merge_with_report",
    "normalise_protein_array",
    "read_all",
    "read_case",
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
        raise AttributeError(f"module 'her2gc.readers' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
