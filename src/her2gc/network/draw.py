"""Drawing a logical model with a patient's altered nodes and the drugs' targets.

The drawing is Graphviz DOT text rendered by the ``dot`` program (the system
package ``graphviz``): green arrows activate, red bars inhibit; altered nodes
are orange (switched on) or grey (switched off), drug targets blue, read-outs
bold. Without ``dot`` on the PATH the drawing fails with a one-line message.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from her2gc.errors import Her2gcError, InputError
from her2gc.network.bnet import LogicalModel
from her2gc.network.expr import signed_regulators

_DOT_TIMEOUT_S = 60


class GraphvizMissingError(Her2gcError):
    """The Graphviz ``dot`` program is not installed."""


def _quote(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _edges(model: LogicalModel) -> list[str]:
    lines = []
    for target in model.nodes:
        signs: dict[str, set[bool]] = {}
        for regulator, positive in signed_regulators(model.rules[target]):
            if regulator != target:
                signs.setdefault(regulator, set()).add(positive)
        for regulator, kinds in signs.items():
            if kinds == {True}:
                style = 'color="#2e7d32", arrowhead=normal'
            elif kinds == {False}:
                style = 'color="#c62828", arrowhead=tee'
            else:
                style = 'color="#616161", arrowhead=dot'
            lines.append(f"  {_quote(regulator)} -> {_quote(target)} [{style}];")
    return lines


def to_dot(
    model: LogicalModel,
    altered: Mapping[str, int],
    drug_targets: Mapping[str, Sequence[str]],
    readouts: Sequence[str] = (),
) -> str:
    """DOT text of the model; ``drug_targets`` maps a node to the drugs acting on it."""
    lines = [f"digraph {_quote(model.name)} {{", "  rankdir=TB; node [shape=box, style=rounded, fontname=Helvetica];"]
    for node in model.nodes:
        attributes = []
        label = node
        if node in drug_targets:
            label += "\\n[" + ", ".join(drug_targets[node]) + "]"
            attributes.append('style="rounded,filled", fillcolor="#90caf9"')
        elif node in altered:
            colour = "#ffb74d" if altered[node] else "#bdbdbd"
            attributes.append(f'style="rounded,filled", fillcolor="{colour}"')
        if node in altered:
            label += f"\\n(altered: {'on' if altered[node] else 'off'})"
        if node in readouts:
            attributes.append("penwidth=3, shape=ellipse")
        attributes.append(f"label={_quote(label)}")
        lines.append(f"  {_quote(node)} [{', '.join(attributes)}];")
    lines.extend(_edges(model))
    lines.append("}")
    return "\n".join(lines) + "\n"


def render_svg(dot_text: str, out_path: Path) -> None:
    """Run Graphviz ``dot`` to write an SVG file."""
    dot = shutil.which("dot")
    if dot is None:
        raise GraphvizMissingError(
            "Graphviz 'dot' was not found on the PATH; install Graphviz (e.g. apt-get install graphviz) to draw the model"
        )
    try:
        completed = subprocess.run(
            [dot, "-Tsvg", "-o", str(out_path)],
            input=dot_text.encode(),
            capture_output=True,
            timeout=_DOT_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise Her2gcError(f"Graphviz 'dot' did not finish within {_DOT_TIMEOUT_S} s") from error
    if completed.returncode != 0:
        message = " ".join(completed.stderr.decode(errors="replace").split())[:200]
        raise InputError(f"{out_path}: Graphviz failed: {message}")


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
