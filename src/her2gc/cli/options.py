"""What several commands share: their FHIR-server options and writing a text output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from her2gc.errors import InputError

FhirServer = Annotated[
    str | None, typer.Option("--fhir-server", help="FHIR R4 server base URL to read the patient from")
]
PatientId = Annotated[str | None, typer.Option(help="Patient id on --fhir-server")]
FhirToken = Annotated[
    str | None,
    typer.Option(
        "--fhir-token", envvar="HER2GC_FHIR_TOKEN", help="bearer token for --fhir-server (or set HER2GC_FHIR_TOKEN)"
    ),
]


def write_text(text: str, output: Path | None) -> None:
    """``text`` to stdout, or to the file ``output`` (a one-line error where it cannot be written)."""
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"{output}: cannot write ({exc.strerror or exc})") from None
