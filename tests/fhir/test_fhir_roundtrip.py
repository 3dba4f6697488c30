"""Case -> FHIR -> case keeps every decision-relevant field: the golden case files of the
suite, and cases drawn by hypothesis across the case schema. The region is the evaluation's
jurisdiction, not part of the patient's record: it is given again on import (``--region``)."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import pytest
from fhir_helpers import REPO
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.kb.schema_fhir import FhirCodes
from her2gc.protein import normalise_protein_change
from her2gc.readers.fhir import bundle_to_case
from her2gc.readers.fhir_bundle import FhirVocabulary
from her2gc.render.fhir import report_to_bundle

GOLDEN_CASES = sorted(
    p
    for folder in ("core", "molecular")
    for p in (REPO / "tests" / "cases" / folder).glob("*.yaml")
    if not p.name.endswith(".expected.yaml")
)


def _normalised(case: her2gc.Case) -> her2gc.Case:
    """The case with protein changes in the one HGVS short form the FHIR reader writes them in."""
    data = case.model_dump(mode="json")
    for alteration in data["alterations"]:
        if alteration["protein_change"]:
            alteration["protein_change"] = normalise_protein_change(alteration["protein_change"])
    for point in data["ctdna"]:
        for variant in point["variants"]:
            if variant["protein_change"]:
                variant["protein_change"] = normalise_protein_change(variant["protein_change"])
    return her2gc.Case.model_validate(data)


def _round_trip(
    case: her2gc.Case, kb: Any, codes: FhirCodes, vocab: FhirVocabulary
) -> tuple[her2gc.Case, her2gc.Report]:
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False))
    hgnc = {symbol: gene.hgnc_id for symbol, gene in kb.genes.items()}
    bundle = json.loads(
        json.dumps(report_to_bundle(report, case, codes, recommendations=kb.recommendations, hgnc_ids=hgnc))
    )
    mapped = bundle_to_case(bundle, vocab, source="round-trip")
    return her2gc.Case.model_validate({**mapped.case, "region": case.region}), report


@pytest.mark.parametrize("path", GOLDEN_CASES, ids=[p.stem for p in GOLDEN_CASES])
def test_golden_cases_round_trip(path: Path, kb: Any, codes: FhirCodes, vocab: FhirVocabulary) -> None:
    case = _normalised(her2gc.read_case(path))
    if not case.her2_tests:
        pytest.skip("a record without a HER2 result is refused on import (nothing to decide on)")
    back, report = _round_trip(case, kb, codes, vocab)
    assert back.model_dump(mode="json") == case.model_dump(mode="json")
    assert her2gc.evaluate(back, kb, EvaluationOptions(with_model=False)).to_json_dict() == report.to_json_dict()


# ---------------------------------------------------------------- hypothesis

DRUGS = [
    "trastuzumab",
    "capecitabine",
    "oxaliplatin",
    "cisplatin",
    "trastuzumab deruxtecan",
    "pembrolizumab",
    "ramucirumab",
    "paclitaxel",
    "disitamab vedotin",
    "tegafur/gimeracil/oteracil",
    "nivolumab",
]
GENES = ["ERBB2", "MET", "PIK3CA", "KRAS", "EGFR", "CCNE1", "PTEN", "FGFR2"]
DAY0 = dt.date(2024, 1, 1)


def _days(draw: Any, count: int, gap: int = 40) -> list[dt.date]:
    offsets = sorted(draw(st.lists(st.integers(0, 900), min_size=count, max_size=count, unique=True)))
    return [DAY0 + dt.timedelta(days=o * gap // 10) for o in offsets]


@st.composite
def ihc(draw: Any) -> dict[str, Any]:
    if draw(st.booleans()):
        return {"score": draw(st.sampled_from(["0", "1+", "2+", "3+"]))}
    reading: dict[str, Any] = {"intensity": draw(st.sampled_from(["none", "faint", "weak_moderate", "strong"]))}
    reading |= draw(
        st.sampled_from(
            [
                {"percent_cells": draw(st.floats(0, 100).map(lambda v: round(v, 1)))},
                {"largest_cluster_cells": draw(st.integers(0, 50))},
            ]
        )
    )
    if draw(st.booleans()):
        reading["pattern"] = draw(st.sampled_from(["complete", "basolateral", "lateral", "partial"]))
    return reading


@st.composite
def ish(draw: Any) -> dict[str, Any]:
    result = draw(
        st.sampled_from(
            [
                {"ratio": draw(st.floats(0.5, 8).map(lambda v: round(v, 2)))},
                {"reported_result": draw(st.sampled_from(["amplified", "not_amplified"]))},
            ]
        )
    )
    if draw(st.booleans()):
        result["her2_signals_per_cell"] = draw(st.floats(0, 20).map(lambda v: round(v, 1)))
    if draw(st.booleans()):
        result["cep17_signals_per_cell"] = draw(st.floats(0.5, 6).map(lambda v: round(v, 1)))
    return result


@st.composite
def cases(draw: Any) -> dict[str, Any]:
    site = draw(st.sampled_from(["stomach", "gej", "oesophagus"]))
    tumour = {
        "site": site,
        "lauren": draw(st.sampled_from(["intestinal", "diffuse", "mixed", "unknown"])),
        "metastatic": draw(st.booleans()),
        "histology": draw(st.sampled_from(["adenocarcinoma", "mucinous adenocarcinoma"])),
    }
    if draw(st.booleans()):
        tumour["oncotree_code"] = {"stomach": "STAD", "gej": "GEJ", "oesophagus": "ESCA"}[site]
    test_days = _days(draw, draw(st.integers(1, 3)))
    tests = []
    for day in test_days:
        test: dict[str, Any] = {
            "date": day,
            "specimen": draw(st.sampled_from(["biopsy", "resection", "cytology"])),
            "setting": draw(st.sampled_from(["diagnosis", "post_progression"])),
        }
        parts = draw(st.sampled_from(["ihc", "ish", "both"]))
        if parts in ("ihc", "both"):
            test["ihc"] = draw(ihc())
        if parts in ("ish", "both"):
            test["ish"] = draw(ish())
        if draw(st.booleans()):
            test["tumour_fragments"] = draw(st.integers(0, 8))
        tests.append(test)
    case: dict[str, Any] = {
        "patient_id": draw(st.from_regex(r"[A-Z]{2}-[0-9]{3,6}", fullmatch=True)),
        "tumour": tumour,
        "her2_tests": tests,
        "msi": draw(st.sampled_from(["MSS", "MSI-H", "unknown"])),
    }
    if draw(st.booleans()):
        case["pdl1"] = {
            "cps": draw(st.floats(0, 100).map(lambda v: round(v, 1))),
            **draw(st.sampled_from([{}, {"assay": "22C3"}, {"assay": "28-8"}, {"assay": "SP263"}])),
        }
    if draw(st.booleans()):
        case["ecog"] = draw(st.integers(0, 4))
    if draw(st.booleans()):
        case["cldn18_2"] = {"percent_moderate_strong": draw(st.floats(0, 100).map(lambda v: round(v, 1)))}
    if draw(st.booleans()):
        case["tumour_fraction"] = draw(st.floats(0, 1).map(lambda v: round(v, 2)))
    case["comorbidities"] = {"ild_history": draw(st.booleans()), "heart_failure": draw(st.booleans())}
    if draw(st.booleans()):
        case["comorbidities"]["lvef_percent"] = draw(st.floats(20, 75).map(lambda v: round(v, 1)))
    line_days = _days(draw, 2 * draw(st.integers(0, 3)), gap=60)
    lines = []
    for index in range(len(line_days) // 2):
        line: dict[str, Any] = {
            "line": index + 1,
            "drugs": draw(st.lists(st.sampled_from(DRUGS), min_size=1, max_size=3, unique=True)),
            "start": line_days[2 * index],
        }
        if draw(st.booleans()):
            line["end"] = line_days[2 * index + 1]
        if draw(st.booleans()):
            line["stop_reason"] = draw(st.sampled_from(["progression", "toxicity", "completed", "other"]))
        if draw(st.booleans()):
            line["best_response"] = draw(st.sampled_from(["CR", "PR", "SD", "PD", "NE"]))
        lines.append(line)
    case["treatment_history"] = lines
    case["alterations"] = [
        {
            "gene": draw(st.sampled_from(GENES)),
            "kind": kind,
            "source": draw(st.sampled_from(["tissue", "plasma"])),
            **extra,
        }
        for kind, extra in draw(
            st.lists(
                st.sampled_from(
                    [
                        ("amp", {"copy_number": 12.0}),
                        ("del", {}),
                        ("mut", {"protein_change": "p.H1047R", "vaf": 0.21}),
                        ("mut", {}),
                        ("fusion", {}),
                        ("loss", {}),
                        ("over", {}),
                        ("p95", {}),
                    ]
                ),
                max_size=4,
            )
        )
    ]
    ctdna_days = _days(draw, draw(st.integers(0, 3)))
    case["ctdna"] = [
        draw(
            st.sampled_from(
                [
                    {"date": day, "erbb2_copy_number": 6.5},
                    {
                        "date": day,
                        "variants": [{"gene": "PIK3CA", "protein_change": "p.E545K", "vaf": 0.05}],
                        "timing": "progression",
                    },
                ]
            )
        )
        for day in ctdna_days
    ]
    case["ncrna"] = draw(
        st.lists(
            st.fixed_dictionaries(
                {"name": st.sampled_from(["miR-21", "miR-375"]), "direction": st.sampled_from(["up", "down"])}
            ),
            max_size=2,
        )
    )
    given_drugs = sorted({d for line in lines for d in line["drugs"]})
    if given_drugs and draw(st.booleans()):
        event: dict[str, Any] = {
            "drug": draw(st.sampled_from(given_drugs)),
            "event": draw(st.sampled_from(["ild", "neutropenia", "lvef_decrease", "proteinuria", "infusion_reaction"])),
            "grade": draw(st.integers(1, 4)),
            "onset": DAY0 + dt.timedelta(days=400),
        }
        if draw(st.booleans()):
            event["resolved"] = DAY0 + dt.timedelta(days=400 + draw(st.integers(1, 60)))
        if event["event"] == "lvef_decrease":
            event |= {"lvef_percent": 42.0, "lvef_drop_points": 15.0, "lvef_below_lln": True}
        case["adverse_events"] = [event]
    if draw(st.booleans()):
        drugs = draw(st.lists(st.sampled_from(DRUGS), min_size=1, max_size=2, unique=True))
        case["current_therapy"] = (
            {"drugs": drugs, "dose_mg_per_kg": 6.4}
            if len(drugs) == 1
            else {"drugs": drugs, "doses": {drugs[0]: {"mg_per_kg": 8.0}}}
        )
    return case


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture]
)
@given(data=cases())
def test_drawn_cases_round_trip(data: dict[str, Any], kb: Any, codes: FhirCodes, vocab: FhirVocabulary) -> None:
    case = her2gc.Case.model_validate({**data, "region": "US"})
    back, _ = _round_trip(case, kb, codes, vocab)
    assert back.model_dump(mode="json") == case.model_dump(mode="json")
