"""Observations to case fields: HER2 IHC and ISH paired by specimen, PD-L1, MSI, ECOG, LVEF,
claudin 18.2 and tumour fraction. Variant Observations are read by ``fhir_variants``.

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
    JsonDict,
    MappingRun,
    clip,
    coded,
    component_values,
    concept_text,
    describe,
    effective_date,
    extension_value,
    local_component,
    quantity,
    value_of,
)

HER2_KINDS = ("her2_ihc", "her2_ish_ratio", "her2_signals_per_nucleus", "cep17_signals_per_nucleus", "her2_ish_interpretation", "her2_interpretation")


@dataclass
class Her2Group:
    """The HER2 results of one specimen (or, without a Specimen reference, of one date)."""

    key: str
    entries: list[tuple[Entry, ObservationCode]] = field(default_factory=list)


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
    run.warn("fhir_superseded", f"{dropped[1].label}: an earlier {kind.replace('_', ' ')} result; the latest ({kept[1].label}) is used", [dropped[1].label])


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
            run.warn("fhir_unconfirmed_code", f"{entry.label}.code: {known.system} {known.code} read as {known.kind.replace('_', ' ')}; the code was not checked against the terminology's release", [entry.label])
        if known.kind in HER2_KINDS:
            if _is_erbb2(run, entry):
                findings.her2_groups.setdefault(_specimen_key(run, entry), Her2Group(_specimen_key(run, entry))).entries.append((entry, known))
        elif known.kind == "variant":
            findings.variants.append((entry, known))
        elif known.kind == "ncrna_expression":
            findings.ncrna.append(entry)
        elif known.kind == "not_used":
            run.warn("fhir_not_mapped", f"{entry.label}: {known.display or known.code} is not used ({known.reason})", [entry.label])
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
        named = [run.vocab.gene(c.get("code")) or run.vocab.gene(c.get("display")) for c in (concept or {}).get("coding", [])]
        if "ERBB2" not in named:
            run.warn("fhir_not_mapped", f"{entry.label}.component: gene studied {describe(concept)} is not ERBB2; not read as a HER2 result", [entry.label])
            return False
    return True


# ---------------------------------------------------------------- single values


def _number(run: MappingRun, entry: Entry, element: JsonDict, path: str, *, low: float, high: float) -> float:
    key, value = value_of(element)
    number = quantity(value) if key == "valueQuantity" else (float(value) if key in ("valueInteger", "valueDecimal") else None)
    if number is None:
        raise InputError(f"{run.where(entry, path)}: expected a number (valueQuantity), found {key or 'no value'}")
    if not low <= number <= high:
        raise InputError(f"{run.where(entry, path)}: {number:g} is outside {low:g}-{high:g}")
    return number


def _percent_or_fraction(run: MappingRun, entry: Entry, element: JsonDict, path: str) -> float:
    """A fraction 0-1; a Quantity in % is divided by 100."""
    key, value = value_of(element)
    unit = str(value.get("code") or value.get("unit") or "") if isinstance(value, dict) else ""
    if unit == "%":
        return _number(run, entry, element, path, low=0, high=100) / 100
    return _number(run, entry, element, path, low=0, high=1)


def _answer(run: MappingRun, entry: Entry, concept: object, field_name: str, path: str) -> str:
    """The case value of a coded answer; an unknown code is an error naming the element."""
    for name, code, _ in coded(run.codes, concept):
        found = run.codes.answer_index.get((field_name, name, code))
        if found is not None:
            if not found.confirmed:
                run.warn("fhir_unconfirmed_code", f"{entry.label}.{path}: {name} {code} read as {found.value!r}; the code was not checked against the terminology's release", [entry.label])
            return found.value
    accepted = ", ".join(f"{a.code} ({a.display})" for a in run.codes.answers_for(field_name))
    raise InputError(f"{run.where(entry, path)}: {describe(concept)} is not one of {clip(accepted, 160)}")


def _pdl1_cps(run: MappingRun, entry: Entry, known: ObservationCode) -> dict[str, Any] | None:
    if known.kind == "pdl1_cps":
        cps = _number(run, entry, entry.resource, "valueQuantity", low=0, high=100)
    else:
        component = local_component(run.codes, entry.resource, "pdl1-cps")
        if component is None:
            value = concept_text(entry.resource.get("valueCodeableConcept")) or value_of(entry.resource)[0] or "no value"
            run.warn("fhir_pdl1_no_cps", f"{entry.label}: PD-L1 reported as {clip(value, 40)!r} without a combined positive score (local code pdl1-cps); PD-L1 not used", [entry.label])
            return None
        cps = _number(run, entry, component, "component[pdl1-cps].valueQuantity", low=0, high=100)
    assay_component = local_component(run.codes, entry.resource, "pdl1-assay")
    assay = known.assay or (str(assay_component.get("valueString")) if assay_component and "valueString" in assay_component else None)
    assay = assay or concept_text(entry.resource.get("method"))
    return {"cps": cps, **({"assay": assay} if assay else {})}


def _pdl1_tps(run: MappingRun, entry: Entry, known: ObservationCode) -> None:
    run.warn("fhir_pdl1_no_cps", f"{entry.label}: PD-L1 tumour proportion score is not a combined positive score; not used", [entry.label])
    return None


def _msi(run: MappingRun, entry: Entry, known: ObservationCode) -> str:
    return _answer(run, entry, entry.resource.get("valueCodeableConcept"), "msi", "valueCodeableConcept")


def _ecog(run: MappingRun, entry: Entry, known: ObservationCode) -> int:
    if "valueInteger" in entry.resource:
        return int(_number(run, entry, entry.resource, "valueInteger", low=0, high=4))
    score = int(_answer(run, entry, entry.resource.get("valueCodeableConcept"), "ecog", "valueCodeableConcept"))
    if score > 4:
        raise InputError(f"{run.where(entry, 'valueCodeableConcept')}: ECOG {score} (dead) is not a performance status a treatment decision reads")
    return score


def _lvef(run: MappingRun, entry: Entry, known: ObservationCode) -> float:
    return _number(run, entry, entry.resource, "valueQuantity", low=0, high=100)


def _cldn18_2(run: MappingRun, entry: Entry, known: ObservationCode) -> dict[str, Any]:
    percent = _number(run, entry, entry.resource, "valueQuantity", low=0, high=100)
    assay = concept_text(entry.resource.get("method"))
    return {"percent_moderate_strong": percent, **({"assay": assay} if assay else {})}


def _tumour_fraction(run: MappingRun, entry: Entry, known: ObservationCode) -> float:
    return _percent_or_fraction(run, entry, entry.resource, "valueQuantity")


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


# ---------------------------------------------------------------- HER2 tests


def _ihc_score(run: MappingRun, entry: Entry) -> tuple[str | None, str | None]:
    """(score, why none): a local score code, or a text the code tables accept; presence only is no score."""
    resource = entry.resource
    key, value = value_of(resource)
    if key == "valueString":
        score = run.codes.ihc_score_text.get(" ".join(str(value).lower().split()))
        if score is None:
            raise InputError(f"{run.where(entry, 'valueString')}: {clip(value)!r} is not a HER2 IHC score (0, 1+, 2+, 3+)")
        return score, None
    if key != "valueCodeableConcept":
        return None, f"no HER2 IHC score ({key or 'no value'})"
    for name, code, _ in coded(run.codes, value):
        found = run.codes.answer_index.get(("ihc_score", name, code))
        if found is not None:
            return found.value, None
        presence = run.codes.answer_index.get(("presence", name, code))
        if presence is not None:
            return None, f"HER2 IHC reported as {presence.display!r}, which is not a score (0, 1+, 2+, 3+)"
    text = concept_text(value)
    score = run.codes.ihc_score_text.get(" ".join(text.lower().split())) if text else None
    if score is not None:
        if value.get("coding"):
            run.warn("fhir_mapped_by_text", f"{entry.label}.valueCodeableConcept: code {describe(value)} is not known; score {score} read from its text", [entry.label])
        return score, None
    raise InputError(f"{run.where(entry, 'valueCodeableConcept')}: {describe(value)} is not a HER2 IHC score (0, 1+, 2+, 3+ as {run.codes.uri('local')} codes or text)")


def _raw_reading(run: MappingRun, entry: Entry) -> dict[str, Any]:
    """The pathologist's raw reading, from the local components, for the product to score."""
    reading: dict[str, Any] = {}
    resource = entry.resource
    percent = local_component(run.codes, resource, "ihc-percent-cells")
    if percent is not None:
        reading["percent_cells"] = _number(run, entry, percent, "component[ihc-percent-cells].valueQuantity", low=0, high=100)
    cluster = local_component(run.codes, resource, "ihc-largest-cluster")
    if cluster is not None:
        reading["largest_cluster_cells"] = int(_number(run, entry, cluster, "component[ihc-largest-cluster].valueInteger", low=0, high=1e9))
    for local, field_name in (("ihc-intensity", "intensity"), ("ihc-pattern", "pattern")):
        component = local_component(run.codes, resource, local)
        if component is not None:
            reading[field_name] = _answer(run, entry, component.get("valueCodeableConcept"), field_name, f"component[{local}].valueCodeableConcept")
    return reading


def _setting(run: MappingRun, entry: Entry) -> str | None:
    found = extension_value(entry.resource, run.codes.extension_url("her2-test-setting"))
    if found is None:
        return None
    if found[1] not in ("diagnosis", "post_progression"):
        raise InputError(f"{run.where(entry, 'extension[her2-test-setting]')}: {clip(found[1])!r} is not one of diagnosis, post_progression")
    return str(found[1])


def her2_test(run: MappingRun, group: Her2Group) -> tuple[dict[str, Any] | None, list[str]]:
    """One case HER2 test from the results of one specimen; (None, labels) when they hold no score or ISH."""
    ihc: dict[str, Any] = {}
    ish: dict[str, Any] = {}
    test: dict[str, Any] = {}
    seen: dict[str, str] = {}
    labels = [entry.label for entry, _ in group.entries]
    for entry, known in group.entries:
        date = effective_date(entry.resource)
        if date is not None and ("date" not in test or date < test["date"]):
            test["date"] = date
        test.setdefault("setting", _setting(run, entry))
        fragments = local_component(run.codes, entry.resource, "tumour-fragments")
        if fragments is not None:
            test["tumour_fragments"] = int(_number(run, entry, fragments, "component[tumour-fragments].valueInteger", low=0, high=1000))
        if known.kind == "her2_ihc":
            _once(seen, "ihc", entry, run)
            score, why_none = _ihc_score(run, entry)
            reading = _raw_reading(run, entry)
            if score is not None:
                ihc["score"] = score
            ihc.update(reading)
            if score is None and "intensity" not in reading:
                run.warn("fhir_her2_no_score", f"{entry.label}: {why_none}; not used", [entry.label])
                ihc.clear()
        elif known.kind == "her2_ish_ratio":
            _once(seen, "ratio", entry, run)
            ish["ratio"] = _number(run, entry, entry.resource, "valueQuantity", low=0.01, high=1000)
            _ish_components(run, entry, ish)
        elif known.kind == "her2_signals_per_nucleus":
            _once(seen, "signals per nucleus", entry, run)
            ish["her2_signals_per_cell"] = _number(run, entry, entry.resource, "valueQuantity", low=0, high=1000)
        elif known.kind == "cep17_signals_per_nucleus":
            ish["cep17_signals_per_cell"] = _number(run, entry, entry.resource, "valueQuantity", low=0.01, high=1000)
        elif known.kind == "her2_ish_interpretation":
            ish["reported_result"] = _answer(run, entry, entry.resource.get("valueCodeableConcept"), "ish_result", "valueCodeableConcept")
        else:
            value = concept_text(entry.resource.get("valueCodeableConcept")) or "no value"
            run.warn("fhir_her2_interpretation", f"{entry.label}: the laboratory's HER2 interpretation {clip(value, 40)!r} is recorded; the report derives HER2 status from the IHC score and ISH", [entry.label])
    if set(ish) == {"cep17_signals_per_cell"}:
        run.warn("fhir_not_mapped", f"{', '.join(labels)}: CEP17 signals without a HER2 ratio or HER2 signals; not used", labels)
        ish.clear()
    if not ihc and not ish:
        return None, labels
    if ihc:
        test["ihc"] = ihc
    if ish:
        test["ish"] = ish
    if test.get("setting") is None:
        test.pop("setting", None)
    return test, labels


def _ish_components(run: MappingRun, entry: Entry, ish: dict[str, Any]) -> None:
    """HER2 and CEP17 signals per nucleus written as components of the ratio Observation (as the MII IG does)."""
    fields = {"her2_signals_per_nucleus": "her2_signals_per_cell", "cep17_signals_per_nucleus": "cep17_signals_per_cell"}
    for position, component in enumerate(entry.resource.get("component") or []):
        kinds = [run.codes.observation_index.get((name, code)) for name, code, _ in coded(run.codes, component.get("code"))]
        kind = next((k.kind for k in kinds if k is not None and k.kind in fields), None)
        if kind is not None and fields[kind] not in ish:
            ish[fields[kind]] = _number(run, entry, component, f"component[{position}].valueQuantity", low=0, high=1000)


def _once(seen: dict[str, str], key: str, entry: Entry, run: MappingRun) -> None:
    """Two results of the same kind on one specimen cannot be paired: the record must say which holds."""
    if key in seen:
        raise InputError(
            f"{run.index.source}: {seen[key]} and {entry.label}: two HER2 {key.replace('_', ' ')} results on the same specimen; "
            "keep one (mark the other entered-in-error)"
        )
    seen[key] = entry.label


def specimen_of(run: MappingRun, entry: Entry) -> tuple[str | None, Entry | None]:
    """(kind, Specimen entry) of an Observation's specimen: biopsy, resection, cytology, tissue, plasma or blood."""
    specimen = run.index.resolve(entry.resource.get("specimen"))
    if specimen is None:
        return None, None
    run.use(specimen)
    resource = specimen.resource
    concepts = [resource.get("type"), (resource.get("collection") or {}).get("method")]
    for concept in concepts:
        for name, code, _ in coded(run.codes, concept):
            for known in run.codes.specimens:
                if known.system == name and known.code == code:
                    return known.specimen, specimen
    return None, specimen


def her2_specimen(run: MappingRun, group: Her2Group, test: dict[str, Any]) -> None:
    """Fill the test's specimen kind and sampled site from the group's Specimen."""
    kind, specimen = specimen_of(run, group.entries[0][0])
    if kind in ("biopsy", "resection", "cytology"):
        test["specimen"] = kind
    else:
        test["specimen"] = "biopsy"
        said = f"the Specimen's type is {kind}" if kind else ("no Specimen is referenced" if specimen is None else "the Specimen's type is not coded as biopsy, resection or cytology")
        run.warn("fhir_assumed", f"{group.entries[0][0].label}: {said}; the HER2 test is read as a biopsy (biopsy scoring criteria)", [e.label for e, _ in group.entries])
    if specimen is not None:
        site = concept_text((specimen.resource.get("collection") or {}).get("bodySite"))
        if site:
            test["site"] = site
