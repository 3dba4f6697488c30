"""Reading a case file (JSON or YAML, plain or gzip) into a validated :class:`Case`."""

from __future__ import annotations

import gzip
import json
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from her2gc.case import Case
from her2gc.errors import InputError
from her2gc.kb.yamlio import YamlSyntaxError, parse_yaml


def read_text(path: Path) -> str:
    """The text of a plain or gzip-compressed file; InputError when unreadable."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if raw[:2] == b"\x1f\x8b":
        try:
            raw = gzip.decompress(raw)
        except (OSError, EOFError) as exc:
            raise InputError(f"{path}: truncated or corrupt gzip ({exc})") from None
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{path}: not UTF-8 text (byte {exc.start})") from None


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


def field_path(location: tuple[int | str, ...], root: str = "case") -> str:
    """``('her2_tests', 0, 'ihc', 'score')`` -> ``case.her2_tests[0].ihc.score``."""
    text = root
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else f".{part}"
    return text


def _describe(error: Any) -> str:
    message = str(error.get("msg", "invalid"))
    message = message.removeprefix("Value error, ")
    if error.get("type") == "literal_error":
        expected = error.get("ctx", {}).get("expected", "")
        message = f"{error.get('input')!r} is not one of {expected.replace(chr(39), '').replace(' or ', ', ')}"
    elif error.get("type") == "extra_forbidden":
        message = "unknown field"
    elif error.get("type") == "missing":
        message = "required field missing"
    return message


def validation_message(exc: ValidationError, source: str, root: str = "case") -> str:
    """The first validation problem as one line: ``file: case.field.path: what is wrong``."""
    first = exc.errors()[0]
    location = tuple(part for part in first["loc"] if part not in ("function-after", "function-before"))
    extra = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
    return f"{source}: {field_path(location, root)}: {_describe(first)}{extra}"


def case_from_data(data: Any, source: str = "<case>") -> Case:
    """Validate already-parsed case data; InputError with the field path on failure."""
    if not isinstance(data, dict):
        raise InputError(f"{source}: case: expected a mapping at the top level, got {type(data).__name__}")
    try:
        return Case.model_validate(data)
    except ValidationError as exc:
        raise InputError(validation_message(exc, source)) from None


def read_case(path: str | Path) -> Case:
    """Read and validate a case file (JSON or YAML, plain or ``.gz``)."""
    file_path = Path(path)
    return case_from_data(parse_document(file_path, read_text(file_path)), str(file_path))
