"""What ``/openapi.json`` says about bodies the routes read themselves.

The routes parse their bodies by hand (so errors are worded as the command line words
them), hence the schemas are declared here: the case and report models of her2gc, the
CDS Hooks objects, and the error shape.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel

ERROR = {"$ref": "#/components/schemas/Problem"}
PROBLEM_SCHEMA = {
    "type": "object",
    "required": ["detail"],
    "properties": {
        "detail": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["loc", "msg"],
                "properties": {
                    "loc": {"type": "array", "items": {"anyOf": [{"type": "string"}, {"type": "integer"}]}},
                    "msg": {"type": "string"},
                },
            },
        }
    },
}
FHIR_BUNDLE = {
    "type": "object",
    "required": ["resourceType"],
    "properties": {"resourceType": {"const": "Bundle"}},
    "description": "a FHIR R4 Bundle (mapped as docs/fhir.md describes)",
}

# A request a reader can send from /docs as it is (and the examples phase of API fuzzers sends).
EXAMPLE_CASE = {
    "schema": "her2gc.case/1",
    "patient_id": "DOCS-001",
    "region": "US",
    "tumour": {"site": "gej", "oncotree_code": "GEJ", "histology": "adenocarcinoma", "metastatic": True},
    "ecog": 1,
    "her2_tests": [{"date": "2025-01-10", "specimen": "biopsy", "setting": "diagnosis", "ihc": {"score": "3+"}}],
    "pdl1": {"cps": 5, "assay": "22C3"},
    "msi": "MSS",
}
EXAMPLE_CDS_CALL = {
    "hook": "patient-view",
    "hookInstance": "d1577c69-dfbe-44ad-ba6d-3e05e953b2ea",
    "context": {"userId": "Practitioner/example", "patientId": "1288992"},
    "prefetch": {"her2gcCase": EXAMPLE_CASE},
}

EVALUATE_DESCRIPTION = (
    "One case in (a her2gc case as JSON or YAML, or a FHIR R4 Bundle), one report out. "
    "`Accept: application/json` (default) gives the report JSON of `her2gc evaluate --format json`, "
    "`text/html` the HTML report, `application/fhir+json` the report as a FHIR R4 Bundle. "
    "Bad input: 422 with the command line's message. With `HER2GC_API_TOKENS` set, send "
    "`Authorization: Bearer <token>`. Every evaluation is appended to the audit trail; the "
    "`X-Her2gc-Audit` response header gives its sequence number."
)


def _error(description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": ERROR}}}


COMMON_ERRORS: dict[int | str, dict[str, Any]] = {
    401: _error("missing or unrecognised credentials"),
    413: _error("request body too large"),
    422: _error("bad input, worded as the command line words it"),
    429: _error("rate limit reached; see Retry-After"),
    503: _error("the audit trail cannot be written"),
}


def evaluate_request() -> dict[str, Any]:
    body = {"oneOf": [{"$ref": "#/components/schemas/Case"}, FHIR_BUNDLE]}
    return {
        "requestBody": {
            "required": True,
            "content": {
                "application/json": {"schema": body, "example": EXAMPLE_CASE},
                "application/fhir+json": {"schema": FHIR_BUNDLE},
                "application/yaml": {"schema": {"type": "string"}},
            },
        }
    }


def evaluate_responses() -> dict[int | str, dict[str, Any]]:
    return {
        200: {
            "description": "the report",
            "content": {
                "application/json": {"schema": {"$ref": "#/components/schemas/Report"}},
                "text/html": {"schema": {"type": "string"}},
                "application/fhir+json": {"schema": FHIR_BUNDLE},
            },
        },
        406: _error("no acceptable report format (or FHIR output not installed)"),
        415: _error("FHIR input while the FHIR reader is not installed"),
        **COMMON_ERRORS,
    }


def report_form_request() -> dict[str, Any]:
    form = {
        "type": "object",
        "required": ["case"],
        "properties": {
            "case": {"type": "string", "format": "binary", "description": "the case: YAML, JSON or a FHIR R4 Bundle"},
            "region": {"type": "string", "enum": ["US", "EU", "CN", "JP"]},
        },
    }
    return {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": form}}}}


def _page_or_error(description: str) -> dict[str, Any]:
    """The page again with the problem on it, or the error shape for a client that accepts JSON."""
    return {
        "description": f"{description}: the page again, the problem on it (the error shape with Accept: application/json)",
        "content": {"text/html": {"schema": {"type": "string"}}, "application/json": {"schema": ERROR}},
    }


def report_form_responses() -> dict[int | str, dict[str, Any]]:
    errors = {k: v for k, v in COMMON_ERRORS.items() if k != 401}
    return {
        200: {"description": "the HTML report under the page's header", "content": {"text/html": {}}},
        **errors,
        415: _page_or_error("FHIR input while the FHIR reader is not installed"),
        422: _page_or_error("bad input, worded as the command line words it"),
        503: _page_or_error("the audit trail cannot be written"),
    }


def cds_request(model: type[BaseModel], example: dict[str, Any] | None = None) -> dict[str, Any]:
    content: dict[str, Any] = {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}
    if example is not None:
        content["example"] = example
    return {"requestBody": {"required": True, "content": {"application/json": content}}}


def cds_responses(
    model: type[BaseModel], extra: dict[int | str, dict[str, Any]] | None = None
) -> dict[int | str, dict[str, Any]]:
    ok = {
        "description": "success",
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{model.__name__}"}}},
    }
    return {200: ok, 404: _error("no such CDS Service"), **(extra or {}), **COMMON_ERRORS}


def component_schemas(models: list[type[BaseModel]]) -> dict[str, Any]:
    """JSON schemas of the models with their definitions, as OpenAPI components."""
    schemas: dict[str, Any] = {"Problem": PROBLEM_SCHEMA}
    for model in models:
        schema = model.model_json_schema(
            by_alias=True,
            ref_template="#/components/schemas/{model}",
            mode="serialization" if model.__name__ in ("Report", "CdsResponse", "Discovery") else "validation",
        )
        for name, definition in schema.pop("$defs", {}).items():
            if name in schemas and schemas[name] != definition:
                raise RuntimeError(f"two models define the schema '{name}' differently")
            schemas[name] = definition
        schemas[model.__name__] = schema
    return schemas
