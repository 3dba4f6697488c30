"""Rules built as functions for percolation give exactly the tree evaluator's three-valued results."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from her2gc.network.expr import (
    And,
    Const,
    Expr,
    Not,
    Or,
    Var,
    evaluate,
    kleene_function,
    parse_expression,
)

NAMES = ["a", "b", "c", "d"]

expressions: st.SearchStrategy[Expr] = st.recursive(
    st.one_of(st.builds(Const, st.booleans()), st.builds(Var, st.sampled_from(NAMES))),
    lambda inner: st.one_of(
        st.builds(Not, inner),
        st.builds(And, st.lists(inner, min_size=2, max_size=4).map(tuple)),
        st.builds(Or, st.lists(inner, min_size=2, max_size=4).map(tuple)),
    ),
    max_leaves=12,
)
states = st.dictionaries(st.sampled_from(NAMES), st.integers(0, 1))


@settings(max_examples=400, deadline=None)
@given(expressions, states)
def test_same_as_the_tree_evaluator(expr: Expr, state: dict[str, int]) -> None:
    assert kleene_function(expr)(state) == evaluate(expr, state)


def test_kleene_is_not_classical() -> None:
    """``a | !a`` with ``a`` unknown is unknown in Kleene's logic, as percolation needs."""
    rule = kleene_function(parse_expression("a | !a"))
    assert rule({}) is None
    assert rule({"a": 0}) == 1
    assert kleene_function(parse_expression("a & 0 | b"))({"b": 1}) == 1
    assert kleene_function(parse_expression("!(a & b)"))({"a": 0}) == 1
