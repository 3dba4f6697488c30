"""The command line: ``her2gc evaluate | kb | model | annotate``.

Errors of the Her2gcError family become one line on stderr and their exit code
(2 for bad input); no traceback reaches the user.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Optional

import click
import typer
import yaml

from her2gc.errors import Her2gcError, InputError, UnknownEntityError

app = typer.Typer(add_completion=False, no_args_is_help=True, help="HER2 decision support for gastric / GEJ adenocarcinoma.")
kb_app = typer.Typer(no_args_is_help=True, help="Inspect and validate the knowledge base.")
app.add_typer(kb_app, name="kb")


def _write(text: str, output: Path | None) -> None:
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror or exc})") from None


@app.command()
def evaluate(
    case_file: Annotated[Path, typer.Argument(metavar="CASE", help="case file, JSON or YAML (may be .gz)")],
    region: Annotated[Optional[str], typer.Option(help="US | EU | CN | JP (overrides the case)")] = None,
    output_format: Annotated[str, typer.Option("--format", help="text | json | html")] = "text",
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="write the report here")] = None,
    maf: Annotated[Optional[Path], typer.Option(help="MAF to merge into the case's alterations")] = None,
    vcf: Annotated[Optional[Path], typer.Option(help="annotated VCF (VEP CSQ or SnpEff ANN)")] = None,
    cna: Annotated[Optional[Path], typer.Option(help="cBioPortal discrete CNA table")] = None,
    seg: Annotated[Optional[Path], typer.Option(help="segmented copy number (.seg)")] = None,
    ctdna: Annotated[Optional[Path], typer.Option(help="ctDNA timepoints (CSV)")] = None,
    sample: Annotated[Optional[str], typer.Option(help="sample id to take from multi-sample files")] = None,
    build: Annotated[str, typer.Option(help="genome build of --seg: GRCh37 | GRCh38")] = "GRCh37",
    cn_method: Annotated[Optional[str], typer.Option(help="segment calls: arm_relative (default) | fixed")] = None,
    amp_threshold: Annotated[Optional[float], typer.Option(help="fixed method: amplified when log2 ratio >= this")] = None,
    ish_signals_rule: Annotated[bool, typer.Option(help="also count >= 6 HER2 signals per cell as ISH-amplified (unconfirmed rule)")] = False,
    model: Annotated[bool, typer.Option("--model/--no-model", help="add mechanistic-model hypotheses")] = True,
) -> None:
    """One case in, one report out."""
    from her2gc.engine import EvaluationOptions, evaluate as run_evaluation
    from her2gc.formats.case_io import read_case
    from her2gc.formats.render import render
    from her2gc.kb.loader import load_kb

    if output_format not in ("text", "json", "html"):
        raise InputError(f"--format: '{output_format}' is not one of text, json, html")
    case = read_case(case_file)
    if any(path is not None for path in (maf, vcf, cna, seg, ctdna)):
        from her2gc.formats.cli import load_sequencing_into_case

        case = load_sequencing_into_case(
            case, maf=maf, vcf=vcf, cna=cna, seg=seg, ctdna=ctdna, sample=sample, build=build, cn_method=cn_method, amp_threshold=amp_threshold
        )
    options = EvaluationOptions(region=region.upper() if region else None, ish_signals_rule=ish_signals_rule, with_model=model)
    report = run_evaluation(case, load_kb(), options)
    _write(render(report, output_format), output)


@kb_app.command("check")
def kb_check() -> None:
    """Validate the knowledge base: schemas and every cross-reference."""
    from her2gc.kb.checks import dangling_references
    from her2gc.kb.loader import load_kb_from
    from her2gc.kb.yamlio import DATA_DIR

    kb = load_kb_from_checked(DATA_DIR, load_kb_from)
    problems = dangling_references(kb)
    for kind, count in sorted(kb.counts.items()):
        typer.echo(f"{kind:18} {count}")
    typer.echo(f"version            {kb.version}")
    typer.echo(f"sha256             {kb.sha256}")
    if problems:
        for problem in problems:
            typer.echo(f"dangling: {problem}", err=True)
        raise typer.Exit(1)
    typer.echo("ok: knowledge base valid")


def load_kb_from_checked(data_dir: Path, loader):  # type: ignore[no-untyped-def]
    """Load for ``kb check``: a schema or reference error is exit 1 with its message."""
    try:
        return loader(data_dir)
    except Her2gcError as exc:
        typer.echo(f"invalid: {exc.one_line()}", err=True)
        raise typer.Exit(1) from None


@kb_app.command("show")
def kb_show(
    kind: Annotated[str, typer.Argument(help="trial | drug | regimen | mechanism | ncrna | source | approval | recommendation | gene")],
    entry_id: Annotated[str, typer.Argument(metavar="ID")],
    output_format: Annotated[str, typer.Option("--format", help="yaml | json")] = "yaml",
) -> None:
    """Show one knowledge-base entry."""
    from her2gc.kb.loader import load_kb
    from her2gc.kb.vocabulary import drug_aliases, fold_drug_name

    kb = load_kb()
    lookup_id = drug_aliases().get(fold_drug_name(entry_id), entry_id) if kind == "drug" else entry_id
    try:
        entry = kb.entry(kind, lookup_id)
    except KeyError as exc:
        raise UnknownEntityError(str(exc.args[0])) from None
    dumped = entry.model_dump(mode="json", exclude_none=True, by_alias=True)
    # Identity first, provenance last: the order a reviewer reads an entry in.
    data: dict[str, object] = {key: dumped[key] for key in ("id", "symbol") if key in dumped}
    data |= {key: value for key, value in dumped.items() if key not in data and key != "sources"}
    if "sources" in dumped:
        data["sources"] = dumped["sources"]
    text = json.dumps(data, indent=2, ensure_ascii=False) + "\n" if output_format == "json" else yaml.safe_dump(data, sort_keys=False, allow_unicode=True)
    sys.stdout.write(text)


def _mount_parts() -> None:
    from her2gc.cohort.cli import cohort_app
    from her2gc.formats.cli import annotate_command
    from her2gc.network.cli import model_app

    app.add_typer(model_app, name="model")
    app.command("annotate")(annotate_command)
    app.add_typer(cohort_app, name="cohort")


_mount_parts()


# Typer >= 0.29 carries its own copy of click; older releases raise click's own classes.
_ABORTS: tuple[type[Exception], ...] = (click.exceptions.Abort, typer.Abort)
_USAGE_ERRORS: tuple[type[Exception], ...] = (click.ClickException, getattr(typer.exceptions, "TyperException", click.ClickException))


def _usage_line(exc: Exception) -> str:
    """A usage mistake (unknown option, missing argument) as one line that says where to look."""
    message = exc.format_message() if hasattr(exc, "format_message") else str(exc)
    ctx = getattr(exc, "ctx", None)
    command = getattr(ctx, "command_path", None) or "her2gc"
    return f"her2gc: error: {message} (see '{command} --help')"


def main(argv: list[str] | None = None) -> int:
    """Entry point: run the app, turning errors into one line and an exit code."""
    try:
        result = app(args=argv, prog_name="her2gc", standalone_mode=False)
    except Her2gcError as exc:
        sys.stderr.write(f"her2gc: error: {exc.one_line()}\n")
        return exc.exit_code
    except _ABORTS:
        sys.stderr.write("her2gc: aborted\n")
        return 130
    except _USAGE_ERRORS as exc:
        if str(exc):  # an empty message: no arguments, and the help has been shown instead
            sys.stderr.write(_usage_line(exc) + "\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # noqa: BLE001 - the last guard: a bug must still not show a traceback
        sys.stderr.write(f"her2gc: internal error ({type(exc).__name__}: {exc}); please report it with the input that caused it\n")
        return 3
    # Without standalone mode, click catches an exit requested inside a command
    # (typer.Exit, --help) and hands its code back as the return value.
    return result if isinstance(result, int) else 0


if __name__ == "__main__":
    raise SystemExit(main())
