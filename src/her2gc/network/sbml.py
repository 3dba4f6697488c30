"""Export of a logical model to SBML-qual (GINsim, Cell Collective, BoolNet, AEON).

Each node is a qualitative species with levels 0-1; each update function one
transition whose function term gives level 1 when the rule holds (default 0).
Uses python-libsbml (LGPL), an optional extra: ``pip install her2gc[sbml]``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from her2gc.errors import Her2gcError, InputError
from her2gc.network.bnet import LogicalModel
from her2gc.network.expr import And, Const, Expr, Not, Or, Var, signed_regulators


class SbmlUnavailableError(Her2gcError):
    """python-libsbml is not installed."""


def _formula(expr: Expr) -> str:
    """The rule as an SBML L3 infix formula over levels (``x == 1``)."""
    if isinstance(expr, Const):
        return "true" if expr.value else "false"
    if isinstance(expr, Var):
        return f"({expr.name} == 1)"
    if isinstance(expr, Not):
        return f"!{_formula(expr.arg)}"
    joiner = " && " if isinstance(expr, And) else " || "
    assert isinstance(expr, (And, Or))
    return "(" + joiner.join(_formula(arg) for arg in expr.args) + ")"


def _check(code: int, what: str) -> None:
    import libsbml

    if code != libsbml.LIBSBML_OPERATION_SUCCESS:
        raise Her2gcError(f"SBML export failed while setting {what}: {libsbml.OperationReturnValue_toString(code)}")


def _add_transition(qual: Any, model: LogicalModel, node: str) -> None:
    import libsbml

    transition = qual.createTransition()
    _check(transition.setId(f"tr_{node}"), f"transition of {node}")
    signs: dict[str, set[bool]] = {}
    for regulator, positive in signed_regulators(model.rules[node]):
        signs.setdefault(regulator, set()).add(positive)
    for index, (regulator, kinds) in enumerate(signs.items()):
        item = transition.createInput()
        item.setId(f"tr_{node}_in_{index}")
        item.setQualitativeSpecies(regulator)
        item.setTransitionEffect(libsbml.INPUT_TRANSITION_EFFECT_NONE)
        sign = (
            libsbml.INPUT_SIGN_POSITIVE
            if kinds == {True}
            else libsbml.INPUT_SIGN_NEGATIVE
            if kinds == {False}
            else libsbml.INPUT_SIGN_DUAL
        )
        item.setSign(sign)
    output = transition.createOutput()
    output.setId(f"tr_{node}_out")
    output.setQualitativeSpecies(node)
    output.setTransitionEffect(libsbml.OUTPUT_TRANSITION_EFFECT_ASSIGNMENT_LEVEL)
    transition.createDefaultTerm().setResultLevel(0)
    term = transition.createFunctionTerm()
    term.setResultLevel(1)
    math = libsbml.parseL3Formula(_formula(model.rules[node]))
    if math is None:
        raise Her2gcError(f"SBML export: cannot express the rule of {node}: {libsbml.getLastParseL3Error()}")
    _check(term.setMath(math), f"the rule of {node}")


def to_sbml_qual(model: LogicalModel, path: str | Path, initial: dict[str, int] | None = None) -> Path:
    """Write ``model`` as an SBML Level 3 qual document; ``initial`` sets initial levels."""
    try:
        import libsbml
    except ImportError as error:
        raise SbmlUnavailableError("SBML-qual export needs python-libsbml: pip install 'her2gc[sbml]'") from error
    namespaces = libsbml.SBMLNamespaces(3, 1, "qual", 1)
    document = libsbml.SBMLDocument(namespaces)
    document.setPackageRequired("qual", True)
    sbml_model = document.createModel()
    sbml_model.setId("".join(ch if ch.isalnum() else "_" for ch in Path(model.name).stem) or "model")
    compartment = sbml_model.createCompartment()
    compartment.setId("cell")
    compartment.setConstant(True)
    qual = sbml_model.getPlugin("qual")
    for node in model.nodes:
        species = qual.createQualitativeSpecies()
        _check(species.setId(node), f"species {node}")
        species.setCompartment("cell")
        species.setConstant(False)
        species.setMaxLevel(1)
        if initial and node in initial:
            species.setInitialLevel(int(initial[node]))
    for node in model.nodes:
        _add_transition(qual, model, node)
    out = Path(path)
    if not libsbml.writeSBMLToFile(document, str(out)):
        raise InputError(f"{out}: cannot write the SBML file")
    return out
