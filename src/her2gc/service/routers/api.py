"""``POST /v1/evaluate`` and report links ``GET /reports/{token}`` (the page and its form: routers/page.py)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool

from her2gc.engine import EvaluationOptions
from her2gc.service import openapi_docs
from her2gc.service.deps import ApiClient, OpenClient, ServiceState, StateDep
from her2gc.service.evaluation import (
    FHIR_JSON,
    HTML,
    REPORT_MEDIA_TYPES,
    case_from_document,
    negotiate,
    parse_document,
    parse_region,
    problem,
)
from her2gc.service.recording import evaluate_and_record
from her2gc.service.security import Client

router = APIRouter()


def _evaluate_body(
    state: ServiceState,
    body: bytes,
    content_type: str | None,
    options: EvaluationOptions,
    media: str,
    endpoint: str,
    client: Client,
) -> Any:
    case, warnings = case_from_document(parse_document(body, content_type), state.fhir, state.kb)
    return evaluate_and_record(
        state,
        endpoint=endpoint,
        client=client,
        raw_input=body,
        case=case,
        options=options,
        media_type=media,
        mapping_warnings=warnings,
    )


@router.post(
    "/v1/evaluate",
    summary="Evaluate one case",
    description=openapi_docs.EVALUATE_DESCRIPTION,
    openapi_extra=openapi_docs.evaluate_request(),
    responses=openapi_docs.evaluate_responses(),
    response_class=Response,
)
async def evaluate_case(
    request: Request,
    state: StateDep,
    client: ApiClient,
    region: Annotated[
        str | None, Query(description="US | EU | CN | JP: whose approvals apply (overrides the case)", max_length=8)
    ] = None,
    model: Annotated[
        bool, Query(description="add mechanistic-model hypotheses (slow for an alteration profile not seen before)")
    ] = True,
) -> Response:
    media = negotiate(request.headers.get("accept"))
    if media is None:
        raise problem(406, ["header", "accept"], f"Accept: none of {', '.join(REPORT_MEDIA_TYPES)}")
    if media == FHIR_JSON and state.fhir.renderer is None:
        raise problem(
            406,
            ["header", "accept"],
            "application/fhir+json: writing the report as a FHIR R4 Bundle is not available in this installation",
        )
    options = EvaluationOptions(region=parse_region(region), with_model=model)
    body = await request.body()
    recorded = await run_in_threadpool(
        _evaluate_body, state, body, request.headers.get("content-type"), options, media, "/v1/evaluate", client
    )
    request.state.patient_hash = recorded.patient_hash
    request.state.audit_seq = recorded.audit.seq
    return Response(recorded.body, media_type=media, headers={"X-Her2gc-Audit": str(recorded.audit.seq)})


EXPIRED_PAGE = """<!doctype html><html lang="en"><meta charset="utf-8"><title>her2gc: report link</title>
<body style="font-family:system-ui,sans-serif;max-width:40em;margin:3em auto">
<h1>This report link is not valid any more</h1>
<p>Report links expire. Open the patient's chart again for a new one.</p></body></html>"""


@router.get(
    "/reports/{token}",
    summary="The full report behind a CDS card's link",
    response_class=HTMLResponse,
    responses={404: {"description": "link expired or not valid"}},
)
async def report_link(token: str, request: Request, state: StateDep, client: OpenClient) -> Response:
    linked = state.links.open(token) if len(token) < 10_000 else None
    if linked is None:
        return HTMLResponse(EXPIRED_PAGE, status_code=404)
    options = EvaluationOptions(region=None if linked.case.region else linked.region)
    recorded = await run_in_threadpool(
        lambda: evaluate_and_record(
            state,
            endpoint="/reports",
            client=client,
            raw_input=token.encode(),
            case=linked.case,
            options=options,
            media_type=HTML,
            details={"linked_kb_sha256": linked.kb_sha256},
        )
    )
    request.state.patient_hash = recorded.patient_hash
    request.state.audit_seq = recorded.audit.seq
    return HTMLResponse(recorded.body)
