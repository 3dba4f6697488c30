"""Drawing a logical model with a patient's altered nodes and the drugs' targets.

The drawing is Graphviz DOT text rendered by the ``dot`` program (the system
package ``graphviz``): green arrows activate, red bars inhibit; altered nodes
are orange (switched on) or grey (switched off), drug targets blue, read-outs
bold. Without ``dot`` on the PATH the drawing fails with a one-line message.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Collection, Mapping, Sequence
from pathlib import Path
from typing import Literal

from her2gc.errors import Her2gcError, InputError
from her2gc.network.bnet import LogicalModel
from her2gc.network.expr import signed_regulators

_DOT_TIMEOUT_S = 60


class GraphvizMissingError(Her2gcError):
    """The Graphviz ``dot`` program is not installed."""


def quote(text: str) -> str:
    """A DOT string literal; a newline in ``text`` becomes DOT's centred line break."""
    escaped = text.replace("\\", "\\\\").replace('"', '\\"')
    return '"' + escaped.replace("\r\n", "\n").replace("\n", "\\n") + '"'


EdgeSign = Literal["activates", "inhibits", "dual"]


def signed_edges(model: LogicalModel, nodes: Collection[str] | None = None) -> list[tuple[str, str, EdgeSign]]:
    """(regulator, target, sign) of every edge, in model order; only among ``nodes`` when given.

    A regulator read both plainly and negated in one rule is ``dual``.
    """
    edges: list[tuple[str, str, EdgeSign]] = []
    for target in model.nodes:
        if nodes is not None and target not in nodes:
            continue
        signs: dict[str, set[bool]] = {}
        for regulator, positive in signed_regulators(model.rules[target]):
            if regulator != target and (nodes is None or regulator in nodes):
                signs.setdefault(regulator, set()).add(positive)
        for regulator, kinds in signs.items():
            sign: EdgeSign = "activates" if kinds == {True} else "inhibits" if kinds == {False} else "dual"
            edges.append((regulator, target, sign))
    return edges


_EDGE_STYLE: dict[EdgeSign, str] = {
    "activates": 'color="#2e7d32", arrowhead=normal',
    "inhibits": 'color="#c62828", arrowhead=tee',
    "dual": 'color="#616161", arrowhead=dot',
}


def _edges(model: LogicalModel) -> list[str]:
    return [
        f"  {quote(regulator)} -> {quote(target)} [{_EDGE_STYLE[sign]}];"
        for regulator, target, sign in signed_edges(model)
    ]


def to_dot(
    model: LogicalModel,
    altered: Mapping[str, int],
    drug_targets: Mapping[str, Sequence[str]],
    readouts: Sequence[str] = (),
) -> str:
    """DOT text of the model; ``drug_targets`` maps a node to the drugs acting on it."""
    lines = [f"digraph {quote(model.name)} {{", "  rankdir=TB; node [shape=box, style=rounded, fontname=Helvetica];"]
    for node in model.nodes:
        attributes = []
        label = node
        if node in drug_targets:
            label += "\n[" + ", ".join(drug_targets[node]) + "]"
            attributes.append('style="rounded,filled", fillcolor="#90caf9"')
        elif node in altered:
            colour = "#ffb74d" if altered[node] else "#bdbdbd"
            attributes.append(f'style="rounded,filled", fillcolor="{colour}"')
        if node in altered:
            label += f"\n(altered: {'on' if altered[node] else 'off'})"
        if node in readouts:
            attributes.append("penwidth=3, shape=ellipse")
        attributes.append(f"label={quote(label)}")
        lines.append(f"  {quote(node)} [{', '.join(attributes)}];")
    lines.extend(_edges(model))
    lines.append("}")
    return "\n".join(lines) + "\n"


GRAPHVIZ_MISSING = (
    "Graphviz 'dot' was not found on the PATH; install Graphviz (e.g. apt-get install graphviz) to draw the model"
)


def dot_svg(dot_text: str, label: str = "model drawing") -> str:
    """Lay out DOT text with Graphviz ``dot`` and return the SVG text.

    ``label`` names what is drawn in an error message (a file, "the patient's network").
    """
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissingError(GRAPHVIZ_MISSING)
    try:
        completed = subprocess.run(
            [dot, "-Tsvg"], input=dot_text.encode(), capture_output=True, timeout=_DOT_TIMEOUT_S, check=False
        )
    except subprocess.TimeoutExpired as error:
        raise Her2gcError(f"Graphviz 'dot' did not finish within {_DOT_TIMEOUT_S} s") from error
    if completed.returncode != 0:
        message = " ".join(completed.stderr.decode(errors="replace").split())[:200]
        raise InputError(f"{label}: Graphviz failed: {message}")
    return completed.stdout.decode("utf-8")


def render_svg(dot_text: str, out_path: Path) -> None:
    """Run Graphviz ``dot`` to write an SVG file."""
    svg = dot_svg(dot_text, str(out_path))
    try:
        out_path.write_text(svg, encoding="utf-8")
    except OSError as error:
        raise InputError(f"{out_path}: cannot write the drawing ({error.strerror})") from error


def draw(
    model: LogicalModel,
    altered: Mapping[str, int],
    targets: Mapping[str, Sequence[str]],
    out_path: str | Path,
    readouts: Sequence[str] = (),
) -> Path:
    """Draw ``model`` as SVG with altered nodes (node -> value) and drug targets
    (node -> drugs) marked, and the read-out nodes outlined."""
    for node in [*altered, *targets]:
        if node not in model.rules:
            raise InputError(f"{model.name}: node {node} is not in this model; draw it without alterations and drugs")
    path = Path(out_path)
    render_svg(
        to_dot(
            model,
            dict(altered),
            {k: list(v) for k, v in targets.items()},
            tuple(r for r in readouts if r in model.rules),
        ),
        path,
    )
    return path
