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
    picture = network_svg(report, case, model=her2_model(), annotations=kb.model)
    picture.svg or picture.message                     # the drawing, or why there is none
"""

from __future__ import annotations

from her2gc.render.plots_ctdna import ctdna_trend_svg
from her2gc.render.plots_network import NetworkPicture, PatientMarks, network_svg
from her2gc.render.plots_timeline import treatment_timeline_svg

__all__ = ["NetworkPicture", "PatientMarks", "ctdna_trend_svg", "network_svg", "treatment_timeline_svg"]
