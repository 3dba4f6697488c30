"""Validation against a published, experimentally tested model: the AGS gastric
cell-line model of Flobak et al. 2015, screened through the public interface.

The 21 drug pairs' predicted synergy scores are compared with the 4 synergies
observed in the lab (cascade1_observed_synergies). DrugLogics anchors: ROC AUC
0.97 / PR AUC 0.91 (calibrated, normalised), 0.84 / 0.37 (random models).
"""

from __future__ import annotations

import json

from network_helpers import AGS, run_model_cli, shared


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Mann-Whitney estimate; ties count one half."""
    positives = [s for s, y in zip(scores, labels, strict=False) if y]
    negatives = [s for s, y in zip(scores, labels, strict=False) if not y]
    wins = sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives)
    return wins / (len(positives) * len(negatives))


def pr_auc(scores: list[float], labels: list[bool]) -> float:
    """Average precision over the ranking (tied scores form one block)."""
    total = sum(labels)
    thresholds = sorted(set(scores), reverse=True)
    area, recall_before = 0.0, 0.0
    for threshold in thresholds:
        chosen = [y for s, y in zip(scores, labels, strict=False) if s >= threshold]
        recall = sum(chosen) / total
        area += (recall - recall_before) * (sum(chosen) / len(chosen))
        recall_before = recall
    return area


def ags_pair_synergies() -> tuple[list[float], list[bool]]:
    code, out, err = run_model_cli(
        "screen",
        "--bnet",
        str(shared(AGS / "ags_flobak2015.bnet")),
        "--drug-panel",
        str(shared(AGS / "flobak2015_drugpanel")),
        "--outputs",
        str(shared(AGS / "flobak2015_modeloutputs")),
        "--format",
        "json",
    )
    assert code == 0, err
    rows = json.loads(out)["results"]
    observed = {
        frozenset(line.strip().split("~"))
        for line in shared(AGS / "cascade1_observed_synergies").read_text().split()
        if line
    }
    pairs = [row for row in rows if len(row["drugs"]) == 2]
    assert len(pairs) == 21 and len(rows) == 28
    return [row["synergy"] for row in pairs], [frozenset(row["drugs"]) in observed for row in pairs]


def test_ags_screen_reaches_the_roc_target() -> None:
    scores, labels = ags_pair_synergies()
    assert sum(labels) == 4
    assert roc_auc(scores, labels) >= 0.95
    assert pr_auc(scores, labels) >= 0.9


def test_auc_helpers() -> None:
    assert roc_auc([3, 2, 1], [True, False, False]) == 1.0
    assert roc_auc([1, 1], [True, False]) == 0.5
    assert pr_auc([3, 2, 1], [True, False, True]) == (1 / 2) * 1 + (1 / 2) * (2 / 3)
