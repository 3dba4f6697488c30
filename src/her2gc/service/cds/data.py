"""The patient's data for a hook call: from ``prefetch``, else from ``fhirServer``
(CDS Hooks 2.0, "Providing FHIR Resources to a CDS Service").

- ``prefetch.her2gcCase`` (a her2gc extension, announced in discovery) is a her2gc case
  and is used as it is.
- Otherwise every prefetch template must be answered: a key with a resource or a
  searchset Bundle, or ``null`` for "no data". Keys the client left out are fetched from
  ``fhirServer`` with the ``fhirAuthorization`` bearer token (searchset pages followed on
  the same server only). When neither gives them the call gets 412 Precondition Failed.
- The resources, gathered into one Bundle, are mapped to a case by the FHIR reader;
  without it the call gets 412 as well, with the reason.
"""

from __future__ import annotations

import asyncio
import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

import httpx

from her2gc.case import Case
from her2gc.errors import InputError
from her2gc.report import Warning
from her2gc.service.cds.models import CdsRequest
from her2gc.service.cds.services import EMBEDDED_CASE_KEY, PREFETCH
from her2gc.service.fhir_bridge import FhirBridge, as_collection_bundle, resources_of

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase

MAX_PAGES = 20


class PreconditionFailed(Exception):
    """The data cannot be had from prefetch nor from the FHIR server (412)."""


class UnreadableRecord(Exception):
    """The data was had but does not make a case (an information card says why)."""


@dataclass(frozen=True)
class PatientData:
    case: Case
    origin: str  # "embedded case" | "prefetch" | "fhirServer"
    warnings: tuple[Warning, ...] = ()  # the FHIR mapping's: what the record held that was not used


def expand(template: str, context: dict[str, Any]) -> str:
    """A prefetch template with its ``{{context.x}}`` tokens replaced (root-level primitive fields only)."""
    result = template
    for name, value in context.items():
        token = "{{context." + name + "}}"
        if token in result and isinstance(value, (str, int, float)) and not isinstance(value, bool):
            result = result.replace(token, quote(str(value), safe=""))
    if "{{" in result:
        raise PreconditionFailed(f"prefetch template '{template}' needs a context field the call does not give")
    return result


def _server_allowed(base: str) -> bool:
    """https, or plain http to this machine only (a test or sandbox FHIR server)."""
    parts = urlsplit(base)
    if parts.scheme == "https":
        return True
    if parts.scheme != "http" or parts.hostname is None:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _same_server(url: str, base: str) -> bool:
    a, b = urlsplit(url), urlsplit(base)
    return (a.scheme, a.netloc) == (b.scheme, b.netloc) and a.path.startswith(b.path.rstrip("/"))


async def _fetch(client: httpx.AsyncClient, base: str, relative: str, token: str) -> list[dict[str, Any]]:
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/fhir+json"}
    url: str | None = f"{base.rstrip('/')}/{relative}"
    resources: list[dict[str, Any]] = []
    pages = 0
    while url is not None:
        pages += 1
        if pages > MAX_PAGES:
            raise PreconditionFailed(f"FHIR search {relative.split('?', maxsplit=1)[0]}: more than {MAX_PAGES} pages")
        try:
            response = await client.get(url, headers=headers)
        except httpx.HTTPError as exc:
            raise PreconditionFailed(
                f"FHIR server not reachable for {relative.split('?', maxsplit=1)[0]} ({type(exc).__name__})"
            ) from None
        if response.status_code == 404 and "?" not in relative:
            return []  # a read of a resource that does not exist: no data, like a null prefetch
        if response.status_code != 200:
            raise PreconditionFailed(
                f"FHIR server answered {response.status_code} for {relative.split('?', maxsplit=1)[0]}"
            )
        try:
            body = response.json()
        except ValueError:
            raise PreconditionFailed(f"FHIR server sent no JSON for {relative.split('?', maxsplit=1)[0]}") from None
        resources += resources_of(body)
        url = (
            next(
                (
                    link.get("url")
                    for link in body.get("link", [])
                    if isinstance(link, dict) and link.get("relation") == "next"
                ),
                None,
            )
            if isinstance(body, dict)
            else None
        )
        if url is not None and not _same_server(url, base):
            raise PreconditionFailed("FHIR search paging left the FHIR server of the call")
    return resources


async def gather_resources(call: CdsRequest, client: httpx.AsyncClient) -> tuple[list[dict[str, Any]], str]:
    """Every resource the templates ask for, and where they came from."""
    prefetch = call.prefetch or {}
    resources: list[dict[str, Any]] = []
    missing = [key for key in PREFETCH if key not in prefetch]
    for key in PREFETCH:
        if key in prefetch:
            resources += resources_of(prefetch[key])
    if not missing:
        return resources, "prefetch"
    if call.fhirServer is None or call.fhirAuthorization is None:
        raise PreconditionFailed(
            f"prefetch lacks {', '.join(missing)} and the call gives no fhirServer with fhirAuthorization to fetch them"
        )
    base = str(call.fhirServer)
    if not _server_allowed(base):
        raise PreconditionFailed("fhirServer must be an https URL")
    token = call.fhirAuthorization.access_token
    fetched = await asyncio.gather(
        *(_fetch(client, base, expand(PREFETCH[key], call.context), token) for key in missing)
    )
    for batch in fetched:
        resources += batch
    return resources, "fhirServer" if len(missing) == len(PREFETCH) else "prefetch and fhirServer"


async def patient_data(call: CdsRequest, fhir: FhirBridge, client: httpx.AsyncClient, kb: KnowledgeBase) -> PatientData:
    """The case for the call; PreconditionFailed (412) or UnreadableRecord (an information card)."""
    embedded = (call.prefetch or {}).get(EMBEDDED_CASE_KEY)
    if embedded is not None:
        from pydantic import ValidationError

        from her2gc.validation import validation_message

        if not isinstance(embedded, dict):
            raise UnreadableRecord(f"prefetch.{EMBEDDED_CASE_KEY}: expected a her2gc case (an object)")
        try:
            return PatientData(Case.model_validate(embedded, context={"vocabulary": kb.vocabulary}), "embedded case")
        except ValidationError as exc:
            raise UnreadableRecord(validation_message(exc, f"prefetch.{EMBEDDED_CASE_KEY}")) from None
    prefetch = call.prefetch or {}
    missing = [key for key in PREFETCH if key not in prefetch]
    if missing and (call.fhirServer is None or call.fhirAuthorization is None):
        raise PreconditionFailed(
            f"prefetch lacks {', '.join(missing)} and the call gives no fhirServer with fhirAuthorization to fetch them"
        )
    if fhir.reader is None:
        raise PreconditionFailed(
            "the FHIR reader is not installed on this service, so FHIR data cannot be used; send prefetch.her2gcCase"
        )
    resources, origin = await gather_resources(call, client)
    try:
        case, warnings = fhir.case_from_bundle(as_collection_bundle(resources), "prefetch")
    except InputError as exc:
        raise UnreadableRecord(exc.one_line()) from None
    return PatientData(case, origin, tuple(warnings))
