"""Golden molecular cases (tests/cases/molecular): expectations written from the seed
text (each expected file's `basis`), never from running the code. `assess_resistance`
is run directly; the HER2 events it needs are derived here from the case's HER2 tests
(positive before anti-HER2 therapy, negative on a post-progression specimen) or taken
from the expected file's `engine_flags`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from her2gc.case import Case, Her2Test
from her2gc.kb.schema_resistance import ResistanceKnowledge
from her2gc.report import ResistanceSection
from her2gc.resistance import assess_resistance, cautions_for_regimen
from support import kb

MOLECULAR_CASES = Path(__file__).resolve().parents[1] / "cases" / "molecular"

NAMES = sorted(p.name.removesuffix(".expected.yaml") for p in MOLECULAR_CASES.glob("*.expected.yaml"))


def _positive(test: Her2Test) -> bool | None:
    """ToGA definition: IHC 3+, or IHC 2+ with ISH amplified (ratio >= 2.0); None if undecided."""
    score = test.ihc.score if test.ihc else None
    amplified = test.ish is not None and (test.ish.reported_result == "amplified" or (test.ish.ratio or 0) >= 2.0)
    if score == "3+" or (score == "2+" and amplified):
        return True
    if score in ("0", "1+") or (score == "2+" and test.ish is not None):
        return False
    return None


def loss_after_therapy(case: Case) -> bool:
    before = [t for t in case.her2_tests if t.setting == "diagnosis"]
    after = [t for t in case.her2_tests if t.setting == "post_progression"]
    return any(_positive(t) for t in before) and any(_positive(t) is False for t in after)


def _load(name: str) -> tuple[Case, dict[str, Any]]:
    case = Case.model_validate(yaml.safe_load((MOLECULAR_CASES / f"{name}.yaml").read_text(encoding="utf-8")))
    expected = yaml.safe_load((MOLECULAR_CASES / f"{name}.expected.yaml").read_text(encoding="utf-8"))
    return case, expected


def _run(name: str, rk: ResistanceKnowledge) -> tuple[ResistanceSection, dict[str, Any]]:
    case, expected = _load(name)
    flags = expected.get("engine_flags") or {}
    section = assess_resistance(
        case,
        rk,
        her2_loss_after_therapy=flags.get("her2_loss_after_therapy", loss_after_therapy(case)),
        her2_heterogeneous=flags.get("her2_heterogeneous", False),
        strategy_order=kb().ranking.strategy_status_order,
    )
    return section, expected


def test_enough_golden_cases() -> None:
    assert len(NAMES) >= 15


@pytest.mark.parametrize("name", NAMES)
def test_golden_molecular(name: str, rk: ResistanceKnowledge) -> None:
    section, expected = _run(name, rk)
    assert expected["basis"], "every golden case quotes the seed text its expectation comes from"
    want = expected["expected"]["resistance"]
    found = {m.id: m for m in section.mechanisms}
    for mechanism_id in want.get("mechanisms", []):
        assert mechanism_id in found, sorted(found)
    for mechanism_id in want.get("absent_mechanisms", []):
        assert mechanism_id not in found, sorted(found)
    assert section.ctdna_pattern == want["ctdna_pattern"]
    assert set(want.get("actions", [])) <= set(section.actions), section.actions
    assert not set(want.get("absent_actions", [])) & set(section.actions), section.actions
    for mechanism_id, level in want.get("levels", {}).items():
        assert found[mechanism_id].level == level
    for mechanism_id, setting in want.get("settings", {}).items():
        assert found[mechanism_id].evidence_setting == setting
    statuses = {s.id: s.status for m in section.mechanisms for s in m.strategies}
    for strategy_id, status in want.get("strategies", {}).items():
        assert statuses.get(strategy_id) == status, statuses
    for fragment in want.get("warnings_contain", []):
        assert any(fragment in w.message for w in section.warnings), section.warnings
    for fragment in want.get("emergent", []):
        assert any(fragment in label for m in section.mechanisms for label in m.alterations), section.mechanisms
    unconfirmed = {t.rule for t in section.trace if not t.confirmed}
    assert set(want.get("unconfirmed_rules", [])) <= unconfirmed, unconfirmed
    for drug, mechanism_ids in want.get("cautions", {}).items():
        cautions = cautions_for_regimen([drug], {}, section)
        for mechanism_id in mechanism_ids:
            assert any(c.id == mechanism_id for c in cautions), cautions


@pytest.mark.parametrize("name", NAMES)
def test_no_resistance_level_above_the_evidence(name: str, rk: ResistanceKnowledge) -> None:
    """OncoKB lists no R1/R2 for HER2-pathway resistance in oesophagogastric cancer (FACTS.md)."""
    section, _ = _run(name, rk)
    assert all(m.level not in ("R1", "R2") for m in section.mechanisms)
    assert all(m.level == "hypothetical" for m in section.mechanisms if m.id.startswith("ncrna_"))


@pytest.mark.parametrize("name", NAMES)
def test_trial_strategies_never_above_approved(name: str, rk: ResistanceKnowledge) -> None:
    section, _ = _run(name, rk)
    order = {"approved": 0, "in_trials": 1, "preclinical": 2}
    for mechanism in section.mechanisms:
        ranks = [order[s.status] for s in mechanism.strategies]
        assert ranks == sorted(ranks), mechanism.id


def test_her2_loss_is_derived_from_the_tests() -> None:
    case, _ = _load("her2_loss_rebiopsy")
    assert loss_after_therapy(case)
    case, _ = _load("met_amplification")
    assert not loss_after_therapy(case)
