"""What a worker holds (built once at start-up) and what each request is given (``Depends``).

The knowledge base is loaded once per worker with ``her2gc.load_kb()`` and kept here; no
request reads it from disk. Authentication is a dependency of the routes that need it:
API tokens for ``/v1/*``, the signed JWT for CDS Hooks.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Annotated

import httpx
from fastapi import Depends, Request
from sqlalchemy import Engine
from starlette.concurrency import run_in_threadpool

from her2gc.kb.base import KnowledgeBase
from her2gc.runtime import Runtime
from her2gc.service.audit import AuditTrail, create_schema, make_engine
from her2gc.service.cds.order_sign import DrugMatcher
from her2gc.service.cds_auth import CdsAuthError, CdsJwtVerifier, JwksFile, ReplayGuard
from her2gc.service.evaluation import RequestProblem
from her2gc.service.fhir_bridge import FhirBridge
from her2gc.service.report_links import ReportLinks
from her2gc.service.security import Client, RateLimiter, TokenStore, derive_key, load_secret, patient_hash
from her2gc.service.settings import Settings

log = logging.getLogger("her2gc.service")
ANONYMOUS = Client(id="anonymous", kind="anonymous")


@dataclass
class ServiceState:
    settings: Settings
    kb: KnowledgeBase
    fhir: FhirBridge
    engine: Engine
    audit: AuditTrail
    tokens: TokenStore | None
    cds: CdsJwtVerifier | None
    limiter: RateLimiter
    links: ReportLinks
    matcher: DrugMatcher
    http: httpx.AsyncClient
    patient_key: bytes
    runtime: Runtime  # this worker's caches of the engine (model screens, trial figures), in memory

    def patient_hash(self, patient_id: str) -> str:
        return patient_hash(self.patient_key, patient_id)

    def close(self) -> None:
        self.engine.dispose()


def build_state(
    settings: Settings,
    kb: KnowledgeBase,
    *,
    fhir: FhirBridge | None = None,
    transport: httpx.AsyncBaseTransport | None = None,
) -> ServiceState:
    """Everything a worker needs, from its settings; raises InputError naming a bad setting."""
    engine = make_engine(settings.database_url)
    create_schema(engine)
    secret = load_secret(settings.audit_secret_path)
    verifier = None
    if settings.cds_jwks_file is not None:
        verifier = CdsJwtVerifier(
            JwksFile(settings.cds_jwks_file),
            settings.cds_issuers,
            ReplayGuard(engine),
            leeway=settings.jwt_leeway_seconds,
            max_lifetime=settings.jwt_max_lifetime_seconds,
        )
    return ServiceState(
        settings=settings,
        kb=kb,
        fhir=fhir or FhirBridge.of(kb),
        runtime=Runtime(),
        engine=engine,
        audit=AuditTrail(engine),
        tokens=TokenStore.from_file(settings.api_tokens_file) if settings.api_tokens_file else None,
        cds=verifier,
        limiter=RateLimiter(settings.rate_limit_per_minute),
        links=ReportLinks(derive_key(secret, "report-link")[:32], settings.report_link_seconds),
        matcher=DrugMatcher(kb),
        http=httpx.AsyncClient(timeout=settings.fhir_timeout_seconds, transport=transport, follow_redirects=False),
        patient_key=derive_key(secret, "patient-id"),
    )


async def get_state(request: Request) -> ServiceState:
    state: ServiceState = request.app.state.service
    return state


StateDep = Annotated[ServiceState, Depends(get_state)]


async def get_kb(state: StateDep) -> KnowledgeBase:
    return state.kb


def _unauthorized(loc: str, message: str, error: str = "invalid_token") -> RequestProblem:
    return RequestProblem(
        401, [{"loc": ["header", loc], "msg": message}], headers={"WWW-Authenticate": f'Bearer error="{error}"'}
    )


def _rate_limited(state: ServiceState, request: Request, client: Client) -> None:
    key = client.id if client.kind != "anonymous" else f"ip:{request.client.host if request.client else '-'}"
    wait = state.limiter.allow(key)
    if wait is not None:
        raise RequestProblem(
            429, [{"loc": [], "msg": "too many requests; slow down"}], headers={"Retry-After": str(max(1, round(wait)))}
        )


async def api_client(request: Request, state: StateDep) -> Client:
    """The client of a ``/v1/*`` call: the matching API token when tokens are configured (else 401)."""
    client = ANONYMOUS
    if state.tokens is not None:
        scheme, _, token = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise _unauthorized(
                "authorization", "this service needs 'Authorization: Bearer <API token>'", "invalid_request"
            )
        found = state.tokens.match(token.strip())
        if found is None:
            raise _unauthorized("authorization", "API token not recognised")
        client = found
    request.state.client_id = client.id
    _rate_limited(state, request, client)
    return client


async def open_client(request: Request, state: StateDep) -> Client:
    """Routes a browser opens without a token (the report form and report links): rate limited by address."""
    request.state.client_id = ANONYMOUS.id
    _rate_limited(state, request, ANONYMOUS)
    return ANONYMOUS


def public_base(request: Request, settings: Settings) -> str:
    """The service's base URL as its callers see it (HER2GC_PUBLIC_URL behind a proxy)."""
    return settings.public_url or str(request.base_url).rstrip("/")


def called_url(request: Request, settings: Settings) -> str:
    """The exact URL called, without the query: what a CDS Hooks JWT's ``aud`` must hold."""
    path = str(request.scope["path"])
    root = str(request.scope.get("root_path", ""))
    if root and path.startswith(root):
        path = path[len(root) :]
    return public_base(request, settings) + path


async def cds_client(request: Request, state: StateDep) -> Client:
    """The EHR of a CDS Hooks call, from its verified JWT (401 otherwise); open when no JWKS is configured."""
    client = ANONYMOUS
    if state.cds is not None:
        verifier = state.cds
        try:
            claims = await run_in_threadpool(
                verifier.verify, request.headers.get("authorization"), called_url(request, state.settings)
            )
        except CdsAuthError as exc:
            raise _unauthorized("authorization", str(exc)) from None
        client = Client(id=f"cds:{claims.issuer}"[:80], kind="cds")
    request.state.client_id = client.id
    _rate_limited(state, request, client)
    return client


ApiClient = Annotated[Client, Depends(api_client)]
OpenClient = Annotated[Client, Depends(open_client)]
CdsClient = Annotated[Client, Depends(cds_client)]
