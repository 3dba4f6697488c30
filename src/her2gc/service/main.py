"""The application: routers composed, the worker's state built at start-up.

``create_app()`` is the uvicorn factory (``her2gc serve`` runs it once per worker). At
start-up each worker loads the knowledge base once (``her2gc.load_kb()``), opens the
audit database, reads its keys and tokens, and warms the engine's caches; requests only
read that state.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.middleware.cors import CORSMiddleware
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from her2gc import __version__
from her2gc.service import openapi_docs
from her2gc.service.deps import ServiceState, build_state
from her2gc.service.evaluation import RequestProblem
from her2gc.service.fhir_bridge import FhirBridge
from her2gc.service.middleware import EdgeMiddleware
from her2gc.service.routers import api, cds, health, page
from her2gc.service.settings import Settings, load_settings

log = logging.getLogger("her2gc.service")
DOCS_CSP = (
    "default-src 'none'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; style-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "img-src 'self' data: https://fastapi.tiangolo.com; connect-src 'self'; frame-ancestors 'none'"
)


def _problem(status: int, detail: list[dict[str, Any]], headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse({"detail": detail}, status_code=status, headers=headers)


def _install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(RequestProblem)
    async def _request_problem(_request: Request, exc: RequestProblem) -> JSONResponse:
        return _problem(exc.status, exc.detail, exc.headers)

    @app.exception_handler(RequestValidationError)
    async def _validation(_request: Request, exc: RequestValidationError) -> JSONResponse:
        detail = [
            {"loc": list(error.get("loc", [])), "msg": str(error.get("msg", "invalid"))} for error in exc.errors()
        ]
        return _problem(422, detail)

    @app.exception_handler(StarletteHTTPException)
    async def _http(_request: Request, exc: StarletteHTTPException) -> JSONResponse:
        return _problem(exc.status_code, [{"loc": [], "msg": str(exc.detail)}], dict(exc.headers or {}))

    @app.exception_handler(Exception)
    async def _internal(_request: Request, exc: Exception) -> JSONResponse:
        # Nothing of the exception reaches the caller; the reference finds it in the log.
        reference = uuid.uuid4().hex[:12]
        log.error("internal error %s: %s", reference, type(exc).__name__, exc_info=exc)
        return _problem(500, [{"loc": [], "msg": f"internal error (reference {reference})"}])


def _install_openapi(app: FastAPI) -> None:
    from her2gc.case import Case
    from her2gc.report import Report
    from her2gc.service.cds.models import CdsRequest, CdsResponse, Discovery, FeedbackRequest

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            from fastapi.openapi.utils import get_openapi

            schema = get_openapi(title=app.title, version=app.version, description=app.description, routes=app.routes)
            components = schema.setdefault("components", {}).setdefault("schemas", {})
            components.update(
                openapi_docs.component_schemas([Case, Report, CdsRequest, CdsResponse, Discovery, FeedbackRequest])
            )
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]

    @app.get("/docs", include_in_schema=False)
    async def docs() -> HTMLResponse:
        page = get_swagger_ui_html(openapi_url="/openapi.json", title="her2gc service")
        page.headers["content-security-policy"] = DOCS_CSP
        return page


def create_app(
    settings: Settings | None = None,
    *,
    fhir: FhirBridge | None = None,
    fhir_transport: httpx.AsyncBaseTransport | None = None,
) -> FastAPI:
    """The service; settings from the environment unless given (tests pass their own)."""
    chosen = settings or load_settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        import her2gc

        state = build_state(chosen, her2gc.load_kb(), fhir=fhir, transport=fhir_transport)
        _warn_if_open(chosen)
        app.state.service = state
        try:
            _warm_up(state)
            yield
        finally:
            await state.http.aclose()
            state.close()

    app = FastAPI(
        title="her2gc",
        version=__version__,
        description="HER2 decision support for gastric / GEJ adenocarcinoma: HTTP API and CDS Hooks 2.0 services.",
        lifespan=lifespan,
        docs_url=None,
        redoc_url=None,
    )
    _install_error_handlers(app)
    _install_openapi(app)
    app.include_router(health.router)
    app.include_router(page.router)
    app.include_router(api.router)
    app.include_router(cds.router)
    if chosen.cors_origins:
        app.add_middleware(
            CORSMiddleware,
            allow_origins=list(chosen.cors_origins),
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type", "Accept"],
        )
    app.add_middleware(EdgeMiddleware, max_body_bytes=chosen.max_body_bytes)
    return app


WARM_UP_CASE = {
    "patient_id": "warm-up",
    "region": "US",
    "tumour": {"site": "stomach"},
    "her2_tests": [{"specimen": "biopsy", "ihc": {"score": "3+"}}],
}


def _warm_up(state: ServiceState) -> None:
    """One evaluation at start-up, so the first patient does not pay for the engine's first-use setup
    (nor for compiling the page's and the report's templates)."""
    from her2gc.case import Case
    from her2gc.engine import EvaluationOptions, evaluate
    from her2gc.render.html import report_template
    from her2gc.service.evaluation import report_json

    report_json(
        evaluate(
            Case.model_validate(WARM_UP_CASE), state.kb, EvaluationOptions(with_model=False), runtime=state.runtime
        )
    )
    report_template(state.runtime)
    page.page_template(state)


def _warn_if_open(settings: Settings) -> None:
    if settings.api_tokens_file is None:
        log.warning("HER2GC_API_TOKENS is not set: /v1/* answers without a token")
    if settings.cds_jwks_file is None:
        log.warning("HER2GC_CDS_JWKS is not set: CDS Hooks calls are accepted without a signed JWT")
