"""``her2gc evaluate``: one case in, one report out."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from her2gc.cli.options import (
    AmpThreshold,
    CnaFile,
    CnMethod,
    FhirServer,
    FhirToken,
    GenomeBuild,
    MafFile,
    PatientId,
    SegFile,
    VcfFile,
    write_text,
)
from her2gc.errors import InputError

if TYPE_CHECKING:
    from her2gc.runtime import Runtime


def command_line_runtime() -> Runtime:
    """A runtime that keeps model screens in the user's cache folder, beside the knowledge-base
    snapshot (``HER2GC_CACHE_DIR``; ``off`` keeps nothing), so a profile seen before costs no screen."""
    from her2gc.kb.snapshot import cache_dir
    from her2gc.runtime import Runtime

    folder = cache_dir()
    return Runtime(disk_cache=folder / "model-screens" if folder is not None else None)


def evaluate(
    ctx: typer.Context,
    case_file: Annotated[
        Path | None,
        typer.Argument(metavar="CASE", help="case file, JSON or YAML (may be .gz), or a FHIR R4 Bundle"),
    ] = None,
    region: Annotated[str | None, typer.Option(help="US | EU | CN | JP (overrides the case)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json | html | fhir")] = "text",
    output: Annotated[Path | None, typer.Option("-o", "--output", help="write the report here")] = None,
    maf: MafFile = None,
    vcf: VcfFile = None,
    cna: CnaFile = None,
    seg: SegFile = None,
    ctdna: Annotated[Path | None, typer.Option(help="ctDNA timepoints (CSV)")] = None,
    sample: Annotated[str | None, typer.Option(help="sample id to take from multi-sample files")] = None,
    build: GenomeBuild = "GRCh37",
    cn_method: CnMethod = None,
    amp_threshold: AmpThreshold = None,
    ish_signals_rule: Annotated[
        bool, typer.Option(help="also count >= 6 HER2 signals per cell as ISH-amplified (unconfirmed rule)")
    ] = False,
    model: Annotated[bool, typer.Option("--model/--no-model", help="add mechanistic-model hypotheses")] = True,
    fhir_server: FhirServer = None,
    patient: PatientId = None,
    fhir_token: FhirToken = None,
) -> None:
    """One case (or FHIR R4 Bundle) in, one report out."""
    from her2gc._gc import gc_paused, long_lived
    from her2gc.cli.invocation import owns_process

    # The steps' schema classes and the knowledge base live as long as the process.
    with long_lived() if owns_process(ctx.obj) else gc_paused():
        from her2gc.cli.fhir import read_evaluation_input, render_output
        from her2gc.engine import EvaluationOptions
        from her2gc.engine import evaluate as run_evaluation
        from her2gc.kb.loader import load_kb
        from her2gc.render import FORMATS

        formats = (*FORMATS, "fhir")
        if output_format not in formats:
            raise InputError(f"--format: '{output_format}' is not one of {', '.join(formats)}")
        if case_file is None and fhir_server is None:
            ctx.fail("Missing argument 'CASE' (a case file or FHIR Bundle, or --fhir-server URL --patient ID).")
        kb = load_kb()
    case, mapping_warnings = read_evaluation_input(
        case_file, kb, fhir_server=fhir_server, patient=patient, token=fhir_token
    )
    if region is None and case.region is None:
        where = case_file if case_file is not None else fhir_server
        raise InputError(f"{where}: case.region: required (set region: US, EU, CN or JP in the case, or pass --region)")
    read_accounts: list[str] = []
    if any(path is not None for path in (maf, vcf, cna, seg, ctdna)):
        from her2gc.cli.sequencing import merge_sequencing
        from her2gc.readers.sequencing import SequencingInputs

        inputs = SequencingInputs(
            maf=maf,
            vcf=vcf,
            cna=cna,
            seg=seg,
            ctdna=ctdna,
            sample=sample,
            build=build,
            cn_method=cn_method,
            amp_threshold=amp_threshold,
        )
        case, read_accounts = merge_sequencing(case, inputs, kb)
    options = EvaluationOptions(
        region=region.upper() if region else None, ish_signals_rule=ish_signals_rule, with_model=model
    )
    report = run_evaluation(case, kb, options, runtime=command_line_runtime(), read_accounts=read_accounts)
    write_text(render_output(report, case, output_format, kb, mapping_warnings), output)
