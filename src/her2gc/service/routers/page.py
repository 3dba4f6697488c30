"""The clinician's page: ``GET /`` (the form) and ``POST /report`` (the report, or the form again).

A plain HTML form, no script: a case file to upload or the case pasted as text (YAML,
JSON or a FHIR R4 Bundle, in the multipart field ``case``) and the region (``region``,
empty for "as in the case"). The answer is the HTML report of ``her2gc evaluate --format
html`` under the page's header (one template, :mod:`her2gc.render.html`); each evaluation
is recorded in the audit trail like every other route's. A case that cannot be read gives
the form again with the status of the problem (422 mostly), the command line's one-line
message naming the file and the field, and the pasted text kept. A client that prefers
JSON (``Accept: application/json``) gets the service's error shape instead.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import Literal

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import UploadFile

from her2gc import __version__
from her2gc.engine import EvaluationOptions
from her2gc.render import to_html
from her2gc.service import openapi_docs
from her2gc.service.deps import OpenClient, ServiceState, StateDep
from her2gc.service.evaluation import (
    HTML,
    JSON,
    RequestProblem,
    case_from_document,
    negotiate,
    parse_document,
    parse_region,
    problem,
)
from her2gc.service.recording import Recorded, evaluate_and_record
from her2gc.service.security import Client
from her2gc.terms import REGIONS

router = APIRouter()
MAX_FORM_CASE_BYTES = 5 * 1024 * 1024
TEMPLATES_KEY = ("her2gc.service.routers.page", "templates")
PASTED = "pasted text"
REGION_NAMES = {"US": "United States", "EU": "European Union", "CN": "China", "JP": "Japan"}
Control = Literal["file", "text", "region"]
ADVICE: dict[Control | None, str] = {
    "file": "Correct the file and choose it again (a browser does not keep a chosen file).",
    "text": "Correct the text below and submit it again.",
    "region": "Choose the region below, or set it in the case.",
}


@dataclass(frozen=True)
class CaseForm:
    """What the form sent: the case's bytes, where they came from, and what to show again."""

    raw: bytes
    source: str  # the uploaded file's name, or "pasted text": the first word of every message
    control: Control
    pasted: str = ""
    region: str = ""


@dataclass(frozen=True)
class PageProblem:
    """A problem as the page shows it: the command line's line first, the others after it."""

    line: str
    control: Control | None = None
    more: list[str] = field(default_factory=list)
    advice: str = "Correct the case and submit it again."


class FormRejected(Exception):
    """The form itself could not give a case; carries what to show again."""

    def __init__(self, rejected: RequestProblem, pasted: str = "", region: str = "") -> None:
        super().__init__(str(rejected))
        self.problem = rejected
        self.pasted = pasted
        self.region = region


def _environment() -> jinja2.Environment:
    loader = jinja2.ChoiceLoader(
        [jinja2.PackageLoader("her2gc.service", "templates"), jinja2.PackageLoader("her2gc.render", "templates")]
    )
    return jinja2.Environment(loader=loader, autoescape=True, undefined=jinja2.StrictUndefined)


def page_template(state: ServiceState) -> jinja2.Template:
    """The page's template, compiled once per worker (kept in its runtime)."""
    return state.runtime.singleton(TEMPLATES_KEY, lambda: _environment().get_template("page.html.j2"))


def page_html(state: ServiceState, *, problem: PageProblem | None = None, pasted: str = "", region: str = "") -> str:
    regions = [("", "As in the case"), *((code, f"{code}: {REGION_NAMES.get(code, code)}") for code in REGIONS)]
    return page_template(state).render(
        home="/",
        action="/report",
        problem=problem,
        pasted=pasted,
        region=region,
        regions=regions,
        kb_version=state.kb.version,
        kb_sha256=state.kb.sha256,
        version=__version__,
    )


@router.get(
    "/",
    summary="The clinician's page: upload or paste a case, choose the region",
    response_class=HTMLResponse,
    responses={200: {"description": "the page (a form posting to /report)", "content": {"text/html": {}}}},
)
async def page(state: StateDep) -> HTMLResponse:
    return HTMLResponse(page_html(state))


_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _file_name(name: str) -> str:
    """The upload's own name (no folder, no control character, at most 80 characters)."""
    base = _CONTROL.sub("", PurePosixPath(name.replace("\\", "/")).name).strip()
    return (base if len(base) <= 80 else base[:79] + "…") or "uploaded file"


async def read_case_form(request: Request) -> CaseForm:
    """The case from the form: an uploaded file, or else the pasted text (not both)."""
    try:
        form = await request.form(max_files=1, max_fields=4, max_part_size=MAX_FORM_CASE_BYTES)
    except Exception:
        raise FormRejected(problem(422, ["body"], "body: not a multipart or urlencoded form")) from None
    region_value = form.get("region")
    region = region_value if isinstance(region_value, str) else ""
    values = form.getlist("case")
    if not values:
        missing = problem(422, ["body", "case"], "case: required form field missing (a file or pasted text)")
        raise FormRejected(missing, region=region)
    # A browser sends the file control even when no file was chosen: a part without a file name.
    uploads = [value for value in values if isinstance(value, UploadFile) and value.filename]
    pasted = next((value for value in values if isinstance(value, str) and value.strip()), "")
    if uploads and pasted:
        both = problem(422, ["body", "case"], "case: both a file and pasted text were given; give one of them")
        raise FormRejected(both, pasted, region)
    if uploads:
        return CaseForm(await uploads[0].read(), _file_name(uploads[0].filename or ""), "file", region=region)
    if pasted:
        return CaseForm(pasted.encode(), PASTED, "text", pasted=pasted, region=region)
    raise FormRejected(
        problem(422, ["body", "case"], "case: empty; upload a case file or paste the case"), region=region
    )


def _media(text: bytes, source: str) -> str:
    """JSON when the file says so or the text opens like JSON; else YAML (which also reads most JSON)."""
    opening = text.lstrip()[:1]
    return JSON if source.lower().endswith(".json") or opening in (b"{", b"[") else "application/yaml"


def _evaluate(state: ServiceState, form: CaseForm, client: Client) -> Recorded:
    document = parse_document(form.raw, _media(form.raw, form.source), source=form.source)
    case, warnings = case_from_document(document, state.fhir, state.kb, source=form.source)
    region = parse_region(form.region)
    return evaluate_and_record(
        state,
        endpoint="/report",
        client=client,
        raw_input=form.raw,
        case=case,
        options=EvaluationOptions(region=region),
        media_type=HTML,
        mapping_warnings=warnings,
        render=lambda report: to_html(report, case, state.kb, runtime=state.runtime, new_case_link="/").encode(),
    )


def shown_problem(rejected: RequestProblem, form: CaseForm | None = None) -> PageProblem:
    """The service's problem as the page words it: ``source: case.field: what is wrong``, as the command line."""
    lines = [str(item.get("msg", "")) for item in rejected.detail] or [f"the request failed ({rejected.status})"]
    loc = list(rejected.detail[0].get("loc", [])) if rejected.detail else []
    line = lines[0].replace("or pass ?region=", "or choose the region below")
    if rejected.status == 503:
        return PageProblem(line, advice="Nothing was evaluated. Submit the case again in a moment.")
    if form is not None and line.startswith(("case.", "case:")):
        line = f"{form.source}: {line}"
    chosen: Control | None = None
    if loc[:2] == ["query", "region"]:
        chosen = "region"
    elif form is not None and rejected.status in (415, 422):
        chosen = form.control
    return PageProblem(line, chosen, lines[1:], ADVICE.get(chosen, PageProblem.advice))


def _wants_json(request: Request) -> bool:
    return negotiate(request.headers.get("accept"), (HTML, JSON)) == JSON


@router.post(
    "/report",
    summary="The HTML report for a case posted by the clinician's page",
    openapi_extra=openapi_docs.report_form_request(),
    response_class=HTMLResponse,
    responses=openapi_docs.report_form_responses(),
)
async def report_form(request: Request, state: StateDep, client: OpenClient) -> Response:
    form: CaseForm | None = None
    pasted = region = ""
    try:
        form = await read_case_form(request)
        pasted, region = form.pasted, form.region
        recorded = await run_in_threadpool(_evaluate, state, form, client)
    except FormRejected as exc:
        rejected, pasted, region = exc.problem, exc.pasted, exc.region
    except RequestProblem as exc:
        rejected = exc
    else:
        request.state.patient_hash = recorded.patient_hash
        request.state.audit_seq = recorded.audit.seq
        return HTMLResponse(recorded.body, headers={"X-Her2gc-Audit": str(recorded.audit.seq)})
    if _wants_json(request):
        raise rejected
    page = page_html(state, problem=shown_problem(rejected, form), pasted=pasted, region=region)
    return HTMLResponse(page, status_code=rejected.status, headers=rejected.headers or None)
