"""What several commands share: the sequencing-file and FHIR-server options, and writing a text output."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from her2gc.errors import InputError

# Sequencing files (``her2gc evaluate`` merges them into the case; ``her2gc annotate`` reads them alone).
MafFile = Annotated[Path | None, typer.Option("--maf", help="MAF (GDC / cBioPortal), plain or .gz")]
VcfFile = Annotated[Path | None, typer.Option("--vcf", help="VCF annotated with VEP (CSQ) or SnpEff (ANN)")]
CnaFile = Annotated[Path | None, typer.Option("--cna", help="cBioPortal discrete CNA table (GISTIC -2..2)")]
SegFile = Annotated[Path | None, typer.Option("--seg", help="segmented copy number (.seg, log2 ratio)")]
GenomeBuild = Annotated[str, typer.Option("--build", help="genome build of --seg: GRCh37 | GRCh38")]
CnMethod = Annotated[str | None, typer.Option("--cn-method", help="segment calls: arm_relative (default) | fixed")]
AmpThreshold = Annotated[
    float | None, typer.Option("--amp-threshold", help="fixed method: amplified when log2 ratio >= this (default 1.0)")
]

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
