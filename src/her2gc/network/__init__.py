"""The mechanistic model: a logical (Boolean) network of HER2 signalling in gastric cancer.

Predictions are model hypotheses, the lowest evidence tier. Public API::

    load_bnet(path_or_text)            any .bnet model -> LogicalModel
    her2_model()                       the packaged HER2 gastric model
    predict(alterations, drugs)        one profile under one drug set -> Prediction
    screen_profile(alterations, ...)   every drug and combination for a profile
    screen_bnet(bnet, panel, outputs)  the same screen on any model (DrugLogics files)
    to_sbml_qual(model, path)          export to SBML-qual (GINsim, Cell Collective)
    draw(model, alterations, drugs, out_path)   SVG drawing through Graphviz
"""

from __future__ import annotations

from her2gc.network.bnet import LogicalModel, load_bnet
from her2gc.network.draw import draw
from her2gc.network.druglogics import screen_bnet
from her2gc.network.her2 import (
    her2_model,
    maps_alteration,
    model_annotations,
    model_sources,
    predict,
    screen_profile,
)
from her2gc.network.results import Prediction, ScreenResult
from her2gc.network.sbml import to_sbml_qual

__all__ = [
    "LogicalModel",
    "Prediction",
    "ScreenResult",
    "draw",
    "her2_model",
    "load_bnet",
    "maps_alteration",
    "model_annotations",
    "model_sources",
    "predict",
    "screen_bnet",
    "screen_profile",
    "to_sbml_qual",
]
