"""``--format fhir``: the report as a FHIR R4 collection Bundle. It parses as R4, claims the
Genomics Reporting IG 3.0.0 profiles of what it holds (and holds what those profiles fix), has
one therapeutic implication per offered option with its derivedFrom, a Provenance with the
package and knowledge-base versions and sha256, and the same bytes for the same inputs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fhir.resources.R4B.bundle import Bundle
from fhir_helpers import REPO
from fhir_helpers_render import render
from fhirpathpy import evaluate as fhirpath
from fhirpathpy.models import models

import her2gc
from her2gc.kb.schema_fhir import FhirCodes

CASES = [
    REPO / "examples" / "her2_positive_second_line.yaml",
    REPO / "tests" / "cases" / "core" / "line1_us_cps5.yaml",
    REPO / "tests" / "cases" / "molecular" / "met_amplification.yaml",
]
GR = "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/"


@pytest.fixture(scope="module", params=CASES, ids=[p.stem for p in CASES])
def rendered(request: Any, kb: Any, codes: FhirCodes) -> tuple[her2gc.Report, dict[str, Any], str]:
    case = her2gc.read_case(request.param)
    report, text = render(case, kb, codes)
    return report, json.loads(text), text


def _path(bundle: dict[str, Any], expression: str) -> list[Any]:
    return list(fhirpath(bundle, expression, {}, models["r4"]))


def test_parses_as_r4_collection(rendered: Any) -> None:
    _, bundle, _ = rendered
    parsed = Bundle.model_validate(bundle)
    assert parsed.type == "collection"
    assert _path(bundle, "Bundle.entry.resource.first().resourceType") == ["DiagnosticReport"]


def test_claims_only_ig_profiles_it_holds(rendered: Any, fhir_data: Path) -> None:
    _, bundle, _ = rendered
    published = {
        json.loads(p.read_text(encoding="utf-8"))["url"]
        for p in (fhir_data / "hl7.fhir.uv.genomics-reporting-3.0.0" / "package").glob("StructureDefinition-*.json")
    }
    claimed = set(_path(bundle, "Bundle.entry.resource.meta.profile"))
    assert {GR + "genomic-report", GR + "molecular-biomarker", GR + "therapeutic-implication"} <= claimed
    assert (
        claimed
        <= {GR + p for p in ("genomic-report", "molecular-biomarker", "variant", "therapeutic-implication")} & published
    )


def test_profiles_fixed_elements(rendered: Any) -> None:
    _, bundle, _ = rendered
    report = _path(bundle, "Bundle.entry.resource.ofType(DiagnosticReport)")[0]
    assert report["code"]["coding"][0] == {"system": "http://loinc.org", "code": "51969-4"}
    assert ("http://terminology.hl7.org/CodeSystem/v2-0074", "GE") in [
        (c["system"], c["code"]) for cat in report["category"] for c in cat["coding"]
    ]
    for entry in bundle["entry"]:
        resource = entry["resource"]
        profiles = resource.get("meta", {}).get("profile", [])
        categories = {
            (c["system"].rsplit("/", 1)[-1], c["code"]) for cat in resource.get("category", []) for c in cat["coding"]
        }
        if GR + "variant" in profiles:
            assert (
                resource["code"]["coding"][0]["code"] == "69548-6"
                and {("observation-category", "laboratory"), ("v2-0074", "GE")} <= categories
            )
        if GR + "molecular-biomarker" in profiles:
            assert {("observation-category", "laboratory"), ("tbd-codes-cs", "biomarker-category")} <= categories
        if GR + "therapeutic-implication" in profiles:
            assert resource["derivedFrom"] and not any(key.startswith("value") for key in resource)
            assert {("observation-category", "laboratory"), ("v2-0074", "GE")} <= categories


def test_one_implication_per_offered_option(rendered: Any) -> None:
    report, bundle, _ = rendered
    implications = [
        e["resource"]
        for e in bundle["entry"]
        if GR + "therapeutic-implication" in e["resource"].get("meta", {}).get("profile", [])
    ]
    assert len(implications) == len(report.recommendations)
    for option, implication in zip(report.recommendations, implications, strict=True):
        medications = [
            c["valueCodeableConcept"]["text"]
            for c in implication["component"]
            if c["code"]["coding"][0]["code"] == "51963-7"
        ]
        assert medications == option.drugs
        levels = [
            c["valueCodeableConcept"]["text"]
            for c in implication["component"]
            if c["code"]["coding"][0]["code"] == "93044-6"
        ]
        assert levels and option.evidence.escat in levels[0]


def test_derived_from_points_at_findings_in_the_bundle(rendered: Any) -> None:
    _, bundle, _ = rendered
    urls = {e["fullUrl"]: e["resource"] for e in bundle["entry"]}
    her2 = [u for u, r in urls.items() if r.get("code", {}).get("coding", [{}])[0].get("code") == "48676-1"]
    for reference in _path(bundle, "Bundle.entry.resource.ofType(Observation).derivedFrom.reference"):
        assert reference in urls and urls[reference]["resourceType"] == "Observation"
    for implication in _path(
        bundle, "Bundle.entry.resource.ofType(Observation).where(code.coding.code = 'therapeutic-implication')"
    ):
        assert implication["derivedFrom"][0]["reference"] == her2[0]


def test_every_reference_resolves_in_the_bundle(rendered: Any) -> None:
    _, bundle, _ = rendered
    urls = {e["fullUrl"] for e in bundle["entry"]}
    references = set(_path(bundle, "Bundle.descendants().reference"))
    assert references and references <= urls
    assert len(urls) == len(bundle["entry"])


def test_provenance_names_versions_and_digests(rendered: Any) -> None:
    report, bundle, _ = rendered
    provenance = _path(bundle, "Bundle.entry.resource.ofType(Provenance)")[0]
    assert provenance["agent"][0]["who"]["display"] == f"her2gc {report.generated_by.package_version}"
    digests = [e["what"]["identifier"]["value"] for e in provenance["entity"]]
    assert report.generated_by.kb_sha256 in digests
    assert report.generated_by.kb_version in provenance["entity"][0]["what"]["display"]
    assert len(provenance["target"]) == len(bundle["entry"]) - 1


def test_same_inputs_same_bytes(kb: Any, codes: FhirCodes) -> None:
    case = her2gc.read_case(CASES[0])
    first, second = render(case, kb, codes)[1], render(case, kb, codes)[1]
    assert first == second
    other = her2gc.Case.model_validate({**case.model_dump(mode="json"), "patient_id": "SOMEONE-ELSE"})
    assert json.loads(render(other, kb, codes)[1])["id"] != json.loads(first)["id"]
