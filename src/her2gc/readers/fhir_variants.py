"""Genomics Reporting ``variant`` Observations (LOINC 69548-6) to the case's ``alterations``
and ``ctdna`` time points, and ncRNA expression findings to ``ncrna``.

Components read (Genomics Reporting IG 3.0.0): gene studied 48018-6 (HGNC), DNA change type
48019-4 or molecular consequence (Sequence Ontology), protein HGVS 48005-3, copy number
82155-3, sample allelic frequency 81258-6, genomic source class 48002-0. A variant on a
plasma or blood specimen is a plasma finding; one in the product's ``ctdna-monitoring``
category is a serial ctDNA measurement (a ``ctdna`` time point), not an alteration.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from her2gc.errors import InputError
from her2gc.kb.schema_fhir import ObservationCode
from her2gc.readers.fhir_bundle import (
    Entry,
    JsonDict,
    MappingRun,
    clip,
    coded,
    component_values,
    concept_text,
    describe,
    effective_date,
    local_component,
    quantity,
    value_of,
)
from her2gc.readers.fhir_her2 import specimen_of


def _gene(run: MappingRun, entry: Entry) -> str | None:
    for component in component_values(run.codes, entry.resource, "gene_studied"):
        concept = component.get("valueCodeableConcept")
        spellings = [s for c in (concept or {}).get("coding", []) for s in (c.get("code"), c.get("display"))] + [
            concept_text(concept)
        ]
        for spelling in spellings:
            symbol = run.vocab.gene(spelling if isinstance(spelling, str) else None)
            if symbol is not None:
                return symbol
        run.warn(
            "fhir_not_mapped",
            f"{entry.label}.component[gene-studied]: {describe(concept)} is not a gene the knowledge base knows; variant not used",
            [entry.label],
        )
        return None
    run.warn(
        "fhir_not_mapped",
        f"{entry.label}: variant without a gene-studied component (LOINC 48018-6); not used",
        [entry.label],
    )
    return None


def _kind(run: MappingRun, entry: Entry, copy_number: float | None, protein: str | None) -> str | None:
    """Alteration kind from the change type (or consequence); a bare 'copy number variation' by its copy number."""
    found: str | None = None
    for role in ("dna_change_type", "molecular_consequence"):
        for component in component_values(run.codes, entry.resource, role):
            for name, code, _ in coded(run.codes, component.get("valueCodeableConcept")):
                match = next((c for c in run.codes.change_types if c.system == name and c.code == code), None)
                if match is not None:
                    found = found or match.kind
    if found == "cnv":
        if copy_number is None:
            return None
        rule = run.codes.copy_number_call
        found = "amp" if copy_number >= rule.amp_at_least else "del" if copy_number <= rule.del_at_most else None
        if found is None:
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}: copy number {copy_number:g} is neither an amplification (>= {rule.amp_at_least:g}) nor a deletion (<= {rule.del_at_most:g}); not used",
                [entry.label],
            )
        return found
    if found is None and protein:
        return "mut"
    return found


def _protein(run: MappingRun, entry: Entry) -> str | None:
    for component in component_values(run.codes, entry.resource, "protein_hgvs"):
        concept = component.get("valueCodeableConcept")
        text = next(
            (c.get("code") for c in (concept or {}).get("coding", []) if isinstance(c.get("code"), str)), None
        ) or concept_text(concept)
        if not text:
            continue
        from her2gc.protein import normalise_protein_change

        try:
            return normalise_protein_change(text)
        except ValueError:
            run.warn(
                "fhir_kept_as_given",
                f"{entry.label}.component[protein-hgvs]: {clip(text)!r} is not HGVS the product can normalise; kept as given",
                [entry.label],
            )
            return text.split(":", 1)[-1]
    return None


def _copy_number(run: MappingRun, entry: Entry) -> float | None:
    for component in component_values(run.codes, entry.resource, "copy_number"):
        key, value = value_of(component)
        number = (
            quantity(value)
            if key == "valueQuantity"
            else quantity((value or {}).get("low"))
            if key == "valueRange"
            else None
        )
        if number is None or number < 0:
            raise InputError(
                f"{run.where(entry, 'component[copy-number]')}: expected a copy number (valueQuantity >= 0), found {clip(value)}"
            )
        return number
    return None


def _vaf(run: MappingRun, entry: Entry) -> float | None:
    for component in component_values(run.codes, entry.resource, "allele_frequency"):
        key, value = value_of(component)
        number = quantity(value) if key == "valueQuantity" else None
        unit = str(value.get("code") or value.get("unit") or "") if isinstance(value, dict) else ""
        if number is None:
            raise InputError(
                f"{run.where(entry, 'component[sample-allelic-frequency]')}: expected a valueQuantity, found {key or 'no value'}"
            )
        if unit == "%":
            number /= 100
        if not 0 <= number <= 1:
            raise InputError(
                f"{run.where(entry, 'component[sample-allelic-frequency].valueQuantity')}: {number:g} is not a fraction 0-1 (give unit '%' for a percentage)"
            )
        return number
    return None


def _answer_value(run: MappingRun, concept: object, field_name: str) -> str | None:
    for name, code, _ in coded(run.codes, concept):
        found = run.codes.answer_index.get((field_name, name, code))
        if found is not None:
            return found.value
    return None


def _is_ctdna_series(run: MappingRun, entry: Entry) -> bool:
    return any(
        name == "local" and code == "ctdna-monitoring"
        for category in entry.resource.get("category") or []
        for name, code, _ in coded(run.codes, category)
    )


def read_variants(
    run: MappingRun, variants: list[tuple[Entry, ObservationCode]]
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(alterations in the record's order, ctdna points oldest first) of the variant Observations."""
    alterations: list[dict[str, Any]] = []
    points: dict[dt.date, dict[str, Any]] = {}
    absent = []
    for entry, _ in variants:
        resource = entry.resource
        if _answer_value(run, resource.get("valueCodeableConcept"), "presence") == "absent":
            absent.append(entry.label)
            continue
        source = next(
            (
                _answer_value(run, c.get("valueCodeableConcept"), "genomic_source")
                for c in component_values(run.codes, resource, "genomic_source_class")
            ),
            None,
        )
        if source == "germline":
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}: a germline variant; the case holds tumour (somatic) alterations only",
                [entry.label],
            )
            continue
        gene = _gene(run, entry)
        if gene is None:
            continue
        copy_number, protein, vaf = _copy_number(run, entry), _protein(run, entry), _vaf(run, entry)
        kind_specimen, specimen = specimen_of(run, entry)
        plasma = kind_specimen in ("plasma", "blood")
        date = effective_date(resource)
        if _is_ctdna_series(run, entry):
            _ctdna_point(run, entry, points, date, gene, copy_number, protein, vaf)
            continue
        kind = _kind(run, entry, copy_number, protein)
        if kind is None:
            if not any(w.fields == [entry.label] for w in run.warnings):
                run.warn(
                    "fhir_not_mapped",
                    f"{entry.label}: no DNA change type the code tables know and no protein change; variant not used",
                    [entry.label],
                )
            continue
        alteration: dict[str, Any] = {"gene": gene, "kind": kind, "source": "plasma" if plasma else "tissue"}
        for key, value in (("protein_change", protein), ("copy_number", copy_number), ("vaf", vaf), ("date", date)):
            if value is not None:
                alteration[key] = value
        sample = ((specimen.resource.get("accessionIdentifier") or {}).get("value")) if specimen is not None else None
        if isinstance(sample, str) and sample:
            alteration["sample_id"] = sample
        alterations.append(alteration)
    if absent:
        run.warn(
            "fhir_negative_findings",
            f"{len(absent)} variant finding(s) reported as absent (pertinent negatives); nothing to add to the case",
            absent,
        )
    return alterations, [points[day] for day in sorted(points)]


def _ctdna_point(
    run: MappingRun,
    entry: Entry,
    points: dict[dt.date, dict[str, Any]],
    date: dt.date | None,
    gene: str,
    copy_number: float | None,
    protein: str | None,
    vaf: float | None,
) -> None:
    if date is None:
        raise InputError(f"{run.where(entry, 'effectiveDateTime')}: a ctDNA measurement needs its date")
    point = points.setdefault(date, {"date": date})
    timing = local_component(run.codes, entry.resource, "ctdna-timing")
    if timing is not None:
        point["timing"] = _answer_value(run, timing.get("valueCodeableConcept"), "ctdna_timing")
    if gene == "ERBB2" and copy_number is not None and protein is None:
        point["erbb2_copy_number"] = copy_number
    elif vaf is not None:
        point.setdefault("variants", []).append(
            {"gene": gene, **({"protein_change": protein} if protein else {}), "vaf": vaf}
        )
    else:
        run.warn(
            "fhir_not_mapped",
            f"{entry.label}: a ctDNA measurement needs an ERBB2 copy number or a variant allele fraction; not used",
            [entry.label],
        )


def read_ncrna(run: MappingRun, entries: list[Entry]) -> list[dict[str, Any]]:
    findings: list[dict[str, Any]] = []
    for entry in entries:
        name_component: JsonDict | None = local_component(run.codes, entry.resource, "ncrna-name")
        name = name_component.get("valueString") if name_component else None
        if not isinstance(name, str) or not name:
            raise InputError(
                f"{run.where(entry, 'component[ncrna-name].valueString')}: the non-coding RNA's name is missing"
            )
        direction = _answer_value(run, entry.resource.get("valueCodeableConcept"), "ncrna_direction")
        if direction is None:
            raise InputError(
                f"{run.where(entry, 'valueCodeableConcept')}: {describe(entry.resource.get('valueCodeableConcept'))} is not up or down"
            )
        findings.append({"name": name, "direction": direction})
    return findings
