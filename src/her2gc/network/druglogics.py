"""Drug panels and model outputs in the DrugLogics file formats.

Drug panel (``drugpanel``): a ``#Name Effect Target`` header, then one row per
drug: its name, ``inhibits`` or ``activates``, and comma-separated target nodes.
Model outputs (``modeloutputs``): ``node weight`` rows (positive weights for
pro-growth nodes, negative for anti-growth ones). Columns are separated by tabs
or spaces; ``#`` starts a comment. (Flobak 2015; druglogics-synergy, MIT.)
"""

from __future__ import annotations

import concurrent.futures
from pathlib import Path

from her2gc.errors import InputError
from her2gc.network.bnet import LogicalModel, load_bnet, read_text
from her2gc.network.engine import SolverCache
from her2gc.network.results import ScreenResult
from her2gc.network.screen import ScreenLimits, ScreenSetup, run_screen

_EFFECTS = {"inhibits": 0, "activates": 1}


def _rows(path: Path) -> list[tuple[int, list[str]]]:
    rows = []
    for number, raw in enumerate(read_text(path).splitlines(), start=1):
        line = raw.split("#", 1)[0].strip()
        if line:
            rows.append((number, line.split()))
    if not rows:
        raise InputError(f"{path}: the file has no data rows")
    return rows


def _check_node(model: LogicalModel, path: Path, number: int, node: str) -> None:
    if node not in model.rules:
        raise InputError(f"{path}: line {number}: node {node!r} is not in the model {model.name}")


def read_drug_panel(path: Path, model: LogicalModel) -> dict[str, dict[str, int]]:
    """Drug name -> {target node: forced value}, validated against the model."""
    panel: dict[str, dict[str, int]] = {}
    for number, fields in _rows(path):
        if len(fields) < 3:
            raise InputError(f"{path}: line {number}: expected 'name effect targets', got {' '.join(fields)!r}")
        name, effect, targets = fields[0], fields[1].lower(), "".join(fields[2:])
        if effect not in _EFFECTS:
            raise InputError(f"{path}: line {number}: effect {fields[1]!r} is not 'inhibits' or 'activates'")
        if name in panel:
            raise InputError(f"{path}: line {number}: drug {name} is listed twice")
        nodes = [node for node in targets.split(",") if node]
        for node in nodes:
            _check_node(model, path, number, node)
        panel[name] = dict.fromkeys(nodes, _EFFECTS[effect])
    return panel


def read_model_outputs(path: Path, model: LogicalModel) -> dict[str, float]:
    """Output node -> weight, validated against the model."""
    weights: dict[str, float] = {}
    for number, fields in _rows(path):
        if len(fields) != 2:
            raise InputError(f"{path}: line {number}: expected 'node weight', got {' '.join(fields)!r}")
        node, text = fields
        try:
            weight = float(text)
        except ValueError as error:
            raise InputError(f"{path}: line {number}: weight {text!r} is not a number") from error
        _check_node(model, path, number, node)
        weights[node] = weight
    if not any(weight != 0 for weight in weights.values()):
        raise InputError(f"{path}: every output weight is zero")
    return weights


def screen_bnet(
    bnet_path: str | Path,
    drug_panel_path: str | Path,
    outputs_path: str | Path,
    limits: ScreenLimits,
    max_drugs: int = 2,
    free_inputs: bool = False,
    synergy_margin: float = 0.0,
    cache: SolverCache | None = None,
    executor: concurrent.futures.Executor | None = None,
    workers: int = 2,
) -> list[ScreenResult]:
    """Screen any ``.bnet`` model with a DrugLogics drug panel and model outputs.

    Inputs the model leaves free are explored at every value. Drug names are the
    panel's own; ``limits`` are the screen limits to apply (the command line passes
    those of the packaged model's ``model.yaml``). ``executor`` (the caller's, with
    ``workers`` processes) solves the open subspaces in parallel first.
    """
    model = load_bnet(Path(bnet_path), free_inputs=free_inputs)
    weights = read_model_outputs(Path(outputs_path), model)
    setup = ScreenSetup(
        model=model,
        panel=read_drug_panel(Path(drug_panel_path), model),
        weights=weights,
        synergy_weights=weights,
        proliferation=None,
        synergy_margin=synergy_margin,
        max_drugs=limits.max_drugs,
        max_conditions=limits.max_conditions,
        time_limit_s=limits.time_limit_s,
    )
    return run_screen(setup, {}, max_drugs, cache, executor, workers)
