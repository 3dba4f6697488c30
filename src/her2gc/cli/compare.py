"""``her2gc kb compare``: entries of the knowledge base side by side."""

from __future__ import annotations

import json
import sys
from typing import Annotated

import typer

from her2gc.errors import InputError

compare_app = typer.Typer(no_args_is_help=True, help="Compare knowledge-base entries side by side.")

FORMATS = ("text", "json", "html")


@compare_app.command("adc")
def compare_adc(
    output_format: Annotated[str, typer.Option("--format", help="text | json | html")] = "text",
) -> None:
    """The HER2 antibody-drug conjugates side by side.

    Linker, payload and DAR as Table 1 of Tao & Huang 2026 prints them; approvals; toxicities; gastric figures.
    """
    from her2gc.kb.loader import load_kb
    from her2gc.render.adc import adc_json, adc_page_html, adc_rows, adc_text

    if output_format not in FORMATS:
        raise InputError(f"--format: '{output_format}' is not one of {', '.join(FORMATS)}")
    kb = load_kb()
    if output_format == "html":
        sys.stdout.write(adc_page_html(kb))
    elif output_format == "json":
        sys.stdout.write(json.dumps(adc_json(adc_rows(kb)), indent=2, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(adc_text(kb, adc_rows(kb)))
