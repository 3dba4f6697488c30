"""One evaluation, and its row in the audit trail, as every route does it.

The row is committed before the answer is sent; when the trail cannot be written the
request fails (503) rather than answer without a record.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from her2gc.case import Case
from her2gc.engine import EvaluationOptions
from her2gc.report import Report, Warning
from her2gc.service.audit import Appended, AuditEntry, sha256_hex
from her2gc.service.deps import ServiceState
from her2gc.service.evaluation import RequestProblem, render_report, report_json, run_evaluation
from her2gc.service.security import Client

log = logging.getLogger("her2gc.service")


@dataclass(frozen=True)
class Recorded:
    report: Report
    body: bytes
    patient_hash: str
    audit: Appended


def record(state: ServiceState, entry: AuditEntry) -> Appended:
    try:
        return state.audit.record(entry)
    except Exception:
        log.exception("audit trail: append failed (%s %s)", entry.kind, entry.endpoint)
        raise RequestProblem(
            503, [{"loc": [], "msg": "the audit trail cannot be written just now; nothing was answered, try again"}]
        ) from None


def evaluate_and_record(
    state: ServiceState,
    *,
    endpoint: str,
    client: Client,
    raw_input: bytes,
    case: Case,
    options: EvaluationOptions,
    media_type: str,
    patient_id: str | None = None,
    details: dict[str, Any] | None = None,
    mapping_warnings: list[Warning] | None = None,
    render: Callable[[Report], bytes] | None = None,
) -> Recorded:
    """Evaluate, render, and append the audit row (in a worker thread: all of it blocks).

    ``render`` writes the answer instead of the plain rendering of ``media_type`` (the page
    shows the HTML report under its own header)."""
    report = run_evaluation(case, state.kb, options, state.runtime, mapping_warnings)
    canonical = report_json(report)
    if media_type == "application/json":
        body = canonical
    elif render is not None:
        body = render(report)
    else:
        body = render_report(report, case, media_type, state.fhir, state.kb, state.runtime)
    hashed = state.patient_hash(patient_id or case.patient_id)
    entry = AuditEntry(
        kind="evaluation",
        endpoint=endpoint,
        client=client.id,
        kb_sha256=state.kb.sha256,
        input_sha256=sha256_hex(raw_input),
        report_sha256=sha256_hex(canonical),
        patient_hash=hashed,
        details={"region": report.region, "media_type": media_type, "model": options.with_model, **(details or {})},
    )
    return Recorded(report=report, body=body, patient_hash=hashed, audit=record(state, entry))
