"""Boolean update-function expressions: parsing, partial evaluation, printing.

The grammar is the one of the ``.bnet`` format (BoolNet, PyBoolNet, BioDivine
model collection): identifiers, the constants ``0``/``1``/``true``/``false``,
``!`` (not), ``&`` (and), ``|`` (or) and parentheses, with the usual precedence
``!`` > ``&`` > ``|``. Expressions are immutable trees so that a model can be
shared between threads and hashed.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Const:
    value: bool


@dataclass(frozen=True, slots=True)
class Var:
    name: str


@dataclass(frozen=True, slots=True)
class Not:
    arg: Expr


@dataclass(frozen=True, slots=True)
class And:
    args: tuple[Expr, ...]


@dataclass(frozen=True, slots=True)
class Or:
    args: tuple[Expr, ...]


Expr = Const | Var | Not | And | Or

TRUE = Const(True)
FALSE = Const(False)

_TOKEN = re.compile(r"\s*(?:(?P<name>[A-Za-z0-9_]+)|(?P<op>[!&|()~]))")
_CONSTANTS = {"0": False, "1": True, "true": True, "false": False, "True": True, "False": False}


class ExpressionSyntaxError(ValueError):
    """An expression that is not valid ``.bnet`` syntax; the message says where."""


def _tokens(text: str) -> list[str]:
    tokens: list[str] = []
    position = 0
    stripped = text.rstrip()
    while position < len(stripped):
        match = _TOKEN.match(stripped, position)
        if match is None:
            raise ExpressionSyntaxError(
                f"unexpected character {stripped[position:].lstrip()[:1]!r} at column {position + 1}"
            )
        tokens.append(match.group("name") or match.group("op"))
        position = match.end()
    return tokens


class _Parser:
    """Recursive-descent parser over the token list (``|`` < ``&`` < ``!``)."""

    def __init__(self, tokens: list[str]) -> None:
        self.tokens = tokens
        self.index = 0

    def peek(self) -> str | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> str:
        token = self.peek()
        if token is None:
            raise ExpressionSyntaxError("expression ends too early")
        self.index += 1
        return token

    def parse(self) -> Expr:
        if not self.tokens:
            raise ExpressionSyntaxError("empty expression")
        result = self.disjunction()
        if self.peek() is not None:
            raise ExpressionSyntaxError(f"unexpected {self.peek()!r} after a complete expression")
        return result

    def disjunction(self) -> Expr:
        args = [self.conjunction()]
        while self.peek() == "|":
            self.take()
            args.append(self.conjunction())
        return args[0] if len(args) == 1 else Or(tuple(args))

    def conjunction(self) -> Expr:
        args = [self.negation()]
        while self.peek() == "&":
            self.take()
            args.append(self.negation())
        return args[0] if len(args) == 1 else And(tuple(args))

    def negation(self) -> Expr:
        if self.peek() in ("!", "~"):
            self.take()
            return Not(self.negation())
        return self.atom()

    def atom(self) -> Expr:
        token = self.take()
        if token == "(":
            inner = self.disjunction()
            if self.take() != ")":
                raise ExpressionSyntaxError("missing ')'")
            return inner
        if token in _CONSTANTS:
            return Const(_CONSTANTS[token])
        if token in "&|)!~":
            raise ExpressionSyntaxError(f"unexpected {token!r}")
        return Var(token)


def parse_expression(text: str) -> Expr:
    """Parse one ``.bnet`` update function; raises :class:`ExpressionSyntaxError`."""
    return _Parser(_tokens(text)).parse()


def variables(expr: Expr) -> Iterator[str]:
    """The variable names an expression reads, in order of appearance (with repeats)."""
    if isinstance(expr, Var):
        yield expr.name
    elif isinstance(expr, Not):
        yield from variables(expr.arg)
    elif isinstance(expr, (And, Or)):
        for arg in expr.args:
            yield from variables(arg)


def evaluate(expr: Expr, state: Mapping[str, int]) -> int | None:
    """Kleene three-valued evaluation: 1, 0, or ``None`` when the free variables decide."""
    if isinstance(expr, Const):
        return int(expr.value)
    if isinstance(expr, Var):
        return state.get(expr.name)
    if isinstance(expr, Not):
        value = evaluate(expr.arg, state)
        return None if value is None else 1 - value
    absorbing = 0 if isinstance(expr, And) else 1
    unknown = False
    for arg in expr.args:
        value = evaluate(arg, state)
        if value == absorbing:
            return absorbing
        if value is None:
            unknown = True
    return None if unknown else 1 - absorbing


Kleene = Callable[[Mapping[str, int]], "int | None"]


def _literal(expr: Expr) -> tuple[str, int] | None:
    """(name, 1 if negated else 0) for ``x`` or ``!x``; None for anything else."""
    if isinstance(expr, Var):
        return expr.name, 0
    if isinstance(expr, Not) and isinstance(expr.arg, Var):
        return expr.arg.name, 1
    return None


def kleene_function(expr: Expr) -> Kleene:
    """:func:`evaluate` of ``expr`` as a function of the state, built once for repeated use.

    The same three-valued results (an and/or is decided by any absorbing argument,
    unknown if an argument is unknown and none absorbs, else the other value),
    without walking the tree: percolation evaluates each rule many times per screen.
    Literals (``x``, ``!x``) of an and/or are read inline.
    """
    if isinstance(expr, Const):
        constant = int(expr.value)
        return lambda state: constant
    if isinstance(expr, Var):
        name = expr.name
        return lambda state: state.get(name)
    if isinstance(expr, Not):
        inner = kleene_function(expr.arg)

        def negation(state: Mapping[str, int]) -> int | None:
            value = inner(state)
            return None if value is None else 1 - value

        return negation
    absorbing = 0 if isinstance(expr, And) else 1
    literals = tuple(lit for lit in map(_literal, expr.args) if lit is not None)
    others = tuple(kleene_function(arg) for arg in expr.args if _literal(arg) is None)

    def junction(state: Mapping[str, int]) -> int | None:
        unknown = False
        get = state.get
        for name, negated in literals:
            value = get(name)
            if value is None:
                unknown = True
            elif value ^ negated == absorbing:
                return absorbing
        for other in others:
            value = other(state)
            if value is None:
                unknown = True
            elif value == absorbing:
                return absorbing
        return None if unknown else 1 - absorbing

    return junction


def substitute(expr: Expr, fixed: Mapping[str, int]) -> Expr:
    """The expression with fixed variables replaced by constants, then simplified."""
    if isinstance(expr, Const):
        return expr
    if isinstance(expr, Var):
        return Const(bool(fixed[expr.name])) if expr.name in fixed else expr
    if isinstance(expr, Not):
        inner = substitute(expr.arg, fixed)
        return Const(not inner.value) if isinstance(inner, Const) else Not(inner)
    absorbing = isinstance(expr, Or)
    kept: list[Expr] = []
    for arg in expr.args:
        simplified = substitute(arg, fixed)
        if isinstance(simplified, Const):
            if simplified.value == absorbing:
                return simplified
            continue
        kept.append(simplified)
    if not kept:
        return Const(not absorbing)
    if len(kept) == 1:
        return kept[0]
    return Or(tuple(kept)) if absorbing else And(tuple(kept))


def to_text(expr: Expr) -> str:
    """Print in ``.bnet`` syntax (fully parenthesised where precedence needs it)."""
    if isinstance(expr, Const):
        return "1" if expr.value else "0"
    if isinstance(expr, Var):
        return expr.name
    if isinstance(expr, Not):
        inner = to_text(expr.arg)
        return f"!{inner}" if isinstance(expr.arg, (Var, Const, Not)) else f"!({inner})"
    joiner = " & " if isinstance(expr, And) else " | "
    parts = []
    for arg in expr.args:
        text = to_text(arg)
        parts.append(f"({text})" if isinstance(arg, (And, Or)) else text)
    return joiner.join(parts)


def signed_regulators(expr: Expr, negated: bool = False) -> Iterator[tuple[str, bool]]:
    """(regulator, acts positively) pairs read off the syntax tree, for drawing and SBML."""
    if isinstance(expr, Var):
        yield expr.name, not negated
    elif isinstance(expr, Not):
        yield from signed_regulators(expr.arg, not negated)
    elif isinstance(expr, (And, Or)):
        for arg in expr.args:
            yield from signed_regulators(arg, negated)
