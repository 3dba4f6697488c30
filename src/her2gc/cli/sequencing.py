"""Command-line pieces of the sequencing readers.

``annotate_command`` is ``her2gc annotate``; ``merge_sequencing`` is what
``her2gc evaluate --maf/--vcf/--cna/--seg/--ctdna`` calls. Both print what was read and
every count of skipped rows on stderr; errors are :class:`InputError` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from her2gc.cli.options import AmpThreshold, CnaFile, CnMethod, GenomeBuild, MafFile, SegFile, VcfFile
from her2gc.errors import InputError

if TYPE_CHECKING:
    from her2gc.case import Case
    from her2gc.kb.base import KnowledgeBase
    from her2gc.readers.sequencing import SequencingInputs


def annotate_command(
    maf: MafFile = None,
    vcf: VcfFile = None,
    cna: CnaFile = None,
    seg: SegFile = None,
    build: GenomeBuild = "GRCh37",
    cn_method: CnMethod = None,
    amp_threshold: AmpThreshold = None,
    del_threshold: Annotated[
        float | None, typer.Option(help="fixed method: deleted when log2 ratio <= this (default -1.0)")
    ] = None,
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the TSV here (default stdout)")] = None,
) -> None:
    """One row per sample and alteration: sample_id, gene, kind, protein_change, copy_number, mechanism_ids."""
    from her2gc.kb.loader import load_kb
    from her2gc.readers.annotate import annotate_results, write_tsv
    from her2gc.readers.merge import read_all
    from her2gc.readers.sequencing import SequencingInputs
    from her2gc.resistance import mechanism_ids_for

    if all(path is None for path in (maf, vcf, cna, seg)):
        raise InputError("annotate: give at least one of --maf, --vcf, --cna, --seg")
    kb = load_kb()
    inputs = SequencingInputs(
        maf=maf,
        vcf=vcf,
        cna=cna,
        seg=seg,
        build=build,
        cn_method=cn_method,
        amp_threshold=amp_threshold,
        del_threshold=del_threshold,
    )
    results = read_all(inputs, kb.genomics)

    def lookup(gene: str, kind: str, change: str | None) -> list[str]:
        return mechanism_ids_for(gene, kind, change, kb.resistance)

    table = annotate_results(results, lookup, kb.genomics)
    for result in results:
        typer.echo(result.summary(), err=True)
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    if output is None:
        write_tsv(table, sys.stdout.buffer)
        sys.stdout.flush()
    else:
        try:
            write_tsv(table, str(output))
        except OSError as exc:
            raise InputError(f"{output}: cannot write ({exc.strerror or exc})") from None
    typer.echo(f"annotate: {table.num_rows} row(s) written", err=True)


def merge_sequencing(case: Case, inputs: SequencingInputs, kb: KnowledgeBase) -> tuple[Case, list[str]]:
    """The case with the files' alterations and ctDNA merged, and what was read (counts and
    warnings, also written on stderr)."""
    from her2gc.readers.merge import merge_with_report

    merged, messages = merge_with_report(case, inputs, kb)
    for message in messages:
        typer.echo(message, err=True)
    return merged, messages
