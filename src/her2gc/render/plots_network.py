"""The network picture of the patient: the logical model's nodes with the patient's
alterations and the offered options' drug targets marked, and a legend naming them.

The marks come from the model's annotations (``model.yaml``): an alteration switches
the nodes its mapping names on or off (a loss dominates a gain of the same node, as in
the model's own predictions), a drug of the panel perturbs the nodes its entry names.
The layout is Graphviz ``dot``; without it there is no picture and the reason says so.
The picture is a model hypothesis (the lowest evidence tier), and says so.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Literal

from her2gc.case import Case
from her2gc.errors import Her2gcError, InputError
from her2gc.kb.schema_model import ModelAnnotations, Perturbation

# The HER2 status as a model alteration: the same mapping the report's model section uses.
from her2gc.model import her2_profile
from her2gc.network.bnet import LogicalModel
from her2gc.network.draw import EdgeSign, dot_svg, quote, signed_edges
from her2gc.render.plots_network_legend import LegendEntry, legend_group
from her2gc.render.plots_svg import OKABE_ITO, SVG_NS, finish_svg
from her2gc.report import Report

Scope = Literal["patient", "model"]

ALTERED_ON = OKABE_ITO["orange"]
ALTERED_OFF = OKABE_ITO["reddish_purple"]
DRUG_TARGET = OKABE_ITO["sky_blue"]
EDGE_COLOURS: dict[EdgeSign, str] = {
    "activates": OKABE_ITO["bluish_green"],
    "inhibits": OKABE_ITO["vermillion"],
    "dual": "#666666",
}
_ARROWHEADS: dict[EdgeSign, str] = {"activates": "normal", "inhibits": "tee", "dual": "dot"}
_FONT = "Helvetica,Arial,sans-serif"
_NODE_SIZE = 'margin="0.08,0.03", height=0.32'


@dataclass(frozen=True)
class PatientMarks:
    """What the picture marks: altered nodes, drug-target nodes, and what could not be placed."""

    altered: dict[str, int]  # node -> value it is held at (1 on, 0 off)
    alteration_labels: dict[str, tuple[str, ...]]  # node -> the patient's alterations that set it
    targets: dict[str, tuple[str, ...]]  # node -> offered drugs acting on it, in rank order
    drug_options: dict[str, tuple[int, ...]]  # drug -> ranks of the options that hold it
    not_in_model: tuple[str, ...] = ()  # alterations the model does not represent
    outside_panel: tuple[str, ...] = ()  # offered drugs the model's panel lacks


@dataclass(frozen=True)
class NetworkPicture:
    """The drawing (``svg``), or None with ``message`` saying why; and what it marks."""

    svg: str | None
    marks: PatientMarks
    shown_nodes: tuple[str, ...] = ()
    total_nodes: int = 0
    message: str | None = None
    readouts: tuple[str, ...] = field(default_factory=tuple)


def _alteration_label(gene: str, kind: str, text: str) -> str:
    return text if text else f"{gene} {kind}"


def patient_marks(report: Report, case: Case, annotations: ModelAnnotations) -> PatientMarks:
    """The nodes to mark for this patient, from the model's alteration and drug tables."""
    table: dict[tuple[str, str], tuple[Perturbation, ...]] = {
        (entry.gene, kind): entry.perturbations for entry in annotations.alterations for kind in entry.kinds
    }
    profile: list[tuple[str, str, str]] = [
        (a.gene, a.kind, a.label() + (" (plasma)" if a.source == "plasma" else "")) for a in case.alterations
    ]
    profile += [(gene, kind, f"{gene} {kind} (HER2 status)") for gene, kind in her2_profile(report.her2)]
    altered: dict[str, int] = {}
    labels: dict[str, list[str]] = {}
    not_in_model: list[str] = []
    for gene, kind, label in profile:
        if (gene, kind) not in table:
            not_in_model.append(_alteration_label(gene, kind, label))
            continue
        for perturbation in table[(gene, kind)]:
            # a loss (of HER2's binding domain, of a suppressor) dominates a gain of the same node
            altered[perturbation.node] = min(perturbation.value, altered.get(perturbation.node, perturbation.value))
            if label not in labels.setdefault(perturbation.node, []):
                labels[perturbation.node].append(label)
    panel = {entry.drug: entry.perturbations for entry in annotations.drugs}
    targets: dict[str, list[str]] = {}
    options: dict[str, list[int]] = {}
    outside: list[str] = []
    for option in report.recommendations:
        for drug in option.drugs:
            if drug not in panel:
                if drug not in outside:
                    outside.append(drug)
                continue
            options.setdefault(drug, []).append(option.rank)
            for perturbation in panel[drug]:
                if drug not in targets.setdefault(perturbation.node, []):
                    targets[perturbation.node].append(drug)
    return PatientMarks(
        altered=altered,
        alteration_labels={node: tuple(items) for node, items in labels.items()},
        targets={node: tuple(drugs) for node, drugs in targets.items()},
        drug_options={drug: tuple(ranks) for drug, ranks in options.items()},
        not_in_model=tuple(dict.fromkeys(not_in_model)),
        outside_panel=tuple(outside),
    )


def _reach(start: Sequence[str], neighbours: Mapping[str, Sequence[str]]) -> set[str]:
    """Every node reachable from ``start`` (inclusive) along ``neighbours``."""
    seen = set(start)
    stack = list(start)
    while stack:
        for nxt in neighbours.get(stack.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                stack.append(nxt)
    return seen


def patient_nodes(model: LogicalModel, marked: Sequence[str], readouts: Sequence[str]) -> tuple[str, ...]:
    """The marked nodes and every node on a path from one of them to a read-out, in model order.

    This is the part of the network through which the patient's alterations and the
    drugs can act on a phenotype; the rest of the model is left out of the picture.
    """
    successors: dict[str, list[str]] = {}
    for target in model.nodes:
        for regulator in model.regulators(target):
            if regulator != target:
                successors.setdefault(regulator, []).append(target)
    predecessors = {node: [r for r in model.regulators(node) if r != node] for node in model.nodes}
    downstream = _reach(list(marked), successors)
    upstream = _reach([r for r in readouts if r in model.rules], predecessors)
    keep = set(marked) | (downstream & upstream)
    return tuple(node for node in model.nodes if node in keep)


def _node_label(node: str, marks: PatientMarks) -> str:
    lines = [node]
    lines += list(marks.alteration_labels.get(node, ()))
    drugs = list(marks.targets.get(node, ()))
    lines += drugs[:3] + ([f"+{len(drugs) - 3} more"] if len(drugs) > 3 else [])
    return "\n".join(lines)


def _node_line(node: str, marks: PatientMarks, readouts: Sequence[str]) -> str:
    classes = []
    attributes = []
    altered, targeted = node in marks.altered, node in marks.targets
    fill = ALTERED_ON if altered and marks.altered[node] else ALTERED_OFF
    if altered:
        classes += ["altered", "altered-on" if marks.altered[node] else "altered-off"]
    if targeted:
        classes.append("drug-target")
    if altered and targeted:
        attributes += [
            'shape=box, style="filled,striped,bold"',
            f'fillcolor="{fill};0.5:{DRUG_TARGET}"',
            'color="#000000"',
        ]
    elif altered:
        attributes += ['style="rounded,filled,bold"', f'fillcolor="{fill}"', 'color="#000000"']
    elif targeted:
        attributes += ['style="rounded,filled"', f'fillcolor="{DRUG_TARGET}"', "peripheries=2", 'color="#000000"']
    if node in readouts:
        classes.append("readout")
        attributes += ["shape=ellipse", "penwidth=2.5", 'color="#000000"', 'fontcolor="#000000"']
    if altered or targeted:
        attributes.append('fontcolor="#000000"')
    attributes.append(f"label={quote(_node_label(node, marks))}")
    if classes:
        attributes.append(f"class={quote(' '.join(classes))}")
    return f"  {quote(node)} [{', '.join(attributes)}];"


def patient_dot(model: LogicalModel, nodes: Sequence[str], marks: PatientMarks, readouts: Sequence[str]) -> str:
    """DOT text of the picture: the chosen nodes, their edges, the marks."""
    lines = [
        'digraph "patient_network" {',
        f'  graph [rankdir=TB, nodesep=0.22, ranksep=0.38, pad=0.15, bgcolor="white", fontname="{_FONT}"];',
        f'  node [shape=box, style=rounded, fontname="{_FONT}", fontsize=14, color="#888888", fontcolor="#333333", {_NODE_SIZE}];',
        "  edge [arrowsize=0.8, penwidth=1.3];",
    ]
    lines += [_node_line(node, marks, readouts) for node in nodes]
    for regulator, target, sign in signed_edges(model, set(nodes)):
        lines.append(
            f'  {quote(regulator)} -> {quote(target)} [color="{EDGE_COLOURS[sign]}", arrowhead={_ARROWHEADS[sign]}, class="{sign}"];'
        )
    lines.append("}")
    return "\n".join(lines) + "\n"


def _options(ranks: Sequence[int]) -> str:
    return ("option " if len(ranks) == 1 else "options ") + ", ".join(str(rank) for rank in ranks)


def _legend_entries(marks: PatientMarks, readouts: Sequence[str], shown: Sequence[str]) -> list[LegendEntry]:
    def alteration_items(value: int) -> str:
        return "; ".join(
            f"{node} ({', '.join(marks.alteration_labels[node])})"
            for node, v in marks.altered.items()
            if v == value and node in shown
        )

    entries = []
    if on := alteration_items(1):
        entries.append(LegendEntry("altered-on", "Altered in this patient, switched on", on))
    if off := alteration_items(0):
        entries.append(LegendEntry("altered-off", "Altered in this patient, switched off", off))
    by_drug = [
        f"{drug} ({_options(ranks)}): {', '.join(n for n, ds in marks.targets.items() if drug in ds)}"
        for drug, ranks in marks.drug_options.items()
    ]
    if by_drug:
        entries.append(LegendEntry("drug-target", "Acted on by a drug of an offered option", "; ".join(by_drug)))
    if any(node in marks.targets for node in marks.altered):
        both = ", ".join(node for node in marks.altered if node in marks.targets)
        entries.append(LegendEntry("altered-and-target", "Altered and acted on", both))
    shown_readouts = [r for r in readouts if r in shown]
    if shown_readouts:
        entries.append(LegendEntry("readout", "Read-out (phenotype)", ", ".join(shown_readouts)))
    entries.append(LegendEntry("edges", "Edges", ""))
    return entries


def _compose(graph_svg: str, entries: Sequence[LegendEntry], notes: Sequence[str]) -> str:
    """The Graphviz drawing with the legend drawn under it, as one ``<svg>``."""
    ET.register_namespace("", SVG_NS)
    graph = ET.fromstring(graph_svg.encode("utf-8"))
    _, _, width, height = (float(v) for v in graph.attrib["viewBox"].split())
    legend, legend_height = legend_group(
        entries,
        notes,
        width,
        {str(sign): colour for sign, colour in EDGE_COLOURS.items()},
        {"on": ALTERED_ON, "off": ALTERED_OFF, "drug": DRUG_TARGET},
    )
    legend.set("transform", f"translate(0 {height:.2f})")
    total = height + legend_height
    root = ET.Element(
        f"{{{SVG_NS}}}svg",
        {"width": f"{width:.0f}pt", "height": f"{total:.0f}pt", "viewBox": f"0 0 {width:.2f} {total:.2f}"},
    )
    root.append(ET.Element(f"{{{SVG_NS}}}rect", {"width": "100%", "height": "100%", "fill": "white"}))
    for child in graph:
        if child.tag != f"{{{SVG_NS}}}title":
            root.append(child)
    root.append(legend)
    return ET.tostring(root, encoding="unicode")


def _description(marks: PatientMarks, shown: Sequence[str], total: int) -> str:
    parts = [f"Logical model of HER2 signalling, {len(shown)} of {total} nodes shown."]
    for node, value in marks.altered.items():
        parts.append(f"{node} switched {'on' if value else 'off'} by {', '.join(marks.alteration_labels[node])}.")
    for drug, ranks in marks.drug_options.items():
        nodes = ", ".join(n for n, ds in marks.targets.items() if drug in ds)
        parts.append(f"{drug} ({_options(ranks)}) acts on {nodes}.")
    if marks.outside_panel:
        parts.append(f"Not in the model's drug panel: {', '.join(marks.outside_panel)}.")
    if marks.not_in_model:
        parts.append(f"Alterations the model does not represent: {', '.join(marks.not_in_model)}.")
    parts.append("A model hypothesis, the lowest evidence tier.")
    return " ".join(parts)


def network_svg(
    report: Report, case: Case, *, model: LogicalModel, annotations: ModelAnnotations, scope: Scope = "patient"
) -> NetworkPicture:
    """The network picture of the patient, with the reason when it cannot be drawn.

    ``model`` and ``annotations`` are the logical model and its ``model.yaml`` (the
    caller loads them; the knowledge base's ``model`` is the annotations). ``scope``
    ``patient`` draws the marked nodes and the paths from them to the read-outs;
    ``model`` draws every node. With nothing to mark the whole model is drawn.
    """
    marks = patient_marks(report, case, annotations)
    for node in [*marks.altered, *marks.targets]:
        if node not in model.rules:
            raise InputError(f"model.yaml: node {node} is not in the model {model.name.rsplit('/', 1)[-1]}")
    readouts = tuple(annotations.readouts.weights)
    marked = list(dict.fromkeys([*marks.altered, *marks.targets]))
    nodes = patient_nodes(model, marked, readouts) if scope == "patient" and marked else model.nodes
    try:
        graph = dot_svg(patient_dot(model, nodes, marks, readouts), "the patient's network")
    except Her2gcError as error:
        return NetworkPicture(None, marks, nodes, len(model.nodes), message=error.one_line(), readouts=readouts)
    notes = []
    if marks.outside_panel:
        notes.append(f"Offered drugs outside the model's drug panel (not drawn): {', '.join(marks.outside_panel)}.")
    if marks.not_in_model:
        notes.append(f"Alterations the model does not represent: {', '.join(marks.not_in_model)}.")
    if len(nodes) < len(model.nodes):
        notes.append(
            f"Showing {len(nodes)} of {len(model.nodes)} model nodes: the marked ones and those on a path from them to a read-out."
        )
    notes.append("Mechanistic model: a hypothesis, the lowest evidence tier; it never outranks clinical evidence.")
    svg = finish_svg(
        _compose(graph, _legend_entries(marks, readouts, nodes), [textwrap.shorten(n, 400) for n in notes]),
        prefix="her2gc-network",
        title=f"Network picture of patient {report.patient_id}",
        description=_description(marks, nodes, len(model.nodes)),
        classes="her2gc-network",
    )
    return NetworkPicture(svg, marks, nodes, len(model.nodes), readouts=readouts)
