"""Pydantic validation errors as the one line a user reads: ``file: case.field.path: problem``."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

MAX_VALUE_CHARS = 80


def shorten(value: object, limit: int = MAX_VALUE_CHARS) -> str:
    """``repr`` of a value, cut with an ellipsis: a message never repeats a huge input."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


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
        message = f"{shorten(error.get('input'))} is not one of {expected.replace(chr(39), '').replace(' or ', ', ')}"
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
