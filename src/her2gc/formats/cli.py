"""Command-line pieces of the sequencing readers, mounted by ``her2gc.cli``.

``annotate_command`` is ``her2gc annotate``; ``load_sequencing_into_case`` is what
``her2gc evaluate --maf/--vcf/--cna/--seg/--ctdna`` calls. Both print what was read and
every count of skipped rows on stderr; errors are :class:`InputError` (exit 2).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from her2gc.case import Case
from her2gc.errors import InputError


def _thresholds(cn_method: str | None, amp_threshold: float | None, del_threshold: float | None):  # type: ignore[no-untyped-def]
    from her2gc.formats.seg import Thresholds

    return Thresholds.default(method=cn_method, amp_threshold=amp_threshold, del_threshold=del_threshold)  # type: ignore[arg-type]


def annotate_command(
    maf: Annotated[Optional[Path], typer.Option(help="MAF (GDC / cBioPortal), plain or .gz")] = None,
    vcf: Annotated[Optional[Path], typer.Option(help="VCF annotated with VEP (CSQ) or SnpEff (ANN)")] = None,
    cna: Annotated[Optional[Path], typer.Option(help="cBioPortal discrete CNA table (GISTIC -2..2)")] = None,
    seg: Annotated[Optional[Path], typer.Option(help="segmented copy number (.seg, log2 ratio)")] = None,
    build: Annotated[str, typer.Option(help="genome build of --seg: GRCh37 | GRCh38")] = "GRCh37",
    cn_method: Annotated[Optional[str], typer.Option(help="segment calls: arm_relative (default) | fixed")] = None,
    amp_threshold: Annotated[Optional[float], typer.Option(help="fixed method: amplified when log2 ratio >= this (default 1.0)")] = None,
    del_threshold: Annotated[Optional[float], typer.Option(help="fixed method: deleted when log2 ratio <= this (default -1.0)")] = None,
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="write the TSV here (default stdout)")] = None,
) -> None:
    """One row per sample and alteration: sample_id, gene, kind, protein_change, copy_number, mechanism_ids."""
    from her2gc.formats.annotate import annotate_results, write_tsv
    from her2gc.formats.merge import read_all

    if all(path is None for path in (maf, vcf, cna, seg)):
        raise InputError("annotate: give at least one of --maf, --vcf, --cna, --seg")
    results = read_all(maf, vcf, cna, seg, build, _thresholds(cn_method, amp_threshold, del_threshold))
    warnings: list[str] = []
    table = annotate_results(results, warnings=warnings)
    for result in results:
        typer.echo(result.summary(), err=True)
        for warning in result.warnings:
            typer.echo(f"warning: {warning}", err=True)
    for warning in warnings:
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


def load_sequencing_into_case(
    case: Case,
    maf: Path | None = None,
    vcf: Path | None = None,
    cna: Path | None = None,
    seg: Path | None = None,
    ctdna: Path | None = None,
    sample: str | None = None,
    build: str = "GRCh37",
    cn_method: str | None = None,
    amp_threshold: float | None = None,
    del_threshold: float | None = None,
) -> Case:
    """The case with the files' alterations and ctDNA merged; counts and warnings on stderr."""
    from her2gc.formats.merge import merge_with_report

    thresholds = _thresholds(cn_method, amp_threshold, del_threshold)
    merged, messages = merge_with_report(case, maf, vcf, cna, seg, ctdna, sample, build, thresholds)
    for message in messages:
        typer.echo(message, err=True)
    return merged
