"""FHIR R4 in and out as the service uses them, built once per worker from its knowledge base.

The reader maps a Bundle to a case (with the mapping's warnings, which go into the report
so that nothing the record held is dropped without a word); the renderer writes the report
as a Genomics Reporting Bundle. Each may be left out (tests do, to check the 412, 415 and
406 answers the service gives without it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from her2gc.case import Case
from her2gc.report import Report, Warning

if TYPE_CHECKING:
    from her2gc.kb.base import KnowledgeBase

FhirReader = Callable[[dict[str, Any], str], tuple[Case, list[Warning]]]
FhirRenderer = Callable[[Report, Case], str]
VALIDATION_MEMO_SIZE = 65536  # resource digests; about 6 MB at most


class _BoundedMemo(dict[str, bool]):
    """The FHIR reader's validation memo, bounded: the oldest half is dropped when full."""

    def __setitem__(self, key: str, value: bool) -> None:
        if len(self) >= VALIDATION_MEMO_SIZE:
            for old in list(self)[: VALIDATION_MEMO_SIZE // 2]:
                del self[old]
        super().__setitem__(key, value)


def _reader(kb: KnowledgeBase) -> FhirReader:
    from her2gc.readers.case_file import case_from_data
    from her2gc.readers.fhir import bundle_to_case, vocabulary_from_kb

    vocabulary = vocabulary_from_kb(kb.fhir_codes, kb)
    memo = _BoundedMemo()

    def read(bundle: dict[str, Any], source: str) -> tuple[Case, list[Warning]]:
        mapped = bundle_to_case(bundle, vocabulary, source=source, validation_memo=memo)
        return case_from_data(mapped.case, source, kb), mapped.warnings

    return read


def _renderer(kb: KnowledgeBase) -> FhirRenderer:
    from her2gc.render.fhir import to_fhir_json

    hgnc_ids = {symbol: gene.hgnc_id for symbol, gene in kb.genes.items() if gene.hgnc_id}

    def write(report: Report, case: Case) -> str:
        return to_fhir_json(report, case, kb.fhir_codes, recommendations=kb.recommendations, hgnc_ids=hgnc_ids)

    return write


@dataclass(frozen=True)
class FhirBridge:
    """The FHIR functions this worker uses (None where left out)."""

    reader: FhirReader | None
    renderer: FhirRenderer | None

    @classmethod
    def of(cls, kb: KnowledgeBase) -> FhirBridge:
        return cls(reader=_reader(kb), renderer=_renderer(kb))

    def case_from_bundle(self, bundle: dict[str, Any], source: str) -> tuple[Case, list[Warning]]:
        if self.reader is None:
            raise LookupError("reading FHIR R4 Bundles is not enabled on this service")
        return self.reader(bundle, source)

    def to_fhir(self, report: Report, case: Case) -> str:
        if self.renderer is None:
            raise LookupError("writing the report as a FHIR R4 Bundle is not enabled on this service")
        return self.renderer(report, case)


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
