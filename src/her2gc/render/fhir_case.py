"""The case as FHIR R4 resources: what the report rests on, written so that the reader
(``her2gc.readers.fhir``) maps it back to the same case.

Patient, the primary cancer Condition (ICD-10 and ICD-O-3 with the mCODE histology
extension), comorbidity Conditions, one Specimen per HER2 test and per sequenced sample,
HER2 IHC and ISH Observations (Genomics Reporting ``molecular-biomarker``), PD-L1, MSI,
claudin 18.2, ECOG, LVEF, tumour fraction and ncRNA; ``render.fhir_variants`` writes the
variant Observations and ``render.fhir_therapy`` the medications and adverse events. Codes
come from ``fhir_codes.yaml``; ids are derived from content, so the same case gives the
same resources byte for byte.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from her2gc.case import Case, Her2Test
from her2gc.kb.schema_fhir import CancerCode, Code, FhirCodes

JsonDict = dict[str, Any]


@dataclass
class BundleWriter:
    """Resources in order, each with an id derived from its kind and content."""

    codes: FhirCodes
    patient_key: str
    entries: list[JsonDict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)
    namespace: uuid.UUID = field(init=False)
    _codings: dict[tuple[str, str, str | None], JsonDict] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.codes.local.code_system)

    def add(self, resource_type: str, kind: str, key: object, body: JsonDict) -> str:
        """Add a resource; return the reference to it (``urn:uuid:...``)."""
        rid = str(
            uuid.uuid5(self.namespace, f"{self.patient_key}|{kind}|{json.dumps(key, sort_keys=True, default=str)}")
        )
        if rid in self.ids:
            raise ValueError(f"duplicate resource key {kind} {key!r}")  # a programming error: keys must be unique
        self.ids.add(rid)
        self.entries.append(
            {"fullUrl": f"urn:uuid:{rid}", "resource": {"resourceType": resource_type, "id": rid, **body}}
        )
        return f"urn:uuid:{rid}"

    def coding(self, code: Code, *, display: bool = True) -> JsonDict:
        """A Coding; one object per code, shared by the resources that use it (never changed)."""
        key = (code.system, code.code, code.display if display else None)
        if key not in self._codings:
            coding: JsonDict = {"system": self.codes.uri(code.system), "code": code.code}
            if key[2]:
                coding["display"] = key[2]
            self._codings[key] = coding
        return self._codings[key]

    def concept(self, *codes: Code, text: str | None = None, display: bool = True) -> JsonDict:
        """A CodeableConcept. ``display=False`` for a code a profile fixes by pattern: offline
        checkers compare such patterns whole, and the code alone is what the profile states."""
        concept: JsonDict = {"coding": [self.coding(c, display=display) for c in codes]}
        if text:
            concept["text"] = text
        return concept

    def role(self, name: str, *, display: bool = True) -> JsonDict:
        return self.concept(self.codes.components[name], display=display)

    def local(self, code: str, text: str | None = None) -> JsonDict:
        return self.concept(self.codes.local_code(code), text=text)

    def answer(self, field_name: str, value: str) -> JsonDict:
        found = self.codes.answer_for(field_name, value)
        if found is None:
            raise KeyError(f"no {field_name} answer code for {value!r} in fhir_codes.yaml")
        return self.concept(found, text=value)

    def extension(self, name: str, value_key: str, value: object) -> JsonDict:
        return {"url": self.codes.extension_url(name), value_key: value}


def effective(day: dt.date | None) -> JsonDict:
    return {"effectiveDateTime": day.isoformat()} if day else {}


def quantity(value: float, unit: str, code: str | None = None) -> JsonDict:
    quantity: JsonDict = {"value": value, "unit": unit}
    if code is not None:
        quantity |= {"system": "http://unitsofmeasure.org", "code": code}
    return quantity


@dataclass
class CaseResources:
    """References to what was written, for the report part to point at."""

    patient: str
    condition: str
    her2_tests: list[list[str]] = field(default_factory=list)
    specimens: list[str] = field(default_factory=list)
    biomarkers: dict[str, str] = field(default_factory=dict)
    alterations: list[str] = field(default_factory=list)
    alteration_labels: list[str] = field(default_factory=list)
    ctdna: list[str] = field(default_factory=list)
    other_results: list[str] = field(default_factory=list)


def biomarker(writer: BundleWriter, code: JsonDict, subject: str, categories: list[str]) -> JsonDict:
    return {
        "meta": {"profile": [writer.codes.profiles["molecular_biomarker"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("biomarker_category")],
        "code": code,
        "subject": {"reference": subject},
        "_components": [
            {"code": writer.role("biomarker_category"), "valueCodeableConcept": writer.role(c)} for c in categories
        ],
    }


def finish(body: JsonDict, components: list[JsonDict]) -> JsonDict:
    """Put the components last, after the value, the order the IG's examples use."""
    base = body.pop("_components", [])
    if base or components:
        body["component"] = components + base
    return body


def gene_component(writer: BundleWriter, symbol: str, hgnc_ids: Mapping[str, str]) -> JsonDict:
    hgnc = hgnc_ids.get(symbol)
    value = writer.concept(Code(system="hgnc", code=hgnc, display=symbol)) if hgnc else {"text": symbol}
    return {"code": writer.role("gene_studied"), "valueCodeableConcept": value}


def _match_display(table: list[CancerCode], system: str, code: str) -> str | None:
    """The display of the longest table entry a written code falls under."""
    hits = [
        c for c in table if c.system == system and (c.code == code or (c.match == "prefix" and code.startswith(c.code)))
    ]
    return max(hits, key=lambda c: len(c.code)).display if hits else None


def write_patient(writer: BundleWriter, case: Case, codes: FhirCodes) -> CaseResources:
    identifiers = [{"type": writer.role("medical_record_number"), "value": case.patient_id}]
    identifiers += [{"type": writer.local("sample-id"), "value": sample} for sample in case.sample_ids]
    patient = writer.add("Patient", "patient", case.patient_id, {"identifier": identifiers})
    tumour = case.tumour
    written = codes.cancer.written[tumour.site]
    disorder = Code(
        system="icd10", code=written["icd10"], display=_match_display(codes.cancer.disorders, "icd10", written["icd10"])
    )
    topography = Code(
        system="icdo3",
        code=written["icdo3"],
        display=_match_display(codes.cancer.topography, "icdo3", written["icdo3"]),
    )
    condition_codes: list[Code] = [disorder]
    if tumour.oncotree_code:
        condition_codes.append(Code(system="oncotree", code=tumour.oncotree_code))
    lauren = {"intestinal": "lauren-intestinal", "diffuse": "lauren-diffuse", "mixed": "lauren-mixed"}.get(
        tumour.lauren
    )
    morphology = [m for m in codes.cancer.morphology if m.system == "icdo3" and m.code == "8140/3"]
    if lauren:
        morphology.append(next(m for m in codes.cancer.morphology if m.code == lauren))
    body: JsonDict = {
        "extension": [
            {
                "url": codes.cancer.histology_extension,
                "valueCodeableConcept": writer.concept(*morphology, text=tumour.histology),
            },
            writer.extension("metastatic", "valueBoolean", tumour.metastatic),
        ],
        "clinicalStatus": writer.role("active"),
        "verificationStatus": writer.role("confirmed"),
        "category": [writer.role("problem_list_item")],
        "code": writer.concept(
            *condition_codes,
            text=f"{tumour.histology} of the {'gastro-oesophageal junction' if tumour.site == 'gej' else tumour.site}",
        ),
        "bodySite": [writer.concept(topography)],
        "subject": {"reference": patient},
    }
    condition = writer.add("Condition", "primary-cancer", tumour.model_dump(mode="json"), body)
    resources = CaseResources(patient=patient, condition=condition)
    for name, present in (
        ("ild_history", case.comorbidities.ild_history),
        ("heart_failure", case.comorbidities.heart_failure),
    ):
        if present:
            code = next(c for c in codes.comorbidities if c.comorbidity == name and c.system == "snomed")
            writer.add(
                "Condition",
                "comorbidity",
                name,
                {
                    "clinicalStatus": writer.role("active"),
                    "verificationStatus": writer.role("confirmed"),
                    "category": [writer.role("problem_list_item")],
                    "code": writer.concept(code),
                    "subject": {"reference": patient},
                },
            )
    return resources


def write_specimen(
    writer: BundleWriter,
    resources: CaseResources,
    kind: str,
    key: object,
    day: dt.date | None,
    *,
    site: str | None = None,
    sample: str | None = None,
) -> str:
    code = next(s for s in writer.codes.specimens if s.system == "local" and s.specimen == kind)
    body: JsonDict = {"type": writer.concept(code), "subject": {"reference": resources.patient}}
    if sample:
        body["accessionIdentifier"] = {"value": sample}
    collection: JsonDict = {}
    if day:
        collection["collectedDateTime"] = day.isoformat()
    if site:
        collection["bodySite"] = {"text": site}
    if collection:
        body["collection"] = collection
    reference = writer.add("Specimen", f"specimen-{kind}", key, body)
    resources.specimens.append(reference)
    return reference


def _her2_observation(
    writer: BundleWriter, resources: CaseResources, test: Her2Test, index: int, specimen: str, code: JsonDict, key: str
) -> JsonDict:
    body = biomarker(writer, code, resources.patient, ["immune_stain" if key == "ihc" else "molgen", "cell_receptor"])
    body["extension"] = [writer.extension("her2-test-setting", "valueCode", test.setting)]
    body.update(effective(test.date))
    body["specimen"] = {"reference": specimen}
    return body


def write_her2_tests(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    codes = writer.codes
    for index, test in enumerate(case.her2_tests):
        key = {"index": index, "test": test.model_dump(mode="json")}
        specimen = write_specimen(writer, resources, test.specimen, key, test.date, site=test.site)
        gene = gene_component(writer, "ERBB2", hgnc_ids)
        fragments = (
            [{"code": writer.local("tumour-fragments"), "valueInteger": test.tumour_fragments}]
            if test.tumour_fragments is not None
            else []
        )
        written: list[str] = []
        if test.ihc is not None:
            ihc = test.ihc
            body = _her2_observation(
                writer, resources, test, index, specimen, writer.concept(codes.first_observation("her2_ihc")), "ihc"
            )
            if ihc.score is not None:
                body["valueCodeableConcept"] = writer.answer("ihc_score", ihc.score)
            raw: list[JsonDict] = []
            if ihc.percent_cells is not None:
                raw.append(
                    {"code": writer.local("ihc-percent-cells"), "valueQuantity": quantity(ihc.percent_cells, "%", "%")}
                )
            if ihc.largest_cluster_cells is not None:
                raw.append({"code": writer.local("ihc-largest-cluster"), "valueInteger": ihc.largest_cluster_cells})
            for name, local in (("intensity", "ihc-intensity"), ("pattern", "ihc-pattern")):
                if getattr(ihc, name) is not None:
                    raw.append(
                        {"code": writer.local(local), "valueCodeableConcept": writer.answer(name, getattr(ihc, name))}
                    )
            written.append(writer.add("Observation", "her2-ihc", key, finish(body, [gene, *raw, *fragments])))
        if test.ish is not None:
            ish = test.ish
            parts = (
                ("her2_ish_ratio", ish.ratio, "{ratio}"),
                ("her2_signals_per_nucleus", ish.her2_signals_per_cell, None),
                ("cep17_signals_per_nucleus", ish.cep17_signals_per_cell, None),
            )
            for kind, value, unit in parts:
                if value is None:
                    continue
                body = _her2_observation(
                    writer, resources, test, index, specimen, writer.concept(codes.first_observation(kind)), "ish"
                )
                body["valueQuantity"] = (
                    quantity(value, "ratio", unit) if unit else quantity(value, "signals per nucleus")
                )
                written.append(
                    writer.add("Observation", kind, key, finish(body, [gene, *([] if written else fragments)]))
                )
            if ish.reported_result is not None:
                body = _her2_observation(
                    writer,
                    resources,
                    test,
                    index,
                    specimen,
                    writer.concept(codes.first_observation("her2_ish_interpretation")),
                    "ish",
                )
                body["valueCodeableConcept"] = writer.answer("ish_result", ish.reported_result)
                written.append(
                    writer.add(
                        "Observation", "her2-ish-result", key, finish(body, [gene, *([] if written else fragments)])
                    )
                )
        resources.her2_tests.append(written)


def write_biomarkers(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    codes = writer.codes
    subject = {"reference": resources.patient}
    if case.pdl1 is not None:
        pdl1 = case.pdl1
        by_22c3 = (pdl1.assay or "").upper().replace(" ", "") == "22C3"
        code = (
            writer.concept(codes.first_observation("pdl1"))
            if by_22c3
            else writer.concept(codes.first_observation("pdl1_cps"))
        )
        body = biomarker(writer, code, resources.patient, ["cell_receptor_ligand", "immune_stain"])
        parts: list[JsonDict] = [
            {"code": writer.local("pdl1-cps"), "valueQuantity": quantity(pdl1.cps, "score", "{score}")}
        ]
        if by_22c3:
            body.pop("_components")
            body["_components"] = [
                {"code": writer.role("biomarker_category"), "valueCodeableConcept": writer.role(c)}
                for c in ("cell_receptor_ligand", "immune_stain")
            ]
        else:
            body["valueQuantity"] = quantity(pdl1.cps, "score", "{score}")
            parts = []
        if pdl1.assay:
            parts.append({"code": writer.local("pdl1-assay"), "valueString": pdl1.assay})
        parts.append(gene_component(writer, "CD274", hgnc_ids))
        resources.biomarkers["pdl1"] = writer.add(
            "Observation", "pdl1", pdl1.model_dump(mode="json"), finish(body, parts)
        )
    if case.msi != "unknown":
        body = biomarker(writer, writer.concept(codes.first_observation("msi")), resources.patient, ["molgen"])
        body["valueCodeableConcept"] = writer.answer("msi", case.msi)
        resources.biomarkers["msi"] = writer.add("Observation", "msi", case.msi, finish(body, []))
    if case.cldn18_2 is not None:
        body = biomarker(
            writer, writer.concept(codes.first_observation("cldn18_2")), resources.patient, ["immune_stain", "protein"]
        )
        body["valueQuantity"] = quantity(case.cldn18_2.percent_moderate_strong, "%", "%")
        if case.cldn18_2.assay:
            body["method"] = {"text": case.cldn18_2.assay}
        resources.biomarkers["cldn18_2"] = writer.add(
            "Observation", "cldn18-2", case.cldn18_2.model_dump(mode="json"), finish(body, [])
        )
    simple = (
        ("ecog", case.ecog, "survey", lambda v: {"valueInteger": v}),
        ("lvef", case.comorbidities.lvef_percent, "imaging", lambda v: {"valueQuantity": quantity(v, "%", "%")}),
        (
            "tumour_fraction",
            case.tumour_fraction,
            "laboratory",
            lambda v: {"valueQuantity": quantity(v, "fraction", "1")},
        ),
    )
    for kind, value, category, shape in simple:
        if value is not None:
            body = {
                "status": "final",
                "category": [writer.role(category)],
                "code": writer.concept(codes.first_observation(kind)),
                "subject": subject,
                **shape(value),
            }
            resources.other_results.append(writer.add("Observation", kind, value, body))
    for index, finding in enumerate(case.ncrna):
        body = {
            "status": "final",
            "category": [writer.role("laboratory")],
            "code": writer.concept(codes.first_observation("ncrna_expression")),
            "subject": subject,
        }
        body |= {
            "valueCodeableConcept": writer.answer("ncrna_direction", finding.direction),
            "component": [{"code": writer.local("ncrna-name"), "valueString": finding.name}],
        }
        resources.other_results.append(
            writer.add("Observation", "ncrna", {"index": index, **finding.model_dump(mode="json")}, body)
        )
