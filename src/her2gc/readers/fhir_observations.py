"""Observations to case fields: sorted by code, HER2 results grouped by specimen (read by
``fhir_her2``), and PD-L1, MSI, ECOG, LVEF, claudin 18.2 and tumour fraction read here. Variant
Observations are read by ``fhir_variants``.

Codes come from ``fhir_codes.yaml`` (Genomics Reporting IG 3.0.0, mCODE 4.0.0, LOINC and the
product's documented local codes). A value the product decides on (a HER2 score, an MSI
status) with a code it does not know is an error naming the resource and element; an
Observation it has no use for is listed in the report's warnings.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from her2gc.errors import InputError
from her2gc.kb.schema_fhir import ObservationCode
from her2gc.readers.fhir_bundle import (
    Entry,
    MappingRun,
    answer_value,
    clip,
    coded,
    component_values,
    concept_text,
    describe,
    effective_date,
    fraction_value,
    local_component,
    number_value,
    value_of,
)
from her2gc.readers.fhir_her2 import HER2_KINDS, Her2Group


@dataclass
class ObservationFindings:
    her2_groups: dict[str, Her2Group] = field(default_factory=dict)
    latest: dict[str, tuple[dt.date | None, Entry, Any]] = field(default_factory=dict)
    variants: list[tuple[Entry, ObservationCode]] = field(default_factory=list)
    ncrna: list[Entry] = field(default_factory=list)


def observation_code(run: MappingRun, entry: Entry) -> ObservationCode | None:
    for name, code, _ in coded(run.codes, entry.resource.get("code")):
        found = run.codes.observation_index.get((name, code))
        if found is not None:
            return found
    return None


def _specimen_key(run: MappingRun, entry: Entry) -> str:
    specimen = run.index.resolve(entry.resource.get("specimen"))
    if specimen is not None:
        return specimen.label
    reference = entry.resource.get("specimen")
    if isinstance(reference, dict) and isinstance(reference.get("reference"), str):
        return str(reference["reference"])
    return f"date:{effective_date(entry.resource)}"


def _keep_latest(findings: ObservationFindings, kind: str, entry: Entry, value: Any, run: MappingRun) -> None:
    """The most recent result of a kind is the one the case takes; earlier ones are reported."""
    date = effective_date(entry.resource)
    held = findings.latest.get(kind)
    if held is None:
        findings.latest[kind] = (date, entry, value)
        return
    newer = (date or dt.date.min) >= (held[0] or dt.date.min)
    kept, dropped = ((date, entry, value), held) if newer else (held, (date, entry, value))
    findings.latest[kind] = kept
    run.warn(
        "fhir_superseded",
        f"{dropped[1].label}: an earlier {kind.replace('_', ' ')} result; the latest ({kept[1].label}) is used",
        [dropped[1].label],
    )


def read_observations(run: MappingRun) -> ObservationFindings:
    """Sort the bundle's Observations by what they are and read the single-valued ones."""
    findings = ObservationFindings()
    for entry in run.index.of_type("Observation"):
        known = observation_code(run, entry)
        if known is None:
            continue  # reported with the other unused resources
        run.use(entry)
        if not run.for_patient(entry) or not run.usable(entry):
            continue
        if known.confirmed is False:
            run.warn(
                "fhir_unconfirmed_code",
                f"{entry.label}.code: {known.system} {known.code} read as {known.kind.replace('_', ' ')}; the code was not checked against the terminology's release",
                [entry.label],
            )
        if known.kind in HER2_KINDS:
            if _is_erbb2(run, entry):
                findings.her2_groups.setdefault(
                    _specimen_key(run, entry), Her2Group(_specimen_key(run, entry))
                ).entries.append((entry, known))
        elif known.kind == "variant":
            findings.variants.append((entry, known))
        elif known.kind == "ncrna_expression":
            findings.ncrna.append(entry)
        elif known.kind == "not_used":
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}: {known.display or known.code} is not used ({known.reason})",
                [entry.label],
            )
        else:
            value = _SINGLE_VALUED[known.kind](run, entry, known)
            if value is not None:
                _keep_latest(findings, known.kind, entry, value, run)
    return findings


def _is_erbb2(run: MappingRun, entry: Entry) -> bool:
    """A gene-studied component, when present, must name ERBB2 (HGNC:3430)."""
    genes = component_values(run.codes, entry.resource, "gene_studied")
    for component in genes:
        concept = component.get("valueCodeableConcept")
        named = [
            run.vocab.gene(c.get("code")) or run.vocab.gene(c.get("display")) for c in (concept or {}).get("coding", [])
        ]
        if "ERBB2" not in named:
            run.warn(
                "fhir_not_mapped",
                f"{entry.label}.component: gene studied {describe(concept)} is not ERBB2; not read as a HER2 result",
                [entry.label],
            )
            return False
    return True


def _pdl1_cps(run: MappingRun, entry: Entry, known: ObservationCode) -> dict[str, Any] | None:
    if known.kind == "pdl1_cps":
        cps = number_value(run, entry, entry.resource, "valueQuantity", low=0, high=100)
    else:
        component = local_component(run.codes, entry.resource, "pdl1-cps")
        if component is None:
            value = (
                concept_text(entry.resource.get("valueCodeableConcept")) or value_of(entry.resource)[0] or "no value"
            )
            run.warn(
                "fhir_pdl1_no_cps",
                f"{entry.label}: PD-L1 reported as {clip(value, 40)!r} without a combined positive score (local code pdl1-cps); PD-L1 not used",
                [entry.label],
            )
            return None
        cps = number_value(run, entry, component, "component[pdl1-cps].valueQuantity", low=0, high=100)
    assay_component = local_component(run.codes, entry.resource, "pdl1-assay")
    assay = known.assay or (
        str(assay_component.get("valueString")) if assay_component and "valueString" in assay_component else None
    )
    assay = assay or concept_text(entry.resource.get("method"))
    return {"cps": cps, **({"assay": assay} if assay else {})}


def _pdl1_tps(run: MappingRun, entry: Entry, known: ObservationCode) -> None:
    run.warn(
        "fhir_pdl1_no_cps",
        f"{entry.label}: PD-L1 tumour proportion score is not a combined positive score; not used",
        [entry.label],
    )


def _msi(run: MappingRun, entry: Entry, known: ObservationCode) -> str:
    return answer_value(run, entry, entry.resource.get("valueCodeableConcept"), "msi", "valueCodeableConcept")


def _ecog(run: MappingRun, entry: Entry, known: ObservationCode) -> int:
    if "valueInteger" in entry.resource:
        return int(number_value(run, entry, entry.resource, "valueInteger", low=0, high=4))
    score = int(answer_value(run, entry, entry.resource.get("valueCodeableConcept"), "ecog", "valueCodeableConcept"))
    if score > 4:
        raise InputError(
            f"{run.where(entry, 'valueCodeableConcept')}: ECOG {score} (dead) is not a performance status a treatment decision reads"
        )
    return score


def _lvef(run: MappingRun, entry: Entry, known: ObservationCode) -> float:
    return number_value(run, entry, entry.resource, "valueQuantity", low=0, high=100)


def _cldn18_2(run: MappingRun, entry: Entry, known: ObservationCode) -> dict[str, Any]:
    percent = number_value(run, entry, entry.resource, "valueQuantity", low=0, high=100)
    assay = concept_text(entry.resource.get("method"))
    return {"percent_moderate_strong": percent, **({"assay": assay} if assay else {})}


def _tumour_fraction(run: MappingRun, entry: Entry, known: ObservationCode) -> float:
    return fraction_value(run, entry, entry.resource, "valueQuantity")


_SINGLE_VALUED: dict[str, Any] = {
    "pdl1": _pdl1_cps,
    "pdl1_cps": _pdl1_cps,
    "pdl1_tps": _pdl1_tps,
    "msi": _msi,
    "ecog": _ecog,
    "lvef": _lvef,
    "cldn18_2": _cldn18_2,
    "tumour_fraction": _tumour_fraction,
}
