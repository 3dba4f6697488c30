"""Command-line pieces of FHIR in and out, mounted by ``her2gc.cli``.

``her2gc fhir import BUNDLE.json [-o CASE.yaml]`` (or ``--fhir-server URL --patient ID``)
writes the case a Bundle maps to, for a person to review; ``read_evaluation_input`` and
``render_output`` are what ``her2gc evaluate`` calls to accept a Bundle or a FHIR server as
its input and to write ``--format fhir``. The mapping's warnings go on stderr and into the
report's ``warnings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from her2gc.cli.options import FhirServer, FhirToken, PatientId, write_text
from her2gc.errors import InputError

if TYPE_CHECKING:
    from her2gc.case import Case
    from her2gc.kb.base import KnowledgeBase
    from her2gc.kb.schema_fhir import FhirCodes
    from her2gc.readers.fhir_bundle import FhirVocabulary
    from her2gc.report import Report, Warning

fhir_app = typer.Typer(
    no_args_is_help=True, help="FHIR R4: map a patient's Bundle (or a FHIR server's record) to a case file."
)


def fhir_codes_of(kb: KnowledgeBase) -> FhirCodes:
    """The FHIR code tables of the knowledge base (``fhir_codes.yaml`` beside its other files)."""
    return kb.fhir_codes


def vocabulary(kb: KnowledgeBase) -> FhirVocabulary:
    from her2gc.readers.fhir import vocabulary_from_kb

    return vocabulary_from_kb(fhir_codes_of(kb), kb)


def _bundle_from(
    case_file: Path | None, fhir_server: str | None, patient: str | None, token: str | None
) -> tuple[Any, str]:
    """(parsed document, source name) from a file or a FHIR server."""
    if fhir_server is not None or patient is not None:
        if fhir_server is None or patient is None:
            raise InputError("--fhir-server and --patient go together: give both")
        if case_file is not None:
            raise InputError(f"{case_file}: give a case file or --fhir-server, not both")
        from her2gc.readers.fhir_server import fetch_patient_bundle

        return fetch_patient_bundle(fhir_server, patient, token=token), f"{fhir_server.rstrip('/')}/Patient/{patient}"
    if case_file is None:
        raise InputError("CASE: give a case file, a FHIR Bundle, or --fhir-server URL --patient ID")
    from her2gc.readers.case_file import read_case_document

    return read_case_document(case_file), str(case_file)


def _echo_warnings(source: str, warnings: list[Warning], patient: str) -> None:
    typer.echo(f"fhir: {source}: {patient} mapped to a case; {len(warnings)} warning(s)", err=True)
    for warning in warnings:
        typer.echo(f"warning: {warning.message}", err=True)


def read_evaluation_input(
    case_file: Path | None,
    kb: KnowledgeBase,
    *,
    fhir_server: str | None = None,
    patient: str | None = None,
    token: str | None = None,
) -> tuple[Case, list[Warning]]:
    """The case to evaluate: a case file as before, or a FHIR Bundle (``resourceType: Bundle``)
    from a file or a server; with the FHIR mapping's warnings (none for a case file)."""
    from her2gc.readers.case_file import case_from_data

    document, source = _bundle_from(case_file, fhir_server, patient, token)
    if not (isinstance(document, dict) and document.get("resourceType") == "Bundle"):
        return case_from_data(document, source, kb), []  # a case file: the FHIR modules stay unloaded
    from her2gc.readers.fhir import bundle_to_case

    mapped = bundle_to_case(document, vocabulary(kb), source=source)
    _echo_warnings(source, mapped.warnings, mapped.patient)
    return case_from_data(mapped.case, source, kb), mapped.warnings


def render_output(report: Report, case: Case, output_format: str, kb: KnowledgeBase, warnings: list[Warning]) -> str:
    """The report in ``output_format`` (text | json | html | fhir), mapping warnings included."""
    report = report.with_warnings_first(warnings)
    if output_format == "fhir":
        from her2gc.render.fhir import to_fhir_json

        hgnc_ids = {symbol: gene.hgnc_id for symbol, gene in kb.genes.items() if gene.hgnc_id}
        return to_fhir_json(report, case, fhir_codes_of(kb), recommendations=kb.recommendations, hgnc_ids=hgnc_ids)
    from her2gc.render import render

    return render(report, output_format, case, kb)


def case_yaml(case: dict[str, Any], source: str, patient: str, warnings: list[Warning]) -> str:
    """The mapped case as a YAML case file, its provenance and the warnings as comments on top."""
    import yaml

    lines = [
        f"# her2gc case mapped from the FHIR record {source} ({patient}).",
        "# Review every field before use; what could not be mapped is listed below.",
    ]
    lines += [f"# warning: {' '.join(w.message.split())}" for w in warnings] or ["# (every resource was mapped)"]
    body = yaml.safe_dump(case, sort_keys=False, allow_unicode=True, default_flow_style=None, width=120)
    return "\n".join(lines) + "\n" + body


@fhir_app.command("import")
def import_command(
    bundle: Annotated[Path | None, typer.Argument(metavar="BUNDLE", help="FHIR R4 Bundle (JSON, may be .gz)")] = None,
    output: Annotated[
        Path | None, typer.Option("-o", "--output", help="write the case file here (default stdout)")
    ] = None,
    fhir_server: FhirServer = None,
    patient: PatientId = None,
    fhir_token: FhirToken = None,
    region: Annotated[str | None, typer.Option(help="US | EU | CN | JP, written into the case")] = None,
) -> None:
    """Map a FHIR R4 Bundle to a case file (YAML) for a person to review."""
    from her2gc.kb.loader import load_kb
    from her2gc.readers.case_file import case_from_data
    from her2gc.readers.fhir import bundle_to_case, is_bundle

    document, source = _bundle_from(bundle, fhir_server, patient, fhir_token)
    if not is_bundle(document):
        raise InputError(f"{source}: resourceType: expected 'Bundle'")
    kb = load_kb()
    mapped = bundle_to_case(document, vocabulary(kb), source=source)
    data = dict(mapped.case)
    if region is not None:
        data["region"] = region.upper()
    case_from_data(data, source, kb)  # the file written must be a valid case
    _echo_warnings(source, mapped.warnings, mapped.patient)
    write_text(case_yaml(data, source, mapped.patient, mapped.warnings), output)
