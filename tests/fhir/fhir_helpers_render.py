"""Helpers of the FHIR writer tests: a report and its Bundle for a case."""

from __future__ import annotations

from typing import Any

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.kb.schema_fhir import FhirCodes
from her2gc.render.fhir import to_fhir_json


def render(case: her2gc.Case, kb: Any, codes: FhirCodes) -> tuple[her2gc.Report, str]:
    report = her2gc.evaluate(case, kb, EvaluationOptions(with_model=False))
    hgnc = {symbol: gene.hgnc_id for symbol, gene in kb.genes.items()}
    return report, to_fhir_json(report, case, codes, recommendations=kb.recommendations, hgnc_ids=hgnc)
