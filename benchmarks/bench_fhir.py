"""Benchmark: map a 50-resource FHIR R4 Bundle to a case, and write the report as a FHIR Bundle.

The bundle is the golden resistance record of the tests (Patient, primary cancer Condition,
HER2 IHC, PD-L1, MSI, tissue and plasma variants, a first line of three drugs) grown to 50
resources the way an EHR's record grows: each drug given by cycle (MedicationAdministration per
cycle), vital-sign and laboratory Observations the mapping does not read, and Practitioners.
Reports medians over ``--runs`` warm runs (after ``--warmup`` runs) of:

- ``map_ms``: Bundle -> case data with its warnings, every resource the mapping reads validated
  by its fhir.resources R4B model (each run indexes and validates the bundle again);
- ``map_repeated_with_memo_ms``: the same bundle again with a validation memo kept across calls
  (what a service gains when asked again about the same record: resources already validated
  with the same content are not validated again; their content digest is still computed);
- ``map_without_model_validation_ms``: the mapping with the fhir.resources validation
  short-cut, to show what the models cost (the product always validates);
- ``case_ms``: the case data validated as a ``her2gc.Case``;
- ``write_ms``: the report and case -> FHIR Bundle -> JSON text;
- ``total_ms``: map + case + write (the evaluation itself is not included).

    PYTHONPATH=src python benchmarks/bench_fhir.py --runs 200
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import platform
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "fhir" / "golden" / "resistance_variants.json"


def fifty_resource_bundle() -> dict[str, Any]:
    bundle: dict[str, Any] = json.loads(GOLDEN.read_text(encoding="utf-8"))
    entries = bundle["entry"]
    patient = "Patient/p-resistance"
    administrations = [e["resource"] for e in entries if e["resource"]["resourceType"] == "MedicationAdministration"]
    cycle = 0
    while len(entries) < 38:
        for template in administrations:
            cycle += 1
            given = copy.deepcopy(template) | {"id": f"{template['id']}-cycle-{cycle}", "status": "completed"}
            given.pop("statusReason", None)
            day = f"2025-{2 + cycle % 6:02d}-{1 + cycle % 27:02d}"
            given["effectivePeriod"] = {"start": day, "end": day}
            entries.append(
                {
                    "fullUrl": f"https://ehr.example-hospital.org/fhir/MedicationAdministration/{given['id']}",
                    "resource": given,
                }
            )
    vitals = [
        ("8302-2", "Body height", 172, "cm"),
        ("29463-7", "Body weight", 64, "kg"),
        ("8867-4", "Heart rate", 78, "/min"),
        ("718-7", "Hemoglobin", 11.8, "g/dL"),
    ]
    index = 0
    while len(entries) < 47:
        code, display, value, unit = vitals[index % len(vitals)]
        index += 1
        observation = {"resourceType": "Observation", "id": f"vital-{index}", "status": "final", "code": {"coding": [{"system": "http://loinc.org", "code": code, "display": display}]},
                       "subject": {"reference": patient}, "effectiveDateTime": "2025-09-10", "valueQuantity": {"value": value, "unit": unit}}  # fmt: skip
        entries.append(
            {"fullUrl": f"https://ehr.example-hospital.org/fhir/Observation/vital-{index}", "resource": observation}
        )
    while len(entries) < 50:
        practitioner = {
            "resourceType": "Practitioner",
            "id": f"clinician-{len(entries)}",
            "name": [{"family": "Example", "given": ["Clinician"]}],
        }
        entries.append(
            {
                "fullUrl": f"https://ehr.example-hospital.org/fhir/Practitioner/{practitioner['id']}",
                "resource": practitioner,
            }
        )
    assert len(entries) == 50
    return bundle


def timed_ms(action: Callable[[], object], runs: int, warmup: int) -> tuple[float, float]:
    """(median, fastest) of ``runs`` warm runs, in milliseconds; the fastest shows what a busy
    machine's other work hides from the median."""
    for _ in range(warmup):
        action()
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        action()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000, min(times) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=20)
    args = parser.parse_args()
    if not GOLDEN.is_file():
        print(f"golden bundle not found at {GOLDEN}", file=sys.stderr)
        return 1

    import her2gc
    from her2gc.engine import EvaluationOptions
    from her2gc.kb.schema_fhir import load_fhir_codes
    from her2gc.readers import fhir_bundle
    from her2gc.readers.fhir import bundle_to_case, vocabulary_from_kb
    from her2gc.render.fhir import to_fhir_json

    kb = her2gc.load_kb()
    codes = load_fhir_codes(kb.data_dir / "fhir_codes.yaml")
    vocab = vocabulary_from_kb(codes, kb)
    hgnc = {symbol: gene.hgnc_id for symbol, gene in kb.genes.items()}
    bundle = fifty_resource_bundle()
    mapped = bundle_to_case(copy.deepcopy(bundle), vocab, source="bench")
    case = her2gc.Case.model_validate({**mapped.case, "region": "CN"})
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False))

    # The mapping never changes its input (checked below) and keeps nothing between calls: each
    # run indexes and validates the whole bundle again.
    figures = {"map_ms": timed_ms(lambda: bundle_to_case(bundle, vocab, source="bench"), args.runs, args.warmup)}
    memo: dict[str, bool] = {}
    figures["map_repeated_with_memo_ms"] = timed_ms(
        lambda: bundle_to_case(bundle, vocab, source="bench", validation_memo=memo), args.runs, args.warmup
    )
    validate = fhir_bundle.validate
    fhir_bundle.validate = lambda index, entry, memo=None: index.validated.add(entry.label)  # type: ignore[assignment,func-returns-value,misc]
    try:
        figures["map_without_model_validation_ms"] = timed_ms(
            lambda: bundle_to_case(bundle, vocab, source="bench"), args.runs, args.warmup
        )
    finally:
        fhir_bundle.validate = validate
    figures["case_ms"] = timed_ms(
        lambda: her2gc.Case.model_validate({**mapped.case, "region": "CN"}), args.runs, args.warmup
    )
    text = to_fhir_json(report, case, codes, recommendations=kb.recommendations, hgnc_ids=hgnc)
    figures["write_ms"] = timed_ms(
        lambda: to_fhir_json(report, case, codes, recommendations=kb.recommendations, hgnc_ids=hgnc),
        args.runs,
        args.warmup,
    )
    figures["total_ms"] = tuple(figures["map_ms"][i] + figures["case_ms"][i] + figures["write_ms"][i] for i in (0, 1))  # type: ignore[assignment]
    assert bundle == fifty_resource_bundle(), "the mapping changed its input"

    print(
        f"bench_fhir: {len(bundle['entry'])}-resource bundle in; {len(json.loads(text)['entry'])}-resource Bundle out ({len(text)} bytes)"
    )
    print(
        f"python {platform.python_version()} on {platform.machine()}; {args.runs} warm runs after {args.warmup}; load average {os.getloadavg()[0]:.1f}"
    )
    print(f"{'':34} {'median':>8} {'fastest':>8}")
    for name, (median, fastest) in figures.items():
        print(f"{name:34} {median:8.2f} {fastest:8.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
