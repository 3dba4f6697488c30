"""HER2 calls on the MSK oesophagogastric cohorts against the studies' own calls.

Every sample with an IHC or FISH result is classified; agreement is printed; each
disagreement must fall in a category explained here, never hidden.
"""

from __future__ import annotations

import csv
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from her2gc.case import Her2Test
from her2gc.her2 import assess_her2
from her2gc.readers.case_file import case_from_data

# Why our call may differ from the study's, by the rules in her2_rules.yaml.
EXPLAINED = {
    "equivocal_without_ish": "IHC 2+ with no FISH: the CAP/ASCP/ASCO rule calls it equivocal (ISH required); the study recorded NEG",
    "ish_positive_ihc_low_or_absent": "FISH ratio >= 2.0 with IHC 0/1+ or no IHC: the seed definition (IHC 3+ or FISH positive) calls it positive; the study, testing IHC first, recorded NEG",
}


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as handle:
        lines = [line for line in handle if not line.startswith("#")]
    return list(csv.DictReader(lines, delimiter="\t"))


def _test_from(ihc_text: str, fish_text: str) -> dict[str, Any] | None:
    ihc = ihc_text.replace("IHC", "").replace("0+", "0").strip()
    test: dict[str, Any] = {"specimen": "biopsy", "setting": "diagnosis"}
    if ihc in ("0", "1+", "2+", "3+"):
        test["ihc"] = {"score": ihc}
    try:
        ratio = float(fish_text)
    except ValueError:
        ratio = None
    if ratio is not None and ratio > 0:
        test["ish"] = {"ratio": ratio}
    elif fish_text.strip().lower() in ("positive", "negative"):
        test["ish"] = {"reported_result": "amplified" if fish_text.strip().lower() == "positive" else "not_amplified"}
    return test if ("ihc" in test or "ish" in test) else None


def _classify(test: dict[str, Any], kb: Any) -> tuple[str, str]:
    case = case_from_data({"patient_id": "x", "tumour": {"site": "stomach"}, "her2_tests": [test]})
    status = assess_her2(case, kb.her2_rules, kb.ranking)
    return status.binary, status.csco_tier


def _explain(test: dict[str, Any], ours: str, theirs: str) -> str | None:
    score = test.get("ihc", {}).get("score")
    if ours == "equivocal" and score == "2+" and "ish" not in test:
        return "equivocal_without_ish"
    if ours == "positive" and theirs == "negative" and score in (None, "0", "1+"):
        return "ish_positive_ihc_low_or_absent"
    return None


def _compare(
    rows: list[dict[str, str]], ihc_col: str, fish_col: str, call_col: str, kb: Any
) -> tuple[Counter[str], Counter[str], int]:
    agreement: Counter[str] = Counter()
    unexplained: Counter[str] = Counter()
    skipped = 0
    for row in rows:
        test = _test_from(row[ihc_col], row[fish_col])
        theirs = {"pos": "positive", "positive": "positive", "neg": "negative", "negative": "negative"}.get(
            row[call_col].strip().lower()
        )
        if test is None or theirs is None:
            skipped += 1
            continue
        Her2Test.model_validate(test)
        ours, tier = _classify(test, kb)
        if ours == theirs:
            agreement["agree"] += 1
            continue
        reason = _explain(test, ours, theirs)
        agreement[reason or "unexplained"] += 1
        if reason is None:
            unexplained[f"{row[ihc_col]}|{row[fish_col]}|{row[call_col]} -> {ours}/{tier}"] += 1
    return agreement, unexplained, skipped


def _report(name: str, agreement: Counter[str], skipped: int) -> None:
    classified = sum(agreement.values())
    print(f"\n{name}: {classified} samples classified, {skipped} without IHC/FISH or study call (skipped, counted)")
    print(f"  agree: {agreement['agree']}/{classified} ({100 * agreement['agree'] / classified:.1f}%)")
    for reason, text in EXPLAINED.items():
        if agreement[reason]:
            print(f"  differ ({reason}): {agreement[reason]} — {text}")


@pytest.mark.parametrize(
    ("study", "ihc_col", "fish_col", "call_col"),
    [
        ("msk_egc_2017", "IHC_HER2", "HER2_FISH", "HER2_IHC_OR_FISH"),
        ("msk_egc_trap_2020", "IHC_HER2", "HER2_FISH", "HER2_STATUS"),
    ],
)
def test_msk_her2_agreement(shared_data: Path, kb: Any, study: str, ihc_col: str, fish_col: str, call_col: str) -> None:
    rows = _rows(shared_data / study / "data_clinical_sample.txt")
    agreement, unexplained, skipped = _compare(rows, ihc_col, fish_col, call_col, kb)
    _report(study, agreement, skipped)
    assert sum(agreement.values()) > 0
    assert not unexplained, f"unexplained disagreements: {dict(unexplained)}"
    assert agreement["agree"] / sum(agreement.values()) >= 0.95
