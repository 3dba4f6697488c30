"""The report as a FHIR R4 Bundle (type ``collection``): a Genomics Reporting
``genomic-report`` DiagnosticReport (LOINC 51969-4), the HER2 and other biomarker
Observations, ``variant`` Observations, one ``therapeutic-implication`` Observation per
offered option (medication assessed, evidence level, ``derivedFrom`` the findings the option
rests on), the case's other resources (``render.fhir_case``), and a Provenance naming the
package and knowledge-base versions and sha256.

Deterministic: ids are derived from content and no clock is read; the DiagnosticReport's
``effectiveDateTime`` and the Provenance's ``recorded`` are the date of the most recent
finding the report rests on (else the knowledge base's release month). The same report and
case give the same bytes. Sources: HL7 Genomics Reporting IG 3.0.0 (profiles and codes).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import uuid
from collections.abc import Mapping, Sequence
from typing import Any

from her2gc.case import Case
from her2gc.kb.schema import Recommendation
from her2gc.kb.schema_fhir import Code, FhirCodes
from her2gc.render.fhir_case import (
    BundleWriter,
    CaseResources,
    JsonDict,
    write_biomarkers,
    write_her2_tests,
    write_patient,
)
from her2gc.render.fhir_therapy import write_adverse_events, write_medications
from her2gc.render.fhir_variants import write_variants
from her2gc.report import Option, Report

__all__ = ["report_to_bundle", "to_fhir_json"]


def _newest_date(case: Case) -> dt.date | None:
    days: list[dt.date] = [t.date for t in case.her2_tests if t.date]
    days += [a.date for a in case.alterations if a.date] + [p.date for p in case.ctdna]
    days += [d for line in case.treatment_history for d in (line.start, line.end) if d]
    days += [d for e in case.adverse_events for d in (e.onset, e.resolved) if d]
    return max(days) if days else None


def _recorded(case: Case, kb_version: str) -> str:
    newest = _newest_date(case)
    if newest is not None:
        return f"{newest.isoformat()}T00:00:00Z"
    match = re.match(r"^(\d{4})\.(\d{1,2})$", kb_version)
    if match:
        return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}-01T00:00:00Z"
    return "1970-01-01T00:00:00Z"


def _her2_status(writer: BundleWriter, report: Report, resources: CaseResources) -> str:
    codes = writer.codes
    her2 = report.her2
    tests = list(resources.her2_tests)
    if her2.deciding_test is not None and her2.deciding_test < len(tests):
        tests.insert(0, tests.pop(her2.deciding_test))
    body: JsonDict = {
        "meta": {"profile": [codes.profiles["molecular_biomarker"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("biomarker_category")],
        "code": writer.concept(codes.first_observation("her2_interpretation")),
        "subject": {"reference": resources.patient},
        "valueCodeableConcept": writer.answer("interpretation", her2.binary),
    }
    derived = [ref for refs in tests for ref in refs]
    if derived:
        body["derivedFrom"] = [{"reference": ref} for ref in derived]
    body["component"] = [
        {
            "code": writer.role("gene_studied"),
            "valueCodeableConcept": writer.concept(Code(system="hgnc", code="HGNC:3430", display="ERBB2")),
        },
        {"code": writer.local("csco-tier"), "valueCodeableConcept": writer.answer("csco_tier", her2.csco_tier)},
        {"code": writer.role("biomarker_category"), "valueCodeableConcept": writer.role("cell_receptor")},
    ]
    return writer.add("Observation", "her2-status", her2.model_dump(mode="json", exclude={"trace"}), body)


def _rule_of(option: Option, report: Report, recommendations: Sequence[Recommendation]) -> Recommendation | None:
    offered = {item.rule for item in report.trace if item.conclusion == "offered"}
    return next((r for r in recommendations if r.id in offered and r.regimen_id == option.regimen_id), None)


def _rests_on(
    option: Option, report: Report, rule: Recommendation | None, resources: CaseResources, her2_status: str
) -> list[str]:
    """The findings an option rests on: HER2 status always; PD-L1 and MSI where its rule reads them;
    the variants behind resistance findings that its cautions name."""
    rests = [her2_status]
    if (
        rule is not None
        and (rule.pdl1_cps_min is not None or rule.pdl1_cps_max_exclusive is not None)
        and "pdl1" in resources.biomarkers
    ):
        rests.append(resources.biomarkers["pdl1"])
    if rule is not None and rule.msi is not None and "msi" in resources.biomarkers:
        rests.append(resources.biomarkers["msi"])
    named = {caution.split(":", 1)[0] for caution in option.cautions}
    labels = {
        label for mechanism in report.resistance.mechanisms if mechanism.id in named for label in mechanism.alterations
    }
    rests += [
        ref for ref, label in zip(resources.alterations, resources.alteration_labels, strict=True) if label in labels
    ]
    return rests


def _implication(
    writer: BundleWriter,
    option: Option,
    report: Report,
    rule: Recommendation | None,
    resources: CaseResources,
    her2_status: str,
    condition: JsonDict,
) -> str:
    codes = writer.codes
    components: list[JsonDict] = []
    for drug in option.drugs:
        entry = codes.medication_by_drug.get(drug)
        codings = [Code(system="rxnorm", code=c, display=drug) for c in (entry.rxnorm if entry else [])]
        components.append(
            {
                "code": writer.role("medication_assessed"),
                "valueCodeableConcept": writer.concept(*codings, text=drug) if codings else {"text": drug},
            }
        )
    evidence = option.evidence
    components.append(
        {
            "code": writer.role("evidence_level"),
            "valueCodeableConcept": {
                "text": f"ESCAT {evidence.escat}; level {evidence.level}; {evidence.category}, {evidence.setting.replace('_', ' ')}"
            },
        }
    )
    components.append({"code": writer.role("phenotypic_context"), "valueCodeableConcept": condition})
    status = option.approval.status.replace("_", " ") + ("" if option.approval.confirmed else " (unconfirmed)")
    components.append(
        {
            "code": writer.role("therapeutic_implication"),
            "valueCodeableConcept": writer.local(
                "offered-option", f"option {option.rank} for line {report.decision_line}: {option.name}"
            ),
        }
    )
    trials = f"; trials: {', '.join(evidence.trials)}" if evidence.trials else ""
    conclusion = f"{option.name}: rank {option.rank} for line {report.decision_line}; approval in {option.approval.region}: {status}{trials}"
    components.append({"code": writer.role("conclusion_string"), "valueString": conclusion})
    body: JsonDict = {
        "meta": {"profile": [codes.profiles["therapeutic_implication"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("genetics")],
        "code": writer.role("therapeutic_implication", display=False),
        "subject": {"reference": resources.patient},
        "derivedFrom": [{"reference": ref} for ref in _rests_on(option, report, rule, resources, her2_status)],
        "component": components,
    }
    return writer.add(
        "Observation", "therapeutic-implication", {"rank": option.rank, "regimen": option.regimen_id}, body
    )


def _conclusion(report: Report) -> str:
    her2 = report.her2
    options = "; ".join(f"{o.rank}. {o.name}" for o in report.recommendations) or "none offered"
    return f"HER2 {her2.binary} (CSCO 2025 tier {her2.csco_tier}). Options for line {report.decision_line} ({report.region}): {options}. Decision support only: the treating team decides."


def report_to_bundle(
    report: Report,
    case: Case,
    codes: FhirCodes,
    *,
    recommendations: Sequence[Recommendation] = (),
    hgnc_ids: Mapping[str, str] | None = None,
) -> JsonDict:
    """The FHIR R4 collection Bundle of a report and its case (see the module docstring).

    ``recommendations`` (the knowledge base's) let each therapeutic implication point at the
    findings its rule reads; ``hgnc_ids`` (symbol -> HGNC id) code the genes.
    """
    hgnc = dict(hgnc_ids or {})
    hgnc.setdefault("ERBB2", "HGNC:3430")
    writer = BundleWriter(codes=codes, patient_key=case.patient_id)
    resources = write_patient(writer, case, codes)
    write_her2_tests(writer, resources, case, hgnc)
    her2_status = _her2_status(writer, report, resources)
    write_biomarkers(writer, resources, case, hgnc)
    write_variants(writer, resources, case, hgnc)
    condition = next(e["resource"] for e in writer.entries if e["fullUrl"] == resources.condition)["code"]
    implications = [
        _implication(writer, o, report, _rule_of(o, report, recommendations), resources, her2_status, condition)
        for o in report.recommendations
    ]
    statements = write_medications(writer, resources, case)
    write_adverse_events(writer, resources, case, statements)
    newest = _newest_date(case)
    results = [ref for refs in resources.her2_tests for ref in refs] + [
        her2_status,
        *resources.biomarkers.values(),
        *resources.alterations,
        *resources.ctdna,
        *resources.other_results,
        *implications,
    ]
    notes = (
        [w.message for w in report.warnings]
        + [n.text + ("" if n.confirmed else " [unconfirmed]") for n in report.notes]
        + [d.text + ("" if d.confirmed else " [unconfirmed]") for d in report.her2.action_details]
    )
    diagnostic: JsonDict = {
        "meta": {"profile": [codes.profiles["genomic_report"]]},
        "extension": [
            {
                "url": "http://hl7.org/fhir/uv/genomics-reporting/StructureDefinition/genomic-report-note",
                "valueAnnotation": {"text": note},
            }
            for note in notes
        ],
        "status": "final",
        "category": [writer.role("genetics")],
        "code": writer.role("genomic_report", display=False),
        "subject": {"reference": resources.patient},
        **({"effectiveDateTime": newest.isoformat()} if newest else {}),
        "specimen": [{"reference": ref} for ref in resources.specimens],
        "result": [{"reference": ref} for ref in results],
        "conclusion": _conclusion(report),
    }
    if not diagnostic["extension"]:
        diagnostic.pop("extension")
    if not diagnostic["specimen"]:
        diagnostic.pop("specimen")
    report_ref = writer.add("DiagnosticReport", "genomic-report", diagnostic, diagnostic)
    writer.entries.insert(0, writer.entries.pop())  # the report first: what a receiving system looks for
    generated = report.generated_by
    entities = [
        {
            "role": "source",
            "what": {
                "identifier": {"type": {"text": "sha256"}, "value": generated.kb_sha256},
                "display": f"her2gc knowledge base {generated.kb_version}",
            },
        }
    ]
    if generated.model_sha256:
        entities.append(
            {
                "role": "source",
                "what": {
                    "identifier": {"type": {"text": "sha256"}, "value": generated.model_sha256},
                    "display": "her2gc mechanistic model",
                },
            }
        )
    provenance: JsonDict = {
        "target": [{"reference": entry["fullUrl"]} for entry in writer.entries],
        "recorded": _recorded(case, generated.kb_version),
        "agent": [{"type": writer.role("author"), "who": {"display": f"her2gc {generated.package_version}"}}],
        "entity": entities,
    }
    writer.add(
        "Provenance",
        "provenance",
        {"report": report_ref, "generated_by": generated.model_dump(mode="json")},
        provenance,
    )
    # Every entry's id is derived from its content, so the ids stand for the whole bundle.
    digest = hashlib.sha256("|".join(entry["fullUrl"] for entry in writer.entries).encode()).hexdigest()
    bundle_id = str(uuid.UUID(digest[:32]))
    return {"resourceType": "Bundle", "id": bundle_id, "type": "collection", "entry": writer.entries}


def to_fhir_json(report: Report, case: Case, codes: FhirCodes, **options: Any) -> str:
    """The Bundle as compact JSON text (keys in FHIR's order, one trailing newline): the form
    FHIR servers exchange, and written by the C encoder (an indented dump takes ten times longer)."""
    return (
        json.dumps(report_to_bundle(report, case, codes, **options), ensure_ascii=False, separators=(",", ":")) + "\n"
    )
