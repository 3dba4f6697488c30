"""The report's pictures as inline SVG: the ctDNA trend, the treatment timeline and the
network picture of the patient.

Each is a self-contained ``<svg>`` element (no script, no external reference, its own
id prefix) with a ``<title>`` and a ``<desc>`` that states the data in words, so that
an HTML report holding it stays one file, prints, and reads aloud. The same inputs give
the same bytes. matplotlib draws the two time plots and Graphviz lays out the network;
both are imported or started only when a picture is asked for.

Usage (the edges load the knowledge base and the model, and pass them in)::

    from her2gc.render.plots import ctdna_trend_svg, network_svg, treatment_timeline_svg

    trend = ctdna_trend_svg(case, report)              # str, or None without plasma data
    timeline = treatment_timeline_svg(case, report)    # str, or None when nothing is dated
    picture = network_svg(report, case, model=load_bnet(kb.model_bnet), annotations=kb.model)  # load_bnet: her2gc.network.bnet
    picture.svg or picture.message                     # the drawing, or why there is none
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from her2gc.case import Case
from her2gc.render.plots_ctdna import ctdna_trend_svg
from her2gc.render.plots_timeline import treatment_timeline_svg
from her2gc.report import Report

if TYPE_CHECKING:
    from her2gc.kb.schema_model import ModelAnnotations
    from her2gc.network.bnet import LogicalModel
    from her2gc.render.plots_network import NetworkPicture, Scope

__all__ = ["ctdna_trend_svg", "network_svg", "treatment_timeline_svg"]


def network_svg(
    report: Report, case: Case, *, model: LogicalModel, annotations: ModelAnnotations, scope: Scope = "patient"
) -> NetworkPicture:
    """The network picture of the patient (see :func:`her2gc.render.plots_network.network_svg`).

    Imported on first use: the network library is not needed for the time plots.
    """
    from her2gc.render.plots_network import network_svg as draw_network

    return draw_network(report, case, model=model, annotations=annotations, scope=scope)
