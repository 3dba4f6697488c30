"""What a command does at start-up to be quick, and what it must not change."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from her2gc._gc import long_lived
from her2gc.cli import main
from her2gc.errors import UnknownEntityError
from her2gc.model.alterations import AlterationMap
from support import her2_model, kb

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "her2_positive_second_line.yaml"


def test_the_alteration_map_sets_the_nodes_the_annotated_model_sets() -> None:
    model = her2_model()
    assert kb().model is not None
    alterations = AlterationMap(kb().model, gene_name=kb().vocabulary.gene)
    for gene, kind in model.alterations:
        assert alterations.maps(gene, kind)
        assert alterations.perturbations([(gene, kind)]) == model.alteration_perturbations([(gene, kind)])
    assert alterations.normalise("p95HER2", "mut") == ("ERBB2", "p95")
    with pytest.raises(UnknownEntityError, match="gene NOTAGENE is not in the mechanistic model"):
        alterations.perturbations([("NOTAGENE", "amp")])


def test_a_stored_model_screen_is_read_without_the_network_engine(tmp_path: Path) -> None:
    """The second process finds the screen on disk: it gives the same report and never
    imports the logical-model engine or its solvers."""
    script = (
        "import json, sys\n"
        "from her2gc.cli import main\n"
        "code = main(['evaluate', '--format', 'json', sys.argv[1]])\n"
        "loaded = [m for m in ('her2gc.network.engine', 'her2gc.network.trapspaces', 'clingo') if m in sys.modules]\n"
        "sys.stderr.write(json.dumps(loaded))\n"
        "sys.exit(code)\n"
    )
    env = {**os.environ, "HER2GC_CACHE_DIR": str(tmp_path)}
    runs = [
        subprocess.run(
            [sys.executable, "-c", script, str(EXAMPLE)], check=False, capture_output=True, text=True, env=env
        )
        for _ in range(2)
    ]
    assert [run.returncode for run in runs] == [0, 0], runs[0].stderr
    assert runs[1].stdout == runs[0].stdout
    assert json.loads(runs[0].stderr) != []  # the first one computed the screen
    assert json.loads(runs[1].stderr) == []


def test_long_lived_objects_are_frozen_and_the_collector_restored() -> None:
    was_enabled = gc.isenabled()
    before = gc.get_freeze_count()
    try:
        with long_lived():
            assert not gc.isenabled()
            kept = [{"entry": index} for index in range(1000)]
        assert gc.isenabled() == was_enabled
        assert gc.get_freeze_count() >= before + len(kept)
    finally:
        gc.unfreeze()  # this test process is not a short-lived command


def test_a_command_called_from_code_leaves_the_collector_alone(capsys) -> None:
    before = (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count())
    assert main(["evaluate", "--no-model", str(EXAMPLE)]) == 0
    assert "HER2 POSITIVE" in capsys.readouterr().out
    assert (gc.isenabled(), gc.get_threshold(), gc.get_freeze_count()) == before
