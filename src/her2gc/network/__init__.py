"""A pure library of logical (Boolean) network analysis: no knowledge base, no state.

    load_bnet(path_or_text)              any .bnet model -> LogicalModel
    trap_space_attractors(model, fixed)  attractors under a perturbation
    run_screen(setup, base, max_drugs)   every drug and combination of a panel
    screen_bnet(bnet, panel, outputs)    the same screen with DrugLogics files
    to_sbml_qual(model, path)            export to SBML-qual (GINsim, Cell Collective)
    draw(model, altered, targets, ...)   SVG drawing through Graphviz

Callers own the caches (:class:`SolverCache`) and any executor.
"""

from __future__ import annotations

from her2gc.network.bnet import LogicalModel, load_bnet
from her2gc.network.draw import draw
from her2gc.network.druglogics import screen_bnet
from her2gc.network.engine import SolverCache, trap_space_attractors
from her2gc.network.results import Prediction, ScreenResult
from her2gc.network.sbml import to_sbml_qual
from her2gc.network.screen import ScreenSetup, run_screen

__all__ = [
    "LogicalModel",
    "Prediction",
    "ScreenResult",
    "ScreenSetup",
    "SolverCache",
    "draw",
    "load_bnet",
    "run_screen",
    "screen_bnet",
    "to_sbml_qual",
    "trap_space_attractors",
]
