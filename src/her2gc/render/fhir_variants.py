"""Alterations and ctDNA measurements as Genomics Reporting ``variant`` Observations (LOINC
69548-6): gene studied 48018-6 (HGNC), DNA change type 48019-4 (Sequence Ontology, or the
product's local codes for protein-level findings), protein HGVS 48005-3, copy number 82155-3,
allele frequency 81258-6, genomic source class 48002-0 (somatic). A ctDNA measurement carries
the product's ``ctdna-monitoring`` category and its time point relative to therapy."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from her2gc.case import Case
from her2gc.kb.schema_fhir import Code
from her2gc.render.fhir_case import (
    BundleWriter,
    CaseResources,
    JsonDict,
    effective,
    finish,
    gene_component,
    quantity,
    write_specimen,
)


def _variant(
    writer: BundleWriter,
    resources: CaseResources,
    gene: str,
    day: dt.date | None,
    specimen: str,
    hgnc_ids: Mapping[str, str],
) -> JsonDict:
    codes = writer.codes
    return {
        "meta": {"profile": [codes.profiles["variant"]]},
        "status": "final",
        "category": [writer.role("laboratory"), writer.role("genetics")],
        "code": writer.concept(codes.first_observation("variant"), display=False),
        "subject": {"reference": resources.patient},
        **effective(day),
        "specimen": {"reference": specimen},
        "valueCodeableConcept": writer.answer("presence", "present"),
        "_components": [
            gene_component(writer, gene, hgnc_ids),
            {
                "code": writer.role("genomic_source_class"),
                "valueCodeableConcept": writer.answer("genomic_source", "somatic"),
            },
        ],
    }


def _measurements(
    writer: BundleWriter, kind: str | None, protein: str | None, copy_number: float | None, vaf: float | None
) -> list[JsonDict]:
    parts: list[JsonDict] = []
    if kind is not None:
        change = next(c for c in writer.codes.change_types if c.kind == kind)
        parts.append({"code": writer.role("dna_change_type"), "valueCodeableConcept": writer.concept(change)})
    if protein:
        parts.append(
            {
                "code": writer.role("protein_hgvs"),
                "valueCodeableConcept": writer.concept(Code(system="hgvs", code=protein)),
            }
        )
    if copy_number is not None:
        parts.append({"code": writer.role("copy_number"), "valueQuantity": quantity(copy_number, "copies", "1")})
    if vaf is not None:
        parts.append({"code": writer.role("allele_frequency"), "valueQuantity": quantity(vaf, "fraction", "1")})
    return parts


def write_variants(writer: BundleWriter, resources: CaseResources, case: Case, hgnc_ids: Mapping[str, str]) -> None:
    for index, alteration in enumerate(case.alterations):
        key = {"index": index, **alteration.model_dump(mode="json")}
        kind = "plasma" if alteration.source == "plasma" else "biopsy"
        specimen = write_specimen(writer, resources, kind, key, alteration.date, sample=alteration.sample_id)
        body = _variant(writer, resources, alteration.gene, alteration.date, specimen, hgnc_ids)
        reference = writer.add(
            "Observation",
            "variant",
            key,
            finish(
                body,
                _measurements(
                    writer, alteration.kind, alteration.protein_change, alteration.copy_number, alteration.vaf
                ),
            ),
        )
        resources.alterations.append(reference)
        resources.alteration_labels.append(alteration.label())
    for index, point in enumerate(case.ctdna):
        specimen = write_specimen(writer, resources, "plasma", {"ctdna": index, "date": point.date}, point.date)
        timing = (
            [
                {
                    "code": writer.local("ctdna-timing"),
                    "valueCodeableConcept": writer.answer("ctdna_timing", point.timing),
                }
            ]
            if point.timing
            else []
        )
        rows: list[tuple[str, str | None, float | None, float | None]] = []
        if point.erbb2_copy_number is not None:
            rows.append(("ERBB2", None, point.erbb2_copy_number, None))
        rows += [(v.gene, v.protein_change, None, v.vaf) for v in point.variants]
        for row_index, (gene, protein, copy_number, vaf) in enumerate(rows):
            body = _variant(writer, resources, gene, point.date, specimen, hgnc_ids)
            body["category"].append(writer.local("ctdna-monitoring"))
            parts = _measurements(writer, None, protein, copy_number, vaf) + timing
            resources.ctdna.append(
                writer.add(
                    "Observation", "ctdna", {"point": index, "row": row_index, "date": point.date}, finish(body, parts)
                )
            )
