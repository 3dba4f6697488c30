"""The case as FHIR R4 resources: what the report rests on, written so that the reader
(``her2gc.readers.fhir``) maps it back to the same case.

Patient, the primary cancer Condition (ICD-10 and ICD-O-3 with the mCODE histology
extension), comorbidity Conditions, one Specimen per HER2 test and per sequenced sample,
HER2 IHC and ISH Observations (Genomics Reporting ``molecular-biomarker``), PD-L1, MSI,
claudin 18.2, ECOG, LVEF, tumour fraction, ncRNA, ``variant`` Observations for alterations
and ctDNA measurements, a MedicationStatement per drug and line, and AdverseEvents. Codes
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

from her2gc.case import AdverseEvent, Alteration, Case, Her2Test
from her2gc.kb.schema_fhir import CancerCode, Code, FhirCodes

JsonDict = dict[str, Any]
_AE_DETAILS = (
    ("lvef_percent", "lvef-percent", "valueDecimal"), ("lvef_drop_points", "lvef-drop-points", "valueDecimal"),
    ("lvef_below_lln", "lvef-below-lln", "valueBoolean"), ("urine_protein_g_per_24h", "urine-protein-g-per-24h", "valueDecimal"),
    ("nephrotic_syndrome", "nephrotic-syndrome", "valueBoolean"), ("controlled", "controlled", "valueBoolean"),
    ("organ", "organ", "valueString"), ("symptom", "symptom", "valueString"),
)  # fmt: skip


@dataclass
class BundleWriter:
    """Resources in order, each with an id derived from its kind and content."""

    codes: FhirCodes
    patient_key: str
    entries: list[JsonDict] = field(default_factory=list)
    ids: set[str] = field(default_factory=set)

    def add(self, resource_type: str, kind: str, key: object, body: JsonDict) -> str:
        """Add a resource; return the reference to it (``urn:uuid:...``)."""
        namespace = uuid.uuid5(uuid.NAMESPACE_URL, self.codes.local.code_system)
        rid = str(uuid.uuid5(namespace, f"{self.patient_key}|{kind}|{json.dumps(key, sort_keys=True, default=str)}"))
        if rid in self.ids:
            raise ValueError(f"duplicate resource key {kind} {key!r}")  # a programming error: keys must be unique
        self.ids.add(rid)
        self.entries.append({"fullUrl": f"urn:uuid:{rid}", "resource": {"resourceType": resource_type, "id": rid, **body}})
        return f"urn:uuid:{rid}"

    def coding(self, code: Code, *, display: bool = True) -> JsonDict:
        coding: JsonDict = {"system": self.codes.uri(code.system), "code": code.code}
        if code.display and display:
            coding["display"] = code.display
        return coding

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


def _date(day: dt.date | None) -> JsonDict:
    return {"effectiveDateTime": day.isoformat()} if day else {}


def _quantity(value: float, unit: str, code: str | None = None) -> JsonDict:
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


def _biomarker(writer: BundleWriter, code: JsonDict, subject: str, categories: list[str]) -> JsonDict:
    return {
        "meta": {"profile": [writer.codes.profiles["molecular_biomarker"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("biomarker_category")],
        "code": code,
        "subject": {"reference": subject},
        "_components": [{"code": writer.role("biomarker_category"), "valueCodeableConcept": writer.role(c)} for c in categories],
    }


def _finish(body: JsonDict, components: list[JsonDict]) -> JsonDict:
    """Put the components last, after the value, the order the IG's examples use."""
    base = body.pop("_components", [])
    if base or components:
        body["component"] = components + base
    return body


def _gene_component(writer: BundleWriter, symbol: str, hgnc_ids: Mapping[str, str]) -> JsonDict:
    hgnc = hgnc_ids.get(symbol)
    value = writer.concept(Code(system="hgnc", code=hgnc, display=symbol)) if hgnc else {"text": symbol}
    return {"code": writer.role("gene_studied"), "valueCodeableConcept": value}


def _match_display(table: list[CancerCode], system: str, code: str) -> str | None:
    """The display of the longest table entry a written code falls under."""
    hits = [c for c in table if c.system == system and (c.code == code or (c.match == "prefix" and code.startswith(c.code)))]
    return max(hits, key=lambda c: len(c.code)).display if hits else None


def write_patient(writer: BundleWriter, case: Case, codes: FhirCodes) -> CaseResources:
    identifiers = [{"type": writer.role("medical_record_number"), "value": case.patient_id}]
    identifiers += [{"type": writer.local("sample-id"), "value": sample} for sample in case.sample_ids]
    patient = writer.add("Patient", "patient", case.patient_id, {"identifier": identifiers})
    tumour = case.tumour
    written = codes.cancer.written[tumour.site]
    disorder = Code(system="icd10", code=written["icd10"], display=_match_display(codes.cancer.disorders, "icd10", written["icd10"]))
    topography = Code(system="icdo3", code=written["icdo3"], display=_match_display(codes.cancer.topography, "icdo3", written["icdo3"]))
    condition_codes: list[Code] = [disorder]
    if tumour.oncotree_code:
        condition_codes.append(Code(system="oncotree", code=tumour.oncotree_code))
    lauren = {"intestinal": "lauren-intestinal", "diffuse": "lauren-diffuse", "mixed": "lauren-mixed"}.get(tumour.lauren)
    morphology = [m for m in codes.cancer.morphology if m.system == "icdo3" and m.code == "8140/3"]
    if lauren:
        morphology.append(next(m for m in codes.cancer.morphology if m.code == lauren))
    body: JsonDict = {
        "extension": [
            {"url": codes.cancer.histology_extension, "valueCodeableConcept": writer.concept(*morphology, text=tumour.histology)},
            writer.extension("metastatic", "valueBoolean", tumour.metastatic),
        ],
        "clinicalStatus": writer.role("active"),
        "verificationStatus": writer.role("confirmed"),
        "category": [writer.role("problem_list_item")],
        "code": writer.concept(*condition_codes, text=f"{tumour.histology} of the {'gastro-oesophageal junction' if tumour.site == 'gej' else tumour.site}"),
        "bodySite": [writer.concept(topography)],
        "subject": {"reference": patient},
    }
    condition = writer.add("Condition", "primary-cancer", tumour.model_dump(mode="json"), body)
    resources = CaseResources(patient=patient, condition=condition)
    for name, present in (("ild_history", case.comorbidities.ild_history), ("heart_failure", case.comorbidities.heart_failure)):
        if present:
            code = next(c for c in codes.comorbidities if c.comorbidity == name and c.system == "snomed")
            writer.add("Condition", "comorbidity", name, {"clinicalStatus": writer.role("active"), "verificationStatus": writer.role("confirmed"), "category": [writer.role("problem_list_item")], "code": writer.concept(code), "subject": {"reference": patient}})
    return resources


def _specimen(writer: BundleWriter, resources: CaseResources, kind: str, key: object, day: dt.date | None, *, site: str | None = None, sample: str | None = None) -> str:
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


def _her2_observation(writer: BundleWriter, resources: CaseResources, test: Her2Test, index: int, specimen: str, code: JsonDict, key: str) -> JsonDict:
    body = _biomarker(writer, code, resources.patient, ["immune_stain" if key == "ihc" else "molgen", "cell_receptor"])
    body["extension"] = [writer.extension("her2-test-setting", "valueCode", test.setting)]
    body.update(_date(test.date))
    body["specimen"] = {"reference": specimen}
    return body


def write_her2_tests(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    codes = writer.codes
    for index, test in enumerate(case.her2_tests):
        key = {"index": index, "test": test.model_dump(mode="json")}
        specimen = _specimen(writer, resources, test.specimen, key, test.date, site=test.site)
        gene = _gene_component(writer, "ERBB2", hgnc_ids)
        fragments = [{"code": writer.local("tumour-fragments"), "valueInteger": test.tumour_fragments}] if test.tumour_fragments is not None else []
        written: list[str] = []
        if test.ihc is not None:
            ihc = test.ihc
            body = _her2_observation(writer, resources, test, index, specimen, writer.concept(codes.first_observation("her2_ihc")), "ihc")
            if ihc.score is not None:
                body["valueCodeableConcept"] = writer.answer("ihc_score", ihc.score)
            raw: list[JsonDict] = []
            if ihc.percent_cells is not None:
                raw.append({"code": writer.local("ihc-percent-cells"), "valueQuantity": _quantity(ihc.percent_cells, "%", "%")})
            if ihc.largest_cluster_cells is not None:
                raw.append({"code": writer.local("ihc-largest-cluster"), "valueInteger": ihc.largest_cluster_cells})
            for name, local in (("intensity", "ihc-intensity"), ("pattern", "ihc-pattern")):
                if getattr(ihc, name) is not None:
                    raw.append({"code": writer.local(local), "valueCodeableConcept": writer.answer(name, getattr(ihc, name))})
            written.append(writer.add("Observation", "her2-ihc", key, _finish(body, [gene, *raw, *fragments])))
        if test.ish is not None:
            ish = test.ish
            parts = (("her2_ish_ratio", ish.ratio, "{ratio}"), ("her2_signals_per_nucleus", ish.her2_signals_per_cell, None), ("cep17_signals_per_nucleus", ish.cep17_signals_per_cell, None))
            for kind, value, unit in parts:
                if value is None:
                    continue
                body = _her2_observation(writer, resources, test, index, specimen, writer.concept(codes.first_observation(kind)), "ish")
                body["valueQuantity"] = _quantity(value, "ratio", unit) if unit else _quantity(value, "signals per nucleus")
                written.append(writer.add("Observation", kind, key, _finish(body, [gene, *([] if written else fragments)])))
            if ish.reported_result is not None:
                body = _her2_observation(writer, resources, test, index, specimen, writer.concept(codes.first_observation("her2_ish_interpretation")), "ish")
                body["valueCodeableConcept"] = writer.answer("ish_result", ish.reported_result)
                written.append(writer.add("Observation", "her2-ish-result", key, _finish(body, [gene, *([] if written else fragments)])))
        resources.her2_tests.append(written)


def write_biomarkers(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    codes = writer.codes
    subject = {"reference": resources.patient}
    if case.pdl1 is not None:
        pdl1 = case.pdl1
        by_22c3 = (pdl1.assay or "").upper().replace(" ", "") == "22C3"
        code = writer.concept(codes.first_observation("pdl1")) if by_22c3 else writer.concept(codes.first_observation("pdl1_cps"))
        body = _biomarker(writer, code, resources.patient, ["cell_receptor_ligand", "immune_stain"])
        parts: list[JsonDict] = [{"code": writer.local("pdl1-cps"), "valueQuantity": _quantity(pdl1.cps, "score", "{score}")}]
        if by_22c3:
            body.pop("_components")
            body["_components"] = [{"code": writer.role("biomarker_category"), "valueCodeableConcept": writer.role(c)} for c in ("cell_receptor_ligand", "immune_stain")]
        else:
            body["valueQuantity"] = _quantity(pdl1.cps, "score", "{score}")
            parts = []
        if pdl1.assay:
            parts.append({"code": writer.local("pdl1-assay"), "valueString": pdl1.assay})
        parts.append(_gene_component(writer, "CD274", hgnc_ids))
        resources.biomarkers["pdl1"] = writer.add("Observation", "pdl1", pdl1.model_dump(mode="json"), _finish(body, parts))
    if case.msi != "unknown":
        body = _biomarker(writer, writer.concept(codes.first_observation("msi")), resources.patient, ["molgen"])
        body["valueCodeableConcept"] = writer.answer("msi", case.msi)
        resources.biomarkers["msi"] = writer.add("Observation", "msi", case.msi, _finish(body, []))
    if case.cldn18_2 is not None:
        body = _biomarker(writer, writer.concept(codes.first_observation("cldn18_2")), resources.patient, ["immune_stain", "protein"])
        body["valueQuantity"] = _quantity(case.cldn18_2.percent_moderate_strong, "%", "%")
        if case.cldn18_2.assay:
            body["method"] = {"text": case.cldn18_2.assay}
        resources.biomarkers["cldn18_2"] = writer.add("Observation", "cldn18-2", case.cldn18_2.model_dump(mode="json"), _finish(body, []))
    simple = (
        ("ecog", case.ecog, "survey", lambda v: {"valueInteger": v}),
        ("lvef", case.comorbidities.lvef_percent, "imaging", lambda v: {"valueQuantity": _quantity(v, "%", "%")}),
        ("tumour_fraction", case.tumour_fraction, "laboratory", lambda v: {"valueQuantity": _quantity(v, "fraction", "1")}),
    )
    for kind, value, category, shape in simple:
        if value is not None:
            body = {"status": "final", "category": [writer.role(category)], "code": writer.concept(codes.first_observation(kind)), "subject": subject, **shape(value)}
            resources.other_results.append(writer.add("Observation", kind, value, body))
    for index, finding in enumerate(case.ncrna):
        body = {"status": "final", "category": [writer.role("laboratory")], "code": writer.concept(codes.first_observation("ncrna_expression")), "subject": subject}
        body |= {"valueCodeableConcept": writer.answer("ncrna_direction", finding.direction), "component": [{"code": writer.local("ncrna-name"), "valueString": finding.name}]}
        resources.other_results.append(writer.add("Observation", "ncrna", {"index": index, **finding.model_dump(mode="json")}, body))


def _variant(writer: BundleWriter, resources: CaseResources, gene: str, day: dt.date | None, specimen: str, hgnc_ids: Mapping[str, str]) -> JsonDict:
    codes = writer.codes
    return {
        "meta": {"profile": [codes.profiles["variant"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("genetics")],
        "code": writer.concept(codes.first_observation("variant"), display=False),
        "subject": {"reference": resources.patient},
        **_date(day),
        "specimen": {"reference": specimen},
        "valueCodeableConcept": writer.answer("presence", "present"),
        "_components": [_gene_component(writer, gene, hgnc_ids), {"code": writer.role("genomic_source_class"), "valueCodeableConcept": writer.answer("genomic_source", "somatic")}],
    }


def _measurements(writer: BundleWriter, kind: str | None, protein: str | None, copy_number: float | None, vaf: float | None) -> list[JsonDict]:
    parts: list[JsonDict] = []
    if kind is not None:
        change = next(c for c in writer.codes.change_types if c.kind == kind)
        parts.append({"code": writer.role("dna_change_type"), "valueCodeableConcept": writer.concept(change)})
    if protein:
        parts.append({"code": writer.role("protein_hgvs"), "valueCodeableConcept": writer.concept(Code(system="hgvs", code=protein))})
    if copy_number is not None:
        parts.append({"code": writer.role("copy_number"), "valueQuantity": _quantity(copy_number, "copies", "1")})
    if vaf is not None:
        parts.append({"code": writer.role("allele_frequency"), "valueQuantity": _quantity(vaf, "fraction", "1")})
    return parts


def write_variants(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    for index, alteration in enumerate(case.alterations):
        key = {"index": index, **alteration.model_dump(mode="json")}
        kind = "plasma" if alteration.source == "plasma" else "biopsy"
        specimen = _specimen(writer, resources, kind, key, alteration.date, sample=alteration.sample_id)
        body = _variant(writer, resources, alteration.gene, alteration.date, specimen, hgnc_ids)
        reference = writer.add("Observation", "variant", key, _finish(body, _measurements(writer, alteration.kind, alteration.protein_change, alteration.copy_number, alteration.vaf)))
        resources.alterations.append(reference)
        resources.alteration_labels.append(_label(alteration))
    for index, point in enumerate(case.ctdna):
        specimen = _specimen(writer, resources, "plasma", {"ctdna": index, "date": point.date}, point.date)
        timing = [{"code": writer.local("ctdna-timing"), "valueCodeableConcept": writer.answer("ctdna_timing", point.timing)}] if point.timing else []
        rows: list[tuple[str, str | None, float | None, float | None]] = []
        if point.erbb2_copy_number is not None:
            rows.append(("ERBB2", None, point.erbb2_copy_number, None))
        rows += [(v.gene, v.protein_change, None, v.vaf) for v in point.variants]
        for row_index, (gene, protein, copy_number, vaf) in enumerate(rows):
            body = _variant(writer, resources, gene, point.date, specimen, hgnc_ids)
            body["category"].append(writer.local("ctdna-monitoring"))
            parts = _measurements(writer, None, protein, copy_number, vaf) + timing
            resources.ctdna.append(writer.add("Observation", "ctdna", {"point": index, "row": row_index, "date": point.date}, _finish(body, parts)))


def _label(alteration: Alteration) -> str:
    return alteration.label()


def write_medications(writer: BundleWriter, resources: CaseResources, case: Case) -> dict[str, str]:
    """MedicationStatements of the history and the current therapy; INN -> the latest statement of each drug."""
    latest: dict[str, str] = {}
    for line in case.treatment_history:
        for drug in line.drugs:
            body = _statement(writer, resources, drug, "completed" if line.end else "stopped")
            body["extension"] = [writer.extension("line-of-therapy", "valueInteger", line.line)]
            if line.best_response:
                body["extension"].append(writer.extension("best-response", "valueCode", line.best_response))
            if line.stop_reason:
                reason = next(r for r in writer.codes.stop_reasons if r.system == "local" and r.stop_reason == line.stop_reason)
                body["statusReason"] = [writer.concept(reason)]
            period = {k: v.isoformat() for k, v in (("start", line.start), ("end", line.end)) if v}
            if period:
                body["effectivePeriod"] = period
            latest[drug] = writer.add("MedicationStatement", "line", {"line": line.line, "drug": drug}, _order(body))
    therapy = case.current_therapy
    if therapy is not None:
        for drug in therapy.drugs:
            body = _statement(writer, resources, drug, "active")
            dose = therapy.dose_of(drug)
            if dose is not None:
                body["dosage"] = [{"doseAndRate": [{"doseQuantity": _quantity(dose, "mg/kg", "mg/kg")}]}]
            latest[drug] = writer.add("MedicationStatement", "current", drug, _order(body))
    return latest


def _statement(writer: BundleWriter, resources: CaseResources, drug: str, status: str) -> JsonDict:
    entry = writer.codes.medication_by_drug.get(drug)
    codings = [Code(system="rxnorm", code=c, display=drug) for c in entry.rxnorm] if entry else []
    codings += [Code(system="atc", code=c, display=drug) for c in (entry.atc if entry else [])]
    return {"status": status, "medicationCodeableConcept": writer.concept(*codings, text=drug) if codings else {"text": drug}, "subject": {"reference": resources.patient}}


def _order(body: JsonDict) -> JsonDict:
    """Extensions first, as FHIR JSON writes them."""
    return {key: body[key] for key in ("extension", "status", "statusReason") if key in body} | {k: v for k, v in body.items() if k not in ("extension", "status", "statusReason")}


def write_adverse_events(writer: BundleWriter, resources: CaseResources, case: Case, statements: dict[str, str]) -> None:
    for index, event in enumerate(case.adverse_events):
        key = {"index": index, **event.model_dump(mode="json")}
        suspect = statements.get(event.drug) or writer.add("MedicationStatement", "suspect", key, _statement(writer, resources, event.drug, "completed"))
        code = next(c for c in writer.codes.adverse_events if c.system == "local" and c.event == event.event)
        body: JsonDict = {"extension": _event_extensions(writer, event), "actuality": "actual", "event": writer.concept(code), "subject": {"reference": resources.patient}}
        if event.onset:
            body["date"] = event.onset.isoformat()
        if event.resolved:
            condition = {"clinicalStatus": writer.role("resolved"), "code": writer.concept(code), "subject": {"reference": resources.patient}, "abatementDateTime": event.resolved.isoformat()}
            if event.onset:
                condition["onsetDateTime"] = event.onset.isoformat()
            body["resultingCondition"] = [{"reference": writer.add("Condition", "adverse-event-result", key, condition)}]
        body["suspectEntity"] = [{"instance": {"reference": suspect}}]
        if not body["extension"]:
            body.pop("extension")
        writer.add("AdverseEvent", "adverse-event", key, body)


def _event_extensions(writer: BundleWriter, event: AdverseEvent) -> list[JsonDict]:
    found: list[JsonDict] = []
    if event.grade is not None:
        found.append(writer.extension("adverse-event-grade", "valueInteger", event.grade))
    parts = [{"url": url, key: value} for name, url, key in _AE_DETAILS if (value := getattr(event, name)) is not None]
    if event.symptomatic:
        parts.append({"url": "symptomatic", "valueBoolean": True})
    if parts:
        found.append({"url": writer.codes.extension_url("adverse-event-detail"), "extension": parts})
    return found
