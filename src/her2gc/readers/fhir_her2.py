"""HER2 IHC and ISH results of one specimen to one case HER2 test.

IHC (LOINC 18474-7; gene component 48018-6 = HGNC:3430) and ISH (49683-6 HER2/CEP17 ratio,
74860-8 HER2 signals per nucleus, 31150-6 or the product's local ISH interpretation) on the same
Specimen are paired into one ``her2_tests`` entry; results without a Specimen reference pair when
they share their date. A score is a local score code or a text the code tables accept; a result
that says only "present" is no score and is reported. Sources: Genomics Reporting IG 3.0.0 and
the MII molecular tumour board IG (signals per nucleus as components of the ratio).
"""

from __future__ import annotations

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
    concept_text,
    describe,
    effective_date,
    extension_value,
    local_component,
    number_value,
    value_of,
)

HER2_KINDS = (
    "her2_ihc",
    "her2_ish_ratio",
    "her2_signals_per_nucleus",
    "cep17_signals_per_nucleus",
    "her2_ish_interpretation",
    "her2_interpretation",
)


@dataclass
class Her2Group:
    """The HER2 results of one specimen (or, without a Specimen reference, of one date)."""

    key: str
    entries: list[tuple[Entry, ObservationCode]] = field(default_factory=list)


def _ihc_score(run: MappingRun, entry: Entry) -> tuple[str | None, str | None]:
    """(score, why none): a local score code, or a text the code tables accept; presence only is no score."""
    resource = entry.resource
    key, value = value_of(resource)
    if key == "valueString":
        score = run.codes.ihc_score_text.get(" ".join(str(value).lower().split()))
        if score is None:
            raise InputError(
                f"{run.where(entry, 'valueString')}: {clip(value)!r} is not a HER2 IHC score (0, 1+, 2+, 3+)"
            )
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
            run.warn(
                "fhir_mapped_by_text",
                f"{entry.label}.valueCodeableConcept: code {describe(value)} is not known; score {score} read from its text",
                [entry.label],
            )
        return score, None
    raise InputError(
        f"{run.where(entry, 'valueCodeableConcept')}: {describe(value)} is not a HER2 IHC score (0, 1+, 2+, 3+ as {run.codes.uri('local')} codes or text)"
    )


def _raw_reading(run: MappingRun, entry: Entry) -> dict[str, Any]:
    """The pathologist's raw reading, from the local components, for the product to score."""
    reading: dict[str, Any] = {}
    resource = entry.resource
    percent = local_component(run.codes, resource, "ihc-percent-cells")
    if percent is not None:
        reading["percent_cells"] = number_value(
            run, entry, percent, "component[ihc-percent-cells].valueQuantity", low=0, high=100
        )
    cluster = local_component(run.codes, resource, "ihc-largest-cluster")
    if cluster is not None:
        reading["largest_cluster_cells"] = int(
            number_value(run, entry, cluster, "component[ihc-largest-cluster].valueInteger", low=0, high=1e9)
        )
    for local, field_name in (("ihc-intensity", "intensity"), ("ihc-pattern", "pattern")):
        component = local_component(run.codes, resource, local)
        if component is not None:
            reading[field_name] = answer_value(
                run,
                entry,
                component.get("valueCodeableConcept"),
                field_name,
                f"component[{local}].valueCodeableConcept",
            )
    return reading


def _setting(run: MappingRun, entry: Entry) -> str | None:
    found = extension_value(entry.resource, run.codes.extension_url("her2-test-setting"))
    if found is None:
        return None
    if found[1] not in ("diagnosis", "post_progression"):
        raise InputError(
            f"{run.where(entry, 'extension[her2-test-setting]')}: {clip(found[1])!r} is not one of diagnosis, post_progression"
        )
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
            test["tumour_fragments"] = int(
                number_value(run, entry, fragments, "component[tumour-fragments].valueInteger", low=0, high=1000)
            )
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
            ish["ratio"] = number_value(run, entry, entry.resource, "valueQuantity", low=0.01, high=1000)
            _ish_components(run, entry, ish)
        elif known.kind == "her2_signals_per_nucleus":
            _once(seen, "signals per nucleus", entry, run)
            ish["her2_signals_per_cell"] = number_value(run, entry, entry.resource, "valueQuantity", low=0, high=1000)
        elif known.kind == "cep17_signals_per_nucleus":
            ish["cep17_signals_per_cell"] = number_value(
                run, entry, entry.resource, "valueQuantity", low=0.01, high=1000
            )
        elif known.kind == "her2_ish_interpretation":
            ish["reported_result"] = answer_value(
                run, entry, entry.resource.get("valueCodeableConcept"), "ish_result", "valueCodeableConcept"
            )
        else:
            value = concept_text(entry.resource.get("valueCodeableConcept")) or "no value"
            run.warn(
                "fhir_her2_interpretation",
                f"{entry.label}: the laboratory's HER2 interpretation {clip(value, 40)!r} is recorded; the report derives HER2 status from the IHC score and ISH",
                [entry.label],
            )
    if set(ish) == {"cep17_signals_per_cell"}:
        run.warn(
            "fhir_not_mapped",
            f"{', '.join(labels)}: CEP17 signals without a HER2 ratio or HER2 signals; not used",
            labels,
        )
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
    fields = {
        "her2_signals_per_nucleus": "her2_signals_per_cell",
        "cep17_signals_per_nucleus": "cep17_signals_per_cell",
    }
    for position, component in enumerate(entry.resource.get("component") or []):
        kinds = [
            run.codes.observation_index.get((name, code)) for name, code, _ in coded(run.codes, component.get("code"))
        ]
        kind = next((k.kind for k in kinds if k is not None and k.kind in fields), None)
        if kind is not None and fields[kind] not in ish:
            ish[fields[kind]] = number_value(
                run, entry, component, f"component[{position}].valueQuantity", low=0, high=1000
            )


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
        said = (
            f"the Specimen's type is {kind}"
            if kind
            else (
                "no Specimen is referenced"
                if specimen is None
                else "the Specimen's type is not coded as biopsy, resection or cytology"
            )
        )
        run.warn(
            "fhir_assumed",
            f"{group.entries[0][0].label}: {said}; the HER2 test is read as a biopsy (biopsy scoring criteria)",
            [e.label for e, _ in group.entries],
        )
    if specimen is not None:
        site = concept_text((specimen.resource.get("collection") or {}).get("bodySite"))
        if site:
            test["site"] = site
