"""Parsing case documents (JSON or YAML) defensively: what a user or a hospital system sends
may be malformed, hostile or simply huge, and must be refused with one line, fast.

* duplicate keys are refused (YAML and JSON), never "last one wins";
* YAML aliases are limited (a "billion laughs" document is refused before anything expands it);
* nesting depth, the number of values and integer sizes are bounded;
* invalid dates (``2025-13-45``, ``2025-02-30``) are refused with their line.

The limits are generous for a real case and documented in the README.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from her2gc.errors import InputError

MAX_DEPTH = 32  # a case nests 4-5 levels; 32 leaves room for any extension
MAX_VALUES = 100_000  # scalars and containers, counting shared (aliased) ones each time
MAX_ALIASES = 100
MAX_INT_DIGITS = 64


def _yaml_loader() -> Any:
    """The safe loader (libyaml where present) with duplicate-key and value checks."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class CaseLoader(base):  # type: ignore[misc,valid-type]
        pass

    def construct_mapping(loader: Any, node: Any, deep: bool = False) -> dict[Any, Any]:
        loader.flatten_mapping(node)
        mapping: dict[Any, Any] = {}
        for key_node, value_node in node.value:
            key = loader.construct_object(key_node, deep=deep)
            try:
                seen = key in mapping
            except TypeError:
                raise yaml.constructor.ConstructorError(None, None, "unhashable key", key_node.start_mark) from None
            if seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {str(key)[:60]!r}", key_node.start_mark
                )
            mapping[key] = loader.construct_object(value_node, deep=deep)
        return mapping

    def construct_int(loader: Any, node: Any) -> int:
        if len(str(node.value)) > MAX_INT_DIGITS:
            raise yaml.constructor.ConstructorError(
                None, None, f"an integer of {len(str(node.value))} digits (at most {MAX_INT_DIGITS})", node.start_mark
            )
        return int(loader.construct_yaml_int(node))

    def construct_timestamp(loader: Any, node: Any) -> Any:
        try:
            return loader.construct_yaml_timestamp(node)
        except ValueError as exc:
            raise yaml.constructor.ConstructorError(
                None, None, f"{node.value!r} is not a valid date ({exc})", node.start_mark
            ) from None

    CaseLoader.add_constructor("tag:yaml.org,2002:map", construct_mapping)
    CaseLoader.add_constructor("tag:yaml.org,2002:int", construct_int)
    CaseLoader.add_constructor("tag:yaml.org,2002:timestamp", construct_timestamp)
    return CaseLoader


def _count_aliases(text: str) -> int:
    """YAML alias events, counted by the event parser before anything is built."""
    import yaml

    loader_class = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    count = 0
    for event in yaml.parse(text, Loader=loader_class):
        if isinstance(event, yaml.AliasEvent):
            count += 1
            if count > MAX_ALIASES:
                break
    return count


def parse_yaml_document(path: Path, text: str) -> Any:
    import yaml

    try:
        if "*" in text and _count_aliases(text) > MAX_ALIASES:
            raise InputError(f"{path}: more than {MAX_ALIASES} YAML aliases; refused (a case needs none)")
        return yaml.load(text, Loader=_yaml_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark is not None else ""
        problem = " ".join(str(getattr(exc, "problem", None) or exc).split())[:160]
        raise InputError(f"{path}{where}: malformed YAML ({problem})") from None


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"duplicate key {key[:60]!r}")
        found[key] = value
    return found


def _int_bounded(text: str) -> int:
    if len(text.lstrip("-")) > MAX_INT_DIGITS:
        raise ValueError(f"an integer of {len(text)} digits (at most {MAX_INT_DIGITS})")
    return int(text)


def parse_json_document(path: Path, text: str) -> Any:
    try:
        return json.loads(text, object_pairs_hook=_no_duplicates, parse_int=_int_bounded)
    except json.JSONDecodeError as exc:
        raise InputError(f"{path} line {exc.lineno}: malformed JSON ({exc.msg})") from None
    except RecursionError:
        raise InputError(f"{path}: nested deeper than {MAX_DEPTH} levels; refused") from None
    except ValueError as exc:
        raise InputError(f"{path}: malformed JSON ({exc})") from None


def check_shape(path: Path, data: Any) -> None:
    """Depth and size of a parsed document, walked without recursion and with a budget, so
    that shared (aliased) values cannot blow the walk up."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    values = 0
    while stack:
        value, depth = stack.pop()
        values += 1
        if values > MAX_VALUES:
            raise InputError(f"{path}: more than {MAX_VALUES:,} values; refused")
        if depth > MAX_DEPTH:
            raise InputError(f"{path}: nested deeper than {MAX_DEPTH} levels; refused")
        if isinstance(value, dict):
            stack.extend((item, depth + 1) for item in value.values())
        elif isinstance(value, list):
            stack.extend((item, depth + 1) for item in value)


def parse_document(path: Path, text: str) -> Any:
    """JSON when the name says so, YAML otherwise (YAML also reads JSON); shape checked."""
    name = path.name.lower().removesuffix(".gz")
    data = parse_json_document(path, text) if name.endswith(".json") else parse_yaml_document(path, text)
    check_shape(path, data)
    return data
