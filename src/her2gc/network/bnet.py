"""Logical models in the ``.bnet`` format: loading, validating, writing.

``.bnet`` is the plain-text exchange format of BoolNet, PyBoolNet, mpbn and the
BioDivine model collection: an optional ``targets, factors`` header, then one
``node, update-function`` line per node, ``#`` comments. Loading is strict:
every problem is an :class:`~her2gc.errors.InputError` naming the file and line.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from types import MappingProxyType

from her2gc.errors import InputError
from her2gc.input_files import read_text as read_input_text
from her2gc.network.expr import (
    Expr,
    ExpressionSyntaxError,
    Var,
    parse_expression,
    to_text,
    variables,
)

_NAME = re.compile(r"^[A-Za-z0-9_]+$")
_HEADER = re.compile(r"^\s*targets\s*,\s*factors\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class LogicalModel:
    """A Boolean network: every node with its update function, in file order."""

    name: str
    nodes: tuple[str, ...]
    rules: Mapping[str, Expr]
    lines: Mapping[str, int] = field(default_factory=dict)

    @cached_property
    def inputs(self) -> tuple[str, ...]:
        """Nodes that keep their value (``x, x``): the environment and the drugs."""
        return tuple(n for n in self.nodes if self.rules[n] == Var(n))

    def regulators(self, node: str) -> tuple[str, ...]:
        """The distinct nodes read by the update function of ``node``."""
        return tuple(dict.fromkeys(variables(self.rules[node])))

    def to_bnet(self) -> str:
        """The model as ``.bnet`` text (the canonical form hashed by :attr:`sha256`)."""
        body = "".join(f"{node}, {to_text(self.rules[node])}\n" for node in self.nodes)
        return "targets, factors\n" + body

    @cached_property
    def sha256(self) -> str:
        return hashlib.sha256(self.to_bnet().encode()).hexdigest()

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        # Read-only mapping views do not pickle; a process executor ships the model as parts.
        return _from_parts, (self.name, self.nodes, dict(self.rules), dict(self.lines))


def _from_parts(name: str, nodes: tuple[str, ...], rules: dict[str, Expr], lines: dict[str, int]) -> LogicalModel:
    return LogicalModel(name=name, nodes=nodes, rules=MappingProxyType(rules), lines=MappingProxyType(lines))


def read_text(path: Path) -> str:
    """Read a text file that may be gzip-compressed; unreadable files are InputErrors."""
    return read_input_text(path)


def _parse_line(label: str, number: int, line: str) -> tuple[str, Expr]:
    if "," not in line:
        raise InputError(f"{label}: line {number}: expected 'node, update-function', got {line.strip()[:60]!r}")
    target, function = line.split(",", 1)
    target = target.strip()
    if not _NAME.match(target):
        raise InputError(f"{label}: line {number}: invalid node name {target!r} (letters, digits and '_' only)")
    try:
        return target, parse_expression(function)
    except ExpressionSyntaxError as error:
        raise InputError(f"{label}: line {number}: node {target}: {error}") from error


def parse_bnet(text: str, label: str = "<bnet>", free_inputs: bool = False) -> LogicalModel:
    """Parse ``.bnet`` text.

    ``free_inputs`` treats nodes that are read but never defined as inputs
    (``x, x``), the convention of some published files; by default they are an
    error, since in a hand-written model they are almost always a typo.
    """
    rules: dict[str, Expr] = {}
    lines: dict[str, int] = {}
    first_use: dict[str, int] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.split("#", 1)[0]
        if not line.strip() or (not rules and _HEADER.match(line)):
            continue
        target, expr = _parse_line(label, number, line)
        if target in rules:
            raise InputError(f"{label}: line {number}: node {target} is defined twice (first on line {lines[target]})")
        rules[target] = expr
        lines[target] = number
        for name in variables(expr):
            first_use.setdefault(name, number)
    if not rules:
        raise InputError(f"{label}: no node definitions found (expected 'node, update-function' lines)")
    undefined = [name for name in first_use if name not in rules]
    if undefined and not free_inputs:
        name = undefined[0]
        raise InputError(
            f"{label}: line {first_use[name]}: node {name} is used but never defined "
            "(define it, or load with free inputs: --free-inputs)"
        )
    for name in undefined:
        rules[name] = Var(name)
        lines[name] = 0
    return LogicalModel(name=label, nodes=tuple(rules), rules=MappingProxyType(rules), lines=MappingProxyType(lines))


def load_bnet(path_or_text: str | Path, free_inputs: bool = False) -> LogicalModel:
    """Load a model from a ``.bnet`` file (plain or gzip) or from ``.bnet`` text."""
    if isinstance(path_or_text, Path) or ("\n" not in path_or_text and "," not in path_or_text):
        path = Path(path_or_text)
        return parse_bnet(read_text(path), label=str(path), free_inputs=free_inputs)
    return parse_bnet(path_or_text, free_inputs=free_inputs)
