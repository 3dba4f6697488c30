"""Reading a case file (JSON or YAML, plain or gzip) into a validated :class:`Case`."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from her2gc.case import Case
from her2gc.errors import InputError
from her2gc.input_files import read_text
from her2gc.kb.yamlio import YamlSyntaxError, parse_yaml
from her2gc.validation import validation_message

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase


def parse_document(path: Path, text: str) -> Any:
    """JSON when the name says so, YAML otherwise (YAML also reads JSON)."""
    name = path.name.lower().removesuffix(".gz")
    try:
        if name.endswith(".json"):
            return json.loads(text)
        return parse_yaml(text)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} line {exc.lineno}: malformed JSON ({exc.msg})") from None
    except YamlSyntaxError as exc:
        where = f" line {exc.line}" if exc.line is not None else ""
        raise InputError(f"{path}{where}: malformed YAML ({exc.problem})") from None


def case_from_data(data: Any, source: str = "<case>", kb: KnowledgeBase | None = None) -> Case:
    """Validate already-parsed case data; InputError with the field path on failure.

    With ``kb``, drug and gene names are normalised and checked against its vocabulary
    here (so the message names the file); without it, the engine does so later.
    """
    if not isinstance(data, dict):
        raise InputError(f"{source}: case: expected a mapping at the top level, got {type(data).__name__}")
    context = {"vocabulary": kb.vocabulary} if kb is not None else None
    try:
        return Case.model_validate(data, context=context)
    except ValidationError as exc:
        raise InputError(validation_message(exc, source)) from None


def read_case(path: str | Path, kb: KnowledgeBase | None = None) -> Case:
    """Read and validate a case file (JSON or YAML, plain or ``.gz``)."""
    file_path = Path(path)
    return case_from_data(parse_document(file_path, read_text(file_path)), str(file_path), kb)
