"""The annotate table: one row per sample and alteration, with the resistance mechanisms it feeds.

Columns (the contract): ``sample_id, gene, kind, protein_change, copy_number,
mechanism_ids``, then ``variant_class, vaf, log2_ratio, source``. ``mechanism_ids`` is
``;``-joined. Genes outside the knowledge base are kept with no mechanism.

The mechanism lookup is called once per distinct (gene, kind, protein change) of a
knowledge-base gene, never per row; the answers are joined back with pyarrow.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pcsv

from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.readers.result import ReadResult, in_knowledge_base

MechanismLookup = Callable[[str, str, "str | None"], Sequence[str]]
COLUMNS = [
    "sample_id",
    "gene",
    "kind",
    "protein_change",
    "copy_number",
    "mechanism_ids",
    "variant_class",
    "vaf",
    "log2_ratio",
    "source",
]
_SEPARATOR = "\x1f"


def annotate_results(
    results: Sequence[ReadResult], mechanism_lookup: MechanismLookup, genomics: GenomicsKnowledge
) -> pa.Table:
    """Concatenate the readers' alterations and add ``mechanism_ids`` from ``mechanism_lookup``
    (the command line binds the resistance step's lookup to its knowledge base)."""
    tables = [r.table.append_column("source", pa.array([r.source] * r.table.num_rows, pa.string())) for r in results]
    if not tables:
        raise ValueError("annotate needs at least one reader result")
    table = pa.concat_tables(tables)
    mechanisms = _mechanisms(table, mechanism_lookup, genomics)
    return table.append_column("mechanism_ids", mechanisms).select(COLUMNS)


def _keys(table: pa.Table) -> pa.Array:
    change = pc.fill_null(table.column("protein_change"), "")
    return pc.binary_join_element_wise(table.column("gene"), table.column("kind"), change, _SEPARATOR).combine_chunks()


def _mechanisms(table: pa.Table, lookup: MechanismLookup, genomics: GenomicsKnowledge) -> pa.Array:
    rows = table.num_rows
    if rows == 0:
        return pa.array([""] * rows, pa.string())
    keys = _keys(table)
    known = in_knowledge_base(table.column("gene"), genomics)
    unique = pc.unique(keys.filter(known))
    answers: list[str] = []
    for key in unique.to_pylist():  # one call per distinct alteration of a knowledge-base gene
        gene, kind, change = key.split(_SEPARATOR)
        answers.append(";".join(lookup(gene, kind, change or None)))
    looked_up = pc.take(pa.array(answers, pa.string()), pc.index_in(keys, value_set=unique))
    return pc.fill_null(looked_up, "")


def write_tsv(table: pa.Table, out: Path | Any) -> None:
    """Tab-separated, header first; empty cells for missing values."""
    # pyarrow always quotes header names, so the header line is written here.
    header = ("\t".join(table.column_names) + "\n").encode()
    options = pcsv.WriteOptions(delimiter="\t", include_header=False, quoting_style="none")
    if isinstance(out, (str, Path)):
        with open(out, "wb") as handle:
            handle.write(header)
            pcsv.write_csv(table, handle, write_options=options)
    else:
        out.write(header)
        pcsv.write_csv(table, out, write_options=options)
