"""The FHIR reader and renderer, as the service finds them at start-up.

FHIR R4 in (a Bundle mapped to a case) and out (the report as a Genomics Reporting
Bundle) are separate parts of her2gc. The service looks them up once per worker and
answers clearly while one is missing: 415 for FHIR input, 406 for FHIR output, 412
for CDS Hooks data that only FHIR could give.

Expected interfaces (one place to repoint when the modules move):
``her2gc.readers.fhir.case_from_bundle(data: dict, source: str) -> Case`` and
``her2gc.render.fhir.to_fhir(report: Report) -> str`` (the Bundle as JSON text).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from her2gc.case import Case
from her2gc.report import Report

READER = ("her2gc.readers.fhir", "case_from_bundle")
RENDERER = ("her2gc.render.fhir", "to_fhir")


def _find(module_name: str, attribute: str) -> Callable[..., Any] | None:
    try:
        module = importlib.import_module(module_name)
    except ImportError:
        return None
    found = getattr(module, attribute, None)
    return found if callable(found) else None


@dataclass(frozen=True)
class FhirBridge:
    """The FHIR functions this worker has (None where the part is not installed)."""

    reader: Callable[[dict[str, Any], str], Case] | None
    renderer: Callable[[Report], str] | None

    @classmethod
    def discover(cls) -> FhirBridge:
        return cls(reader=_find(*READER), renderer=_find(*RENDERER))

    def case_from_bundle(self, bundle: dict[str, Any], source: str) -> Case:
        if self.reader is None:
            raise LookupError("reading FHIR R4 Bundles is not available in this installation (no her2gc.readers.fhir)")
        return self.reader(bundle, source)

    def to_fhir(self, report: Report) -> str:
        if self.renderer is None:
            raise LookupError(
                "writing the report as a FHIR R4 Bundle is not available in this installation (no her2gc.render.fhir)"
            )
        return self.renderer(report)


def as_collection_bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    """Resources gathered from several prefetch keys (or FHIR searches) as one Bundle for the reader."""
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": resource} for resource in resources]}


def resources_of(value: Any) -> list[dict[str, Any]]:
    """The FHIR resources in one prefetch value: a resource, a searchset Bundle, or null (no data)."""
    if not isinstance(value, dict) or "resourceType" not in value:
        return []
    if value["resourceType"] != "Bundle":
        return [value]
    found: list[dict[str, Any]] = []
    for entry in value.get("entry") or []:
        resource = entry.get("resource") if isinstance(entry, dict) else None
        # An OperationOutcome in a searchset reports a problem of the search, not patient data.
        if isinstance(resource, dict) and resource.get("resourceType") not in (None, "OperationOutcome"):
            found.append(resource)
    return found
