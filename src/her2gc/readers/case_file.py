"""Reading a case file (JSON or YAML, plain or gzip) into a validated :class:`Case`."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import ValidationError

from her2gc.case import Case
from her2gc.errors import InputError
from her2gc.input_files import decode, read_bytes
from her2gc.readers.documents import parse_document
from her2gc.validation import validation_message

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase


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


MAX_CASE_BYTES = 32 * 1024**2  # a real case is a few kilobytes; a cohort is read row by row


def read_case_document(path: Path) -> Any:
    """The parsed document of a case file or FHIR Bundle (JSON or YAML, plain or ``.gz``), size-capped."""
    raw = read_bytes(path)
    if len(raw) > MAX_CASE_BYTES:
        raise InputError(f"{path}: {len(raw):,} bytes, over the {MAX_CASE_BYTES:,}-byte limit of a case file")
    return parse_document(path, decode(path, raw))


def read_case(path: str | Path, kb: KnowledgeBase | None = None) -> Case:
    """Read and validate a case file (JSON or YAML, plain or ``.gz``)."""
    file_path = Path(path)
    return case_from_data(read_case_document(file_path), str(file_path), kb)
