"""CDS Hooks 2.0: discovery, the two services, and feedback."""

from __future__ import annotations

import json
from typing import Annotated, Any

from fastapi import APIRouter, Path, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ValidationError
from starlette.concurrency import run_in_threadpool

from her2gc import __version__
from her2gc.engine import EvaluationOptions
from her2gc.errors import InputError
from her2gc.service import openapi_docs
from her2gc.service.audit import AuditEntry, feedback_digest, feedback_row, sha256_hex
from her2gc.service.cds.cards import patient_view_cards, source_named, unreadable_card
from her2gc.service.cds.data import PatientData, PreconditionFailed, UnreadableRecord, patient_data
from her2gc.service.cds.models import Card, CdsRequest, CdsResponse, Discovery, FeedbackRequest
from her2gc.service.cds.order_sign import drugs_being_signed, order_sign_cards
from her2gc.service.cds.services import ORDER_SIGN, PATIENT_VIEW, SERVICES, discovery
from her2gc.service.deps import CdsClient, ServiceState, StateDep, public_base
from her2gc.service.evaluation import RequestProblem, problem, report_json, run_evaluation, validation_problem
from her2gc.service.recording import record
from her2gc.service.security import Client

router = APIRouter(prefix="/cds-services", tags=["CDS Hooks 2.0"])
ServiceId = Annotated[
    str, Path(description="a CDS Service of the discovery document", json_schema_extra={"enum": list(SERVICES)})
]


def _parse(model: type[BaseModel], body: bytes) -> Any:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise problem(422, ["body"], "body: not JSON") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise validation_problem(exc) from None


def _service(service_id: str) -> str:
    if service_id not in SERVICES:
        raise problem(404, ["path", "service_id"], f"no CDS Service '{service_id[:60]}' (see GET /cds-services)")
    return service_id


@router.get(
    "",
    summary="Discovery",
    response_model=None,
    responses={200: {"content": {"application/json": {"schema": {"$ref": "#/components/schemas/Discovery"}}}}},
)
async def discover(client: CdsClient) -> JSONResponse:
    return JSONResponse(discovery().dump())


def _check_context(call: CdsRequest, service_id: str) -> None:
    service = SERVICES[service_id]
    if call.hook != service.hook:
        raise problem(
            422, ["body", "hook"], f"hook: '{call.hook[:40]}' is not {service.hook}, the hook of {service_id}"
        )
    if call.patient_id is None:
        raise problem(422, ["body", "context", "patientId"], "context.patientId: required (the FHIR id of the patient)")
    if service_id == ORDER_SIGN and not isinstance(call.context.get("draftOrders"), dict):
        raise problem(
            422,
            ["body", "context", "draftOrders"],
            "context.draftOrders: required (a FHIR Bundle of the orders being signed)",
        )


def _cards(
    state: ServiceState, service_id: str, call: CdsRequest, data: PatientData, report_url: str | None
) -> tuple[list[Card], Any, dict[str, int]]:
    options = EvaluationOptions(region=None if data.case.region else state.settings.region, with_model=False)
    report = run_evaluation(data.case, state.kb, options, state.runtime, list(data.warnings))
    if service_id == PATIENT_VIEW:
        return patient_view_cards(report, call.hookInstance, report_url), report, {}
    drafts, unmatched = drugs_being_signed(call.context, state.matcher)
    # Orders for drugs outside the knowledge base get no card; the trail counts them.
    counts = {"orders_checked": len(drafts), "orders_outside_kb": unmatched}
    return order_sign_cards(drafts, report, data.case, state.kb, call.hookInstance, report_url), report, counts


def _answer(
    state: ServiceState,
    service_id: str,
    call: CdsRequest,
    data: PatientData | str,
    body: bytes,
    client: Client,
    base: str,
) -> tuple[bytes, str, int]:
    """The cards and the audit row (in a worker thread)."""
    hashed = state.patient_hash(call.patient_id or "")
    source = source_named(__version__, state.kb.version)
    report_sha: str | None = None
    outcome = "cards"
    counts: dict[str, int] = {}
    if isinstance(data, str):
        cards, outcome = [unreadable_card(data, call.hookInstance, source)], "unreadable record"
    else:
        region = data.case.region or state.settings.region
        token = state.links.token_for(data.case, region, state.kb.sha256)
        try:
            cards, report, counts = _cards(state, service_id, call, data, f"{base}/reports/{token}" if token else None)
            report_sha = sha256_hex(report_json(report))
        except RequestProblem as exc:
            cards, outcome = [unreadable_card(exc.detail[0]["msg"], call.hookInstance, source)], "unreadable record"
    response = CdsResponse(cards=cards).model_dump_json(exclude_none=True).encode()
    entry = AuditEntry(
        kind="evaluation",
        endpoint=f"/cds-services/{service_id}",
        client=client.id,
        kb_sha256=state.kb.sha256,
        input_sha256=sha256_hex(body),
        report_sha256=report_sha,
        patient_hash=hashed,
        details={
            "hook_instance": call.hookInstance[:80],
            "outcome": outcome,
            "data": data.origin if not isinstance(data, str) else "none",
            "indicators": [card.indicator for card in cards],
            "response_sha256": sha256_hex(response),
            **counts,
        },
    )
    return response, hashed, record(state, entry).seq


@router.post(
    "/{service_id}",
    summary="Call a CDS Service",
    openapi_extra=openapi_docs.cds_request(CdsRequest, openapi_docs.EXAMPLE_CDS_CALL),
    responses=openapi_docs.cds_responses(
        CdsResponse,
        {412: openapi_docs._error("the patient's data can be had neither from prefetch nor from fhirServer")},
    ),
    response_model=None,
)
async def call_service(service_id: ServiceId, request: Request, state: StateDep, client: CdsClient) -> Response:
    _service(service_id)
    body = await request.body()
    call: CdsRequest = _parse(CdsRequest, body)
    _check_context(call, service_id)
    request.state.patient_hash = state.patient_hash(call.patient_id or "")
    data: PatientData | str
    try:
        data = await patient_data(call, state.fhir, state.http, state.kb)
    except PreconditionFailed as exc:
        raise problem(412, ["body", "prefetch"], str(exc)) from None
    except UnreadableRecord as exc:
        data = str(exc)
    except InputError as exc:
        data = exc.one_line()
    response, _hashed, seq = await run_in_threadpool(
        _answer, state, service_id, call, data, body, client, public_base(request, state.settings)
    )
    request.state.audit_seq = seq
    return Response(response, media_type="application/json", headers={"X-Her2gc-Audit": str(seq)})


def _store_feedback(state: ServiceState, service_id: str, request_body: FeedbackRequest, client: Client) -> int:
    last = 0
    for item in request_body.feedback:
        row = feedback_row(service_id, item.model_dump(mode="json", exclude_none=True))
        entry = AuditEntry(
            kind="feedback",
            endpoint=f"/cds-services/{service_id}/feedback",
            client=client.id,
            kb_sha256=state.kb.sha256,
            input_sha256=feedback_digest(row["body"]),
            details={"card": row["card_uuid"], "outcome": row["outcome"]},
            feedback=row,
        )
        last = record(state, entry).seq
    return last


@router.post(
    "/{service_id}/feedback",
    summary="Feedback on cards (stored with the audit trail)",
    openapi_extra=openapi_docs.cds_request(FeedbackRequest),
    responses=openapi_docs.cds_responses(Discovery, None)
    | {
        200: {
            "description": "stored",
            "content": {
                "application/json": {"schema": {"type": "object", "properties": {"stored": {"type": "integer"}}}}
            },
        }
    },
    response_model=None,
)
async def feedback(service_id: ServiceId, request: Request, state: StateDep, client: CdsClient) -> JSONResponse:
    _service(service_id)
    parsed: FeedbackRequest = _parse(FeedbackRequest, await request.body())
    seq = await run_in_threadpool(_store_feedback, state, service_id, parsed, client)
    request.state.audit_seq = seq
    return JSONResponse({"stored": len(parsed.feedback)}, headers={"X-Her2gc-Audit": str(seq)})
