"""A pure library of logical (Boolean) network analysis: no knowledge base, no state.

    load_bnet(path_or_text)              any .bnet model -> LogicalModel
    trap_space_attractors(model, fixed)  attractors under a perturbation
    run_screen(setup, base, max_drugs)   every drug and combination of a panel
    screen_bnet(bnet, panel, outputs)    the same screen with DrugLogics files
    to_sbml_qual(model, path)            export to SBML-qual (GINsim, Cell Collective)
    draw.draw(model, altered, targets, ...)   SVG drawing through Graphviz

Callers own the caches (:class:`SolverCache`) and any executor.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "LogicalModel": "her2gc.network.bnet",
    "load_bnet": "her2gc.network.bnet",
    "screen_bnet": "her2gc.network.druglogics",
    "SolverCache": "her2gc.network.engine",
    "trap_space_attractors": "her2gc.network.engine",
    "Prediction": "her2gc.network.results",
    "ScreenResult": "her2gc.network.results",
    "to_sbml_qual": "her2gc.network.sbml",
    "ScreenSetup": "her2gc.network.screen",
    "run_screen": "her2gc.network.screen",
}

__all__ = [
    "LogicalModel",
    "Prediction",
    "ScreenResult",
    "ScreenSetup",
    "SolverCache",
    "load_bnet",
    "run_screen",
    "screen_bnet",
    "to_sbml_qual",
    "trap_space_attractors",
]


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'her2gc.network' has no attribute '{name}'")
    return getattr(importlib.import_module(module), name)
