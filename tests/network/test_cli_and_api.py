"""``her2gc model`` commands and the public API: outputs, caching, limits, bad input."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from her2gc.errors import ComputationLimitError
from network_helpers import AGS, run_model_cli, shared
from support import her2_model

REQUIRED_PANEL = [
    "trastuzumab",
    "pertuzumab",
    "trastuzumab deruxtecan",
    "trastuzumab emtansine",
    "disitamab vedotin",
    "zanidatamab",
    "lapatinib",
    "pyrotinib",
    "afatinib",
    "tucatinib",
    "crizotinib",
    "savolitinib",
    "erdafitinib",
    "bemarituzumab",
    "alpelisib",
    "capivasertib",
    "everolimus",
    "trametinib",
    "dasatinib",
    "apatinib",
    "palbociclib",
    "adavosertib",
    "olaparib",
    "verteporfin",
    "linsitinib",
    "pembrolizumab",
    "ramucirumab",
]


def test_panel_and_annotations_cover_the_model() -> None:
    notes = her2_model().annotations
    assert set(REQUIRED_PANEL) <= {drug.drug for drug in notes.drugs}
    assert {node.id for node in notes.nodes} == set(her2_model().model.nodes)
    assert all(node.sources for node in notes.nodes)


def test_predict_json() -> None:
    code, out, _ = run_model_cli(
        "predict", "--alteration", "MET:amp", "--drug", "lapatinib", "--drug", "crizotinib", "--format", "json"
    )
    data = json.loads(out)
    assert code == 0 and data["response"] == "sensitive" and data["proliferation_off_fraction"] == 1.0
    assert data["label"] == "model hypothesis"


@pytest.mark.parametrize(
    ("args", "fragment"),
    [
        (("predict", "-a", "NOTAGENE:amp"), "gene NOTAGENE is not in the mechanistic model"),
        (("predict", "-a", "MET:loss"), "kind 'loss' is not mapped for MET"),
        (("predict", "-a", "METamp"), "is not GENE:KIND"),
        (("predict", "-d", "aspirin"), "not in the mechanistic drug panel"),
        (("predict", "--format", "xml"), "--format"),
        (("screen",), "give a CASE file"),
    ],
)
def test_bad_input_is_one_line_exit_2(args: tuple[str, ...], fragment: str) -> None:
    code, _, err = run_model_cli(*args)
    assert code == 2 and fragment in err and err.count("\n") == 1


def test_screen_too_large_is_refused() -> None:
    code, _, err = run_model_cli("screen", "--bnet", "x.bnet", "--drug-panel", "y")
    assert code == 2 and "--bnet needs --drug-panel and --outputs" in err
    with pytest.raises(ComputationLimitError, match="exceeds the screen limit"):
        her2_model().screen_profile([], max_drugs=4)


def test_screen_profile_contract_and_cache() -> None:
    results = her2_model().screen_profile([("PIK3CA", "mut")])
    assert results == her2_model().screen_profile([("PIK3CA", "mut")])
    assert results[0].score >= results[-1].score
    singles = [r for r in results if len(r.drugs) == 1]
    assert all(r.synergy is None for r in singles)
    assert len(results) == len(REQUIRED_PANEL) + len(REQUIRED_PANEL) * (len(REQUIRED_PANEL) - 1) // 2
    pair = next(r for r in results if set(r.drugs) == {"trastuzumab", "alpelisib"})
    assert pair.response == "sensitive" and pair.synergistic
    assert "synergy" not in singles[0].as_contract()


def test_bnet_screen_reads_gzip_and_names_bad_rows(tmp_path: Path) -> None:
    bnet = tmp_path / "ags.bnet.gz"
    bnet.write_bytes(gzip.compress(shared(AGS / "ags_flobak2015.bnet").read_bytes()))
    panel = tmp_path / "panel"
    panel.write_text("#Name\tEffect\tTarget\nPI\tinhibits\tv_PI3K\nXX\tblocks\tv_MEK\n")
    code, _, err = run_model_cli(
        "screen", "--bnet", str(bnet), "--drug-panel", str(panel), "--outputs", str(AGS / "flobak2015_modeloutputs")
    )
    assert code == 2 and f"{panel}: line 3" in err
    panel.write_text("PI\tinhibits\tv_NOPE\n")
    code, _, err = run_model_cli(
        "screen", "--bnet", str(bnet), "--drug-panel", str(panel), "--outputs", str(AGS / "flobak2015_modeloutputs")
    )
    assert code == 2 and "node 'v_NOPE' is not in the model" in err


def test_draw_svg(tmp_path: Path) -> None:
    if shutil.which("dot") is None:
        code, _, err = run_model_cli("draw", "-a", "MET:amp", "-o", str(tmp_path / "m.svg"))
        assert code == 2 and "Graphviz" in err
        return
    out = tmp_path / "m.svg"
    code, _, err = run_model_cli("draw", "-a", "MET:amp", "-d", "crizotinib", "-o", str(out))
    assert code == 0, err
    text = out.read_text()
    assert "<svg" in text and "crizotinib" in text


def test_sbml_export_round_trips_through_aeon(tmp_path: Path) -> None:
    pytest.importorskip("libsbml", reason="python-libsbml (optional extra) is not installed")
    import biodivine_aeon as aeon

    from her2gc.network.engine import trap_space_attractors

    out = tmp_path / "her2.sbml"
    code, _, err = run_model_cli("export-sbml", "-o", str(out))
    assert code == 0, err
    network = aeon.BooleanNetwork.from_file(str(out))
    assert set(network.variable_names()) == set(her2_model().model.nodes)
    from her2gc.network import load_bnet

    reloaded = load_bnet(network.to_bnet())
    fixed = {**her2_model().annotations.initial_state, "mAb_HER2_dIV": 1}
    assert trap_space_attractors(reloaded, fixed) == trap_space_attractors(her2_model().model, fixed)


def test_screen_of_a_case_file(tmp_path: Path) -> None:
    case = tmp_path / "case.yaml"
    case.write_text(
        "schema: her2gc.case/1\npatient_id: P-1\nregion: CN\n"
        "tumour: {site: stomach, histology: adenocarcinoma, lauren: intestinal, metastatic: true}\n"
        "her2_tests: [{specimen: biopsy, setting: diagnosis, ihc: {score: 3+}}]\n"
        "alterations:\n  - {gene: MET, kind: amp, copy_number: 12}\n  - {gene: ARID1A, kind: mut}\n"
    )
    code, out, err = run_model_cli("screen", str(case), "--format", "json", "--top", "5")
    assert code == 0, err
    data = json.loads(out)
    # IHC 3+ without ISH: the tumour over-expresses ERBB2, which the screen includes.
    assert data["alterations"] == ["ERBB2:over", "MET:amp"] and data["not_in_model"] == ["ARID1A:mut"]
    assert len(data["results"]) == 5 and data["results"][0]["response"] == "sensitive"
