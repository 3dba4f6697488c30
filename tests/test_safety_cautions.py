"""The safety cautions of an option (a pure function of its agents, backbones and the
knowledge base's safety figures), and the cross-reference walk over the new fields."""

from __future__ import annotations

from typing import Any

from her2gc.kb.checks import _references
from her2gc.kb.schema import Drug
from her2gc.kb.schema_rules import CombinationCaution
from her2gc.safety import combination_applies, safety_cautions

FLUOROPYRIMIDINE = [["fluorouracil"], ["capecitabine"]]


def _ids(kb: Any, drugs: list[str], backbones: list[list[str]] | None = None) -> list[str]:
    return [c.id for c in safety_cautions(drugs, backbones or [], kb.safety, kb.drug_classes)]


def test_tdxd_carries_its_ild_figures_with_the_gastric_rate(kb: Any) -> None:
    cautions = safety_cautions(["trastuzumab deruxtecan"], [], kb.safety, kb.drug_classes)
    ild = next(c for c in cautions if c.id == "tdxd-ild-figures")
    assert ild.kind == "safety" and ild.sources
    for figure in ("77.78%", "16.67%", "5.56%", "11.4%", "gastric / GEJ 7.66%", "pulmonologist"):
        assert figure in ild.text
    # T-DXd alone is no combination.
    assert "combo-adc-multidrug-csb2026" not in [c.id for c in cautions]


def test_dg03_figures_need_the_fluoropyrimidine(kb: Any) -> None:
    with_chemo = _ids(kb, ["trastuzumab deruxtecan", "pembrolizumab"], FLUOROPYRIMIDINE)
    without = _ids(kb, ["trastuzumab deruxtecan", "pembrolizumab"])
    assert "combo-tdxd-pembrolizumab-fluoropyrimidine-dg03" in with_chemo
    assert "combo-tdxd-pembrolizumab-fluoropyrimidine-dg03" not in without
    text = next(
        c.text
        for c in safety_cautions(
            ["trastuzumab deruxtecan", "pembrolizumab"], FLUOROPYRIMIDINE, kb.safety, kb.drug_classes
        )
        if c.id == "combo-tdxd-pembrolizumab-fluoropyrimidine-dg03"
    )
    assert "91%" in text and "19%" in text and "51%" in text


def test_adc_multidrug_counts_the_backbone(kb: Any) -> None:
    assert "combo-adc-multidrug-csb2026" in _ids(kb, ["trastuzumab deruxtecan"], FLUOROPYRIMIDINE)
    assert "combo-adc-multidrug-csb2026" in _ids(kb, ["disitamab vedotin", "toripalimab"])
    assert "combo-adc-multidrug-csb2026" not in _ids(kb, ["disitamab vedotin"])


def test_zanidatamab_boxed_warning_and_disitamab_absence(kb: Any) -> None:
    assert "combo-zanidatamab-chemotherapy-diarrhoea-boxed" in _ids(kb, ["zanidatamab"])
    rc48 = next(
        c
        for c in safety_cautions(["disitamab vedotin"], [], kb.safety, kb.drug_classes)
        if c.id.endswith("no-dose-rule")
    )
    assert not rc48.confirmed and "no dose rule in the sources" in rc48.text
    # An event-specific absence (zanidatamab diarrhoea) is said when the event happens, not on every option.
    assert "zanidatamab-diarrhoea-no-dose-table" not in _ids(kb, ["zanidatamab"])


def test_a_drug_without_safety_entries_gets_none(kb: Any) -> None:
    assert _ids(kb, ["paclitaxel"]) == []


def test_every_condition_must_hold() -> None:
    entry = CombinationCaution(
        id="x", drugs_all=["a"], chemotherapy_any=["c"], drug_classes_any=["adc"], min_drugs=3, text="t", sources=["s"]
    )
    classes = {"a": "adc", "b": "checkpoint_inhibitor", "c": "chemotherapy"}
    assert combination_applies(entry, ["a", "b"], [["c"]], classes)
    assert not combination_applies(entry, ["a"], [["c"]], classes)  # two agents only
    assert not combination_applies(entry, ["a", "b"], [], classes)  # no chemotherapy
    assert not combination_applies(entry, ["b", "c"], [["c"]], classes)  # a missing
    # A backbone agent already among the drugs is not counted twice.
    assert not combination_applies(entry, ["a", "c"], [["c"]], classes)


def test_checks_walk_the_sources_and_drugs_of_the_new_fields(kb: Any) -> None:
    drug = kb.drugs["disitamab vedotin"]
    data = drug.model_dump()
    data["adc"]["gastric_figures"][0]["sources"] = ["no-such-source"]
    refs = list(_references(Drug.model_validate(data), "drug x"))
    assert ("source", "no-such-source", "drug x.adc.gastric_figures[0].sources") in refs
    combo = CombinationCaution(
        id="x", drugs_all=["no-such-drug"], chemotherapy_any=["nor-this"], text="t", sources=["s"]
    )
    kinds = {(kind, ref) for kind, ref, _ in _references(combo, "c")}
    assert {("drug", "no-such-drug"), ("drug", "nor-this")} <= kinds
    trial_rate = kb.safety.drug_risks[0].trial_rates[0]
    assert any(kind == "source" for kind, _, _ in _references(trial_rate, "r"))
