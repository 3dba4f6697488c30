"""Fetch one patient's record from a FHIR R4 server into a Bundle the FHIR reader maps.

``fetch_patient_bundle(base_url, patient_id)`` reads ``Patient/{id}`` and searches the
resource types the mapping reads (Condition, Observation, Specimen, MedicationStatement,
MedicationAdministration, MedicationRequest, AdverseEvent) by patient, following each
searchset's ``next`` links on the same server; then it reads the resources those point at
and the searches did not return (a Medication, a Specimen, an adverse event's resulting
Condition). An optional bearer token goes in the ``Authorization`` header, and only ever to
the server given. Errors (unreachable, HTTP status, not FHIR) are one-line InputErrors.
Source of the REST interactions: HL7 FHIR R4 RESTful API (read, search, paging).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

import httpx

from her2gc.errors import InputError

# Resource type -> the search parameter naming the patient (FHIR R4 search parameters).
SEARCHES: tuple[tuple[str, str], ...] = (
    ("Condition", "patient"),
    ("Observation", "patient"),
    ("Specimen", "patient"),
    ("MedicationStatement", "patient"),
    ("MedicationAdministration", "patient"),
    ("MedicationRequest", "patient"),
    ("AdverseEvent", "subject"),
)
# References the mapping follows, as FHIRPath over the fetched resources.
FOLLOWED = (
    "Observation.specimen.reference",
    "MedicationStatement.medication.reference",
    "MedicationAdministration.medication.reference",
    "MedicationRequest.medication.reference",
    "AdverseEvent.suspectEntity.instance.reference",
    "AdverseEvent.resultingCondition.reference",
)
PAGE_SIZE = 200
MAX_PAGES = 50


def _one_line(text: str, limit: int = 160) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


def _outcome_text(body: Any) -> str:
    if isinstance(body, dict) and body.get("resourceType") == "OperationOutcome":
        issues = [
            str(i.get("diagnostics") or (i.get("details") or {}).get("text") or i.get("code"))
            for i in body.get("issue") or []
            if isinstance(i, dict)
        ]
        return "; ".join(issues)
    return ""


class FhirServer:
    """A FHIR R4 server at ``base_url``, read with httpx (JSON, optional bearer token)."""

    def __init__(
        self, base_url: str, *, token: str | None = None, timeout: float = 30.0, client: httpx.Client | None = None
    ) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise InputError(f"--fhir-server: {base_url!r} is not an http(s) URL")
        self.base = base_url.rstrip("/")
        self.origin = urlsplit(self.base)[:2]
        headers = {"Accept": "application/fhir+json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        self.client = client or httpx.Client(headers=headers, timeout=timeout, follow_redirects=False)
        self._own_client = client is None
        if client is not None:
            client.headers.update(headers)

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def get(self, url: str, params: dict[str, str] | None = None) -> dict[str, Any]:
        """GET a URL of this server; the JSON resource, or an InputError naming the URL."""
        if urlsplit(url)[:2] != self.origin:
            raise InputError(
                f"{self.base}: refusing to follow {url!r} to another server (the token is only for {self.base})"
            )
        try:
            response = self.client.get(url, params=params)
        except httpx.HTTPError as exc:
            raise InputError(
                f"{url}: cannot reach the FHIR server ({_one_line(str(exc)) or type(exc).__name__})"
            ) from None
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code >= 400:
            detail = _outcome_text(body) or response.reason_phrase
            raise InputError(f"{response.request.url}: HTTP {response.status_code} ({_one_line(detail)})")
        if not isinstance(body, dict) or not isinstance(body.get("resourceType"), str):
            raise InputError(f"{response.request.url}: the answer is not a FHIR JSON resource")
        return body

    def search(self, resource_type: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every resource of a search, following the searchset's ``next`` links."""
        url: str | None = f"{self.base}/{resource_type}"
        query: dict[str, str] | None = {**params, "_count": str(PAGE_SIZE)}
        found: list[dict[str, Any]] = []
        for _ in range(MAX_PAGES):
            assert url is not None
            page = self.get(url, query)
            if page.get("resourceType") != "Bundle":
                raise InputError(f"{url}: a search answered {page.get('resourceType')!r}, not a Bundle")
            for entry in page.get("entry") or []:
                resource = entry.get("resource") if isinstance(entry, dict) else None
                mode = (entry.get("search") or {}).get("mode", "match") if isinstance(entry, dict) else "match"
                if isinstance(resource, dict) and mode != "outcome":
                    found.append(resource)
            url = next((link.get("url") for link in page.get("link") or [] if link.get("relation") == "next"), None)
            query = None
            if url is None:
                return found
        raise InputError(
            f"{self.base}/{resource_type}: more than {MAX_PAGES} pages of results for one patient; narrow the record"
        )


def _followed_references(resources: list[dict[str, Any]]) -> list[str]:
    """Relative references (``Type/id``) the fetched resources point at, in order."""
    from fhirpathpy import evaluate
    from fhirpathpy.models import models

    seen: list[str] = []
    for resource in resources:
        for expression in FOLLOWED:
            if not expression.startswith(str(resource.get("resourceType")) + "."):
                continue
            for reference in evaluate(resource, expression, {}, models["r4"]):
                if (
                    isinstance(reference, str)
                    and reference.count("/") == 1
                    and not reference.startswith("#")
                    and reference not in seen
                ):
                    seen.append(reference)
    return seen


def fetch_patient_bundle(
    base_url: str,
    patient_id: str,
    *,
    token: str | None = None,
    timeout: float = 30.0,
    client: httpx.Client | None = None,
) -> dict[str, Any]:
    """One patient's record as a ``collection`` Bundle (see the module docstring)."""
    if not patient_id or "/" in patient_id:
        raise InputError(f"--patient: {patient_id!r} is not a Patient id")
    server = FhirServer(base_url, token=token, timeout=timeout, client=client)
    try:
        patient = server.get(f"{server.base}/Patient/{patient_id}")
        if patient.get("resourceType") != "Patient":
            raise InputError(
                f"{server.base}/Patient/{patient_id}: answered {patient.get('resourceType')!r}, not a Patient"
            )
        resources = [patient]
        for resource_type, parameter in SEARCHES:
            resources.extend(server.search(resource_type, {parameter: f"Patient/{patient_id}"}))
        have = {f"{r.get('resourceType')}/{r.get('id')}" for r in resources}
        for reference in _followed_references(resources):
            if reference not in have:
                resources.append(server.get(f"{server.base}/{reference}"))
                have.add(reference)
    finally:
        server.close()
    unique: dict[str, dict[str, Any]] = {}
    for resource in resources:
        unique.setdefault(f"{resource.get('resourceType')}/{resource.get('id')}", resource)
    entries = [{"fullUrl": f"{server.base}/{key}", "resource": resource} for key, resource in unique.items()]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}
