"""Unit tests of the safety step: the conditions of safety.yaml one by one, the dose
ladder, class rules, recurrences, the honest "no dose rule", and the case fields they read."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from pydantic import ValidationError

from her2gc.case import AdverseEvent, Case
from her2gc.kb.schema_rules import NoRuleInSources, SafetyCondition, SafetyRule
from her2gc.safety import condition_holds, manage_adverse_events, next_dose, organ_row


def _event(**fields: Any) -> AdverseEvent:
    return AdverseEvent.model_validate({"drug": "ramucirumab", "event": "proteinuria", **fields})


def _case(events: list[dict[str, Any]], drugs: list[str], doses: dict[str, float] | None = None) -> Case:
    return Case.model_validate(
        {
            "patient_id": "unit",
            "region": "US",
            "tumour": {"site": "stomach"},
            "adverse_events": events,
            "current_therapy": {"drugs": drugs, "doses": {d: {"mg_per_kg": v} for d, v in (doses or {}).items()}},
        }
    )


@pytest.mark.parametrize(
    ("when", "fields", "holds"),
    [
        ({"suspensions_min_exclusive": 3}, {"suspensions": 4}, True),
        ({"suspensions_min_exclusive": 3}, {"suspensions": 3}, False),
        ({"suspensions_min_exclusive": 3}, {}, False),
        ({"weeks_since_onset_min_exclusive": 8}, {"onset": "2025-06-01", "assessed": "2025-08-10"}, True),
        ({"weeks_since_onset_min_exclusive": 8}, {"onset": "2025-06-01", "assessed": "2025-07-27"}, False),
        # No assessment date: never read as persistent (today's date is not used).
        ({"weeks_since_onset_min_exclusive": 8}, {"onset": "2020-01-01"}, False),
        ({"lvef_below_lln": True}, {"lvef_below_lln": True}, True),
        ({"lvef_below_lln": False}, {}, False),
        ({"symptom": ["anaphylaxis", "ards"]}, {"symptoms": ["hypotension", "anaphylaxis"]}, True),
        ({"symptom": ["anaphylaxis"]}, {"symptoms": ["dyspnoea"]}, False),
        ({"urine_protein_min_inclusive": 2}, {"urine_protein_g_per_24h": 2.0}, True),
        ({"urine_protein_min_exclusive": 3}, {"urine_protein_g_per_24h": 3.0}, False),
        ({"urine_protein_min_exclusive": 3}, {"urine_protein_g_per_24h": 3.5}, True),
        ({"urine_protein_min_inclusive": 2}, {}, False),
        ({"nephrotic_syndrome": True}, {"nephrotic_syndrome": True}, True),
        ({"nephrotic_syndrome": True}, {}, False),
        ({"controlled": False}, {"controlled": False}, True),
        # Not yet known whether it can be controlled: neither "controlled" nor "uncontrollable".
        ({"controlled": False}, {}, False),
        ({"controlled": True}, {}, False),
        ({"organs": ["colitis"]}, {"organ": "Colitis"}, True),
        ({"organs": ["other"]}, {"organ": "uveitis"}, True),
        ({"organs": ["colitis", "other"]}, {}, False),
        ({"recurrent": True}, {"recurrent": True}, True),
        ({"recurrent": True}, {}, False),
        ({"liver_tumour_involvement": False}, {"liver_tumour_involvement": False}, True),
        ({"liver_tumour_involvement": False}, {}, False),
        ({"ast_alt_x_uln_min_exclusive": 3, "ast_alt_x_uln_max_inclusive": 8}, {"ast_alt_x_uln": 8}, True),
        ({"ast_alt_x_uln_min_exclusive": 3, "ast_alt_x_uln_max_inclusive": 8}, {"ast_alt_x_uln": 3}, False),
        ({"bilirubin_x_uln_min_exclusive": 3}, {"bilirubin_x_uln": 3.5}, True),
        ({"bilirubin_x_uln_min_exclusive": 1.5, "bilirubin_x_uln_max_inclusive": 3}, {"bilirubin_x_uln": 1.2}, False),
        ({"diagnosis": "confirmed"}, {"diagnosis": "confirmed"}, True),
        ({"diagnosis": "confirmed"}, {"diagnosis": "suspected"}, False),
    ],
)
def test_condition(when: dict[str, Any], fields: dict[str, Any], holds: bool) -> None:
    assert condition_holds(_event(**fields), SafetyCondition.model_validate(when)) is holds


def test_occurrence_counts_events_of_the_same_drug_and_kind() -> None:
    when = SafetyCondition(occurrence_min=2)
    assert not condition_holds(_event(), when, occurrence=1)
    assert condition_holds(_event(), when, occurrence=2)


def test_organ_rows() -> None:
    assert organ_row("hepatitis") == "hepatitis"
    assert organ_row("arthritis") == "other"
    assert organ_row(None) is None


@pytest.mark.parametrize(("current", "steps", "expected"), [(8, 1, 6), (6, 1, 5), (8, 2, 5), (8, 0, 8)])
def test_ramucirumab_ladder(kb: Any, current: float, steps: int, expected: float) -> None:
    ladder = next(ld for ld in kb.safety.dose_ladders if ld.drug == "ramucirumab")
    assert next_dose(current, steps, ladder).mg_per_kg == expected


def test_below_the_lowest_level_is_discontinue(kb: Any) -> None:
    case = _case(
        [{"drug": "ramucirumab", "event": "proteinuria", "urine_protein_g_per_24h": 2.4, "grade": 2}],
        ["ramucirumab", "paclitaxel"],
        {"ramucirumab": 5},
    )
    actions, _ = manage_adverse_events(case, kb.safety, kb.drugs)
    assert actions[0].action == "discontinue" and actions[0].next_dose_mg_per_kg is None
    assert any("no level below 5 mg/kg" in d for d in actions[0].details)


def test_withhold_without_a_current_dose_says_so(kb: Any) -> None:
    case = _case([{"drug": "ramucirumab", "event": "proteinuria", "urine_protein_g_per_24h": 2.4}], ["ramucirumab"])
    actions, _ = manage_adverse_events(case, kb.safety)
    assert actions[0].action == "withhold" and actions[0].next_dose_mg_per_kg is None
    assert any("current dose not given" in d for d in actions[0].details)


def test_an_earlier_event_followed_by_a_later_one_gets_no_next_dose(kb: Any) -> None:
    events = [
        {"drug": "ramucirumab", "event": "proteinuria", "urine_protein_g_per_24h": 2.2, "onset": "2025-10-01"},
        {"drug": "ramucirumab", "event": "proteinuria", "urine_protein_g_per_24h": 2.4, "onset": "2025-12-01"},
    ]
    actions, _ = manage_adverse_events(_case(events, ["ramucirumab"], {"ramucirumab": 6}), kb.safety)
    assert [a.rule for a in actions] == ["ramucirumab-proteinuria-2g", "ramucirumab-proteinuria-2g-recurrent"]
    assert actions[0].next_dose_mg_per_kg is None and "adverse_events[1]" in actions[0].details[-1]
    assert actions[1].next_dose_mg_per_kg == 5


@pytest.mark.parametrize("drug", ["pembrolizumab", "nivolumab"])
def test_class_rule_reaches_each_pd1_antibody(kb: Any, drug: str) -> None:
    case = _case([{"drug": drug, "event": "immune_mediated", "organ": "colitis", "grade": 4}], [drug])
    actions, _ = manage_adverse_events(case, kb.safety)
    assert (actions[0].drug, actions[0].action, actions[0].rule) == (drug, "discontinue", "pd1-colitis-grade4")


def test_an_organ_without_a_row_falls_to_the_general_rule(kb: Any) -> None:
    case = _case([{"drug": "nivolumab", "event": "immune_mediated", "organ": "uveitis", "grade": 3}], ["nivolumab"])
    actions, _ = manage_adverse_events(case, kb.safety)
    assert actions[0].rule == "nivolumab-imar-grade3" and actions[0].action == "withhold"


def test_immune_event_without_organ_asks_for_it(kb: Any) -> None:
    case = _case([{"drug": "pembrolizumab", "event": "immune_mediated", "grade": 3}], ["pembrolizumab"])
    actions, warnings = manage_adverse_events(case, kb.safety)
    assert actions == []
    assert warnings[0].code == "no_dose_rule" and "give the organ" in warnings[0].message
    assert "no dose rule in the sources" in warnings[0].message


def test_event_of_a_drug_without_rules_says_so_with_its_toxicities(kb: Any) -> None:
    case = _case([{"drug": "trastuzumab emtansine", "event": "neutropenia", "grade": 3}], ["trastuzumab emtansine"])
    actions, warnings = manage_adverse_events(case, kb.safety, kb.drugs)
    assert actions == [] and warnings[0].fields == ["case.adverse_events[0]"]
    assert "no dose rule in the sources" in warnings[0].message and "hepatotoxicity" in warnings[0].message


def test_a_rule_names_one_of_drug_and_drugs() -> None:
    base = {"id": "x", "event": "ild", "when": {}, "action": "discontinue", "sources": ["s"]}
    with pytest.raises(ValidationError, match="exactly one of drug and drugs"):
        SafetyRule.model_validate({**base, "drug": "a", "drugs": ["b"]})
    with pytest.raises(ValidationError, match="exactly one of drug and drugs"):
        SafetyRule.model_validate(base)
    with pytest.raises(ValidationError, match="withhold only"):
        SafetyRule.model_validate({**base, "drug": "a", "resume_dose_steps_down": 1})
    assert SafetyRule.model_validate({**base, "drugs": ["a", "b"]}).applies_to("b")


def test_an_absence_must_say_so() -> None:
    entry = {"id": "x", "drug": "a", "events": ["any"], "toxicities": ["t"], "sources": ["s"]}
    with pytest.raises(ValidationError, match="no dose rule in the sources"):
        NoRuleInSources.model_validate({**entry, "text": "nothing here"})
    assert NoRuleInSources.model_validate({**entry, "text": "a: no dose rule in the sources"}).covers("a", "ild")


def test_case_symptoms_read_one_or_many_and_common_spellings() -> None:
    one = _event(event="infusion_reaction", symptom="Dyspnea")
    many = _event(event="infusion_reaction", symptoms=["acute respiratory distress syndrome", "angioedema"])
    assert one.symptoms == ["dyspnoea"] and many.symptoms == ["ards", "angioedema"]
    with pytest.raises(ValidationError):
        _event(event="infusion_reaction", symptoms=["sneezing fits"])


@pytest.mark.parametrize(
    "fields",
    [
        {"urine_protein_g_per_24h": 150},
        {"ast_alt_x_uln": -1},
        {"bilirubin_x_uln": -0.5},
        {"suspensions": 0},
        {"diagnosis": "probable"},
        {"onset": "2025-06-01", "assessed": "2025-05-01"},
    ],
)
def test_case_fields_out_of_range_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        _event(**fields)


def test_assessed_is_a_date() -> None:
    assert _event(onset="2025-06-01", assessed="2025-08-10").assessed == dt.date(2025, 8, 10)
