"""A FHIR R4 Bundle to a case (``her2gc.case/1``), with a warning for everything not mapped.

``bundle_to_case(bundle, vocab)`` reads one patient's Bundle (a ``collection``, ``searchset``,
``document`` or ``transaction`` of resources) as ``docs/fhir.md`` describes: Patient;
the primary cancer Condition (SNOMED CT, ICD-10 or ICD-O-3, with the mCODE histology
extension) to site and histology; HER2, PD-L1, MSI, ECOG, LVEF and claudin 18.2
Observations; Genomics Reporting variant Observations; medication records grouped into
lines; AdverseEvents; comorbidity Conditions. Anything but a gastric, GEJ or oesophageal
adenocarcinoma, or a bundle without a HER2 result, is refused with an :class:`InputError`
naming the resource and element. Everything left unmapped is listed in the returned
warnings (``her2gc.report.Warning``), never dropped silently.

The code tables are knowledge-base data (``fhir_codes.yaml``): the caller passes them in, as
a :class:`FhirVocabulary` (see :func:`vocabulary_from_kb`); nothing here loads them.
Sources: HL7 FHIR R4; Genomics Reporting IG 3.0.0; mCODE 4.0.0.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import MutableMapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from her2gc.errors import InputError
from her2gc.kb.schema_fhir import CancerCode, FhirCodes, MorphologyCode
from her2gc.readers.fhir_bundle import (
    Entry,
    FhirVocabulary,
    MappingRun,
    clip,
    coded,
    describe,
    extension_value,
    fold_name,
    index_bundle,
)
from her2gc.readers.fhir_events import read_adverse_events, read_comorbidities
from her2gc.readers.fhir_her2 import her2_specimen, her2_test
from her2gc.readers.fhir_medications import current_therapy, read_medications, treatment_lines
from her2gc.readers.fhir_observations import read_observations
from her2gc.readers.fhir_variants import read_ncrna, read_variants

if TYPE_CHECKING:
    from her2gc.case import Case
    from her2gc.kb.base import KnowledgeBase
    from her2gc.report import Warning

__all__ = ["FhirImport", "FhirVocabulary", "bundle_to_case", "case_from_bundle", "is_bundle", "vocabulary_from_kb"]


@dataclass(frozen=True)
class FhirImport:
    """The case data a bundle maps to, what could not be mapped, and whose record it is."""

    case: dict[str, Any]
    warnings: list[Warning]
    patient: str


def is_bundle(data: object) -> bool:
    return isinstance(data, dict) and data.get("resourceType") == "Bundle"


def vocabulary_from_kb(codes: FhirCodes, kb: KnowledgeBase | None = None) -> FhirVocabulary:
    """The lookup tables of a mapping: the FHIR codes, and the knowledge base's gene ids,
    symbols and aliases and drug names and aliases (the spellings a case accepts)."""
    genes: dict[str, str] = {}
    drugs: dict[str, str] = {}
    for entry in codes.medications:
        for name in (entry.drug, *entry.names):
            drugs[fold_name(name)] = entry.drug
    if kb is not None:
        for symbol, gene in kb.genes.items():
            for spelling in (symbol, gene.hgnc_id, *gene.aliases):
                if spelling:
                    genes.setdefault(spelling.strip().upper(), symbol)
        for inn, drug in kb.drugs.items():
            for spelling in (inn, *drug.aliases):
                drugs.setdefault(fold_name(spelling), inn)
    return FhirVocabulary(codes=codes, genes=genes, drugs=drugs)


# ---------------------------------------------------------------- Patient


def _patient(run: MappingRun) -> tuple[Entry, str]:
    patients = run.index.of_type("Patient")
    if not patients:
        raise InputError(f"{run.index.source}: Bundle.entry: no Patient resource; a case is one patient's record")
    if len(patients) > 1:
        raise InputError(
            f"{run.index.source}: Bundle.entry: {len(patients)} Patient resources ({', '.join(p.label for p in patients[:3])}); a case is one patient's record"
        )
    entry = patients[0]
    run.use(entry)
    identifiers = [
        i
        for i in entry.resource.get("identifier") or []
        if isinstance(i, dict) and isinstance(i.get("value"), str) and i["value"]
    ]
    record_number = [
        i for i in identifiers if any(c.get("code") == "MR" for c in (i.get("type") or {}).get("coding", []))
    ]
    samples = [
        i
        for i in identifiers
        if any(
            c.get("code") == "sample-id" and run.codes.system_name(c.get("system")) == "local"
            for c in (i.get("type") or {}).get("coding", [])
        )
    ]
    identifiers = [i for i in identifiers if i not in samples]
    run.sample_ids = [i["value"] for i in samples]
    candidates = record_number or identifiers
    patient_id = candidates[0]["value"] if candidates else entry.resource.get("id")
    if not isinstance(patient_id, str) or not patient_id:
        raise InputError(f"{run.where(entry, 'identifier')}: the Patient has neither an identifier nor an id")
    return entry, patient_id


# ---------------------------------------------------------------- primary cancer


def _match(codes: FhirCodes, table: list[CancerCode], concept: object) -> CancerCode | None:
    """The table entry for a concept: an exact code, else the longest matching prefix."""
    best: CancerCode | None = None
    for name, code, _ in coded(codes, concept):
        for candidate in table:
            if candidate.system != name:
                continue
            hit = code == candidate.code or (
                candidate.match == "prefix" and code.upper().startswith(candidate.code.upper())
            )
            if hit and (best is None or len(candidate.code) > len(best.code)):
                best = candidate
    return best


def _morphology(run: MappingRun, entry: Entry) -> tuple[MorphologyCode | None, object]:
    found = extension_value(entry.resource, run.codes.cancer.histology_extension)
    if found is None:
        return None, None
    concept = found[1]
    matches = [
        m
        for name, code, _ in coded(run.codes, concept)
        for m in run.codes.cancer.morphology
        if m.system == name and m.code == code
    ]
    if matches:
        # A non-adenocarcinoma coding decides (it is refused); among adenocarcinoma codings the one naming a Lauren type.
        matches.sort(key=lambda m: (m.adenocarcinoma, m.lauren is None))
        return matches[0], concept
    raise InputError(
        f"{run.where(entry, 'extension[histology-morphology-behavior]')}: {describe(concept)} is not a morphology the code tables know (ICD-O-3, e.g. 8140/3 adenocarcinoma)"
    )


def _profiles(entry: Entry) -> set[str]:
    return {str(p).split("|")[0] for p in (entry.resource.get("meta") or {}).get("profile") or []}


def _tumour(run: MappingRun, entry: Entry) -> dict[str, Any]:
    """Site and histology of a primary cancer Condition; InputError when it is not served."""
    codes = run.codes
    concept = entry.resource.get("code")
    disorder = _match(codes, codes.cancer.disorders, concept)
    topography = next(
        (m for m in (_match(codes, codes.cancer.topography, s) for s in entry.resource.get("bodySite") or []) if m),
        None,
    )
    if disorder is not None and disorder.site == "other":
        raise InputError(
            f"{run.where(entry, 'code')}: {describe(concept)} is not a gastric, GEJ or oesophageal cancer; her2gc serves gastric, GEJ and oesophageal adenocarcinoma only"
        )
    site = (
        topography.site
        if topography is not None and (disorder is None or disorder.site == "stomach")
        else disorder.site
        if disorder
        else None
    )
    if site is None or site == "other":
        raise InputError(
            f"{run.where(entry, 'code')}: {describe(concept)} is not recognised as a gastric, GEJ or oesophageal cancer (SNOMED CT, ICD-10 C15/C16 or ICD-O-3 C15/C16 codes)"
        )
    morphology, morphology_concept = _morphology(run, entry)
    if morphology is not None and not morphology.adenocarcinoma:
        raise InputError(
            f"{run.where(entry, 'extension[histology-morphology-behavior]')}: {describe(morphology_concept)} ({morphology.histology}) is not an adenocarcinoma; her2gc serves adenocarcinoma only"
        )
    histology = morphology.histology if morphology else disorder.histology if disorder else None
    # The pathologist's words ("mucinous adenocarcinoma", the concept's text) over "NOS".
    stated = morphology_concept.get("text") if isinstance(morphology_concept, dict) and morphology is not None else None
    if (
        morphology is not None
        and morphology.histology == "adenocarcinoma"
        and isinstance(stated, str)
        and "adenocarcinoma" in stated.lower()
    ):
        histology = " ".join(stated.lower().split())
    if histology is None:
        raise InputError(
            f"{run.where(entry, 'code')}: {describe(concept)} gives the site but not the histology; add the mCODE histology-morphology-behavior "
            "extension (ICD-O-3 morphology, e.g. 8140/3 adenocarcinoma)"
        )
    for item in (disorder, morphology):
        if item is not None and not item.confirmed:
            run.warn(
                "fhir_unconfirmed_code",
                f"{entry.label}: {item.system} {item.code} read as {item.display}; the code was not checked against the terminology's release",
                [entry.label],
            )
    tumour: dict[str, Any] = {"site": site, "histology": histology}
    if morphology is not None and morphology.lauren:
        tumour["lauren"] = morphology.lauren
    oncotree = next((code for name, code, _ in coded(codes, concept) if name == "oncotree"), None)
    if oncotree is not None:
        tumour["oncotree_code"] = oncotree
    metastatic = extension_value(entry.resource, codes.extension_url("metastatic"))
    if metastatic is not None and isinstance(metastatic[1], bool):
        tumour["metastatic"] = metastatic[1]
    return tumour


def _cancer_conditions(run: MappingRun) -> tuple[list[Entry], list[Entry], list[Entry]]:
    """(primary candidates, secondary cancers, other Conditions) of the patient."""
    codes = run.codes
    primary: list[Entry] = []
    secondary: list[Entry] = []
    other: list[Entry] = []
    for entry in run.index.of_type("Condition"):
        verification = {c.get("code") for c in (entry.resource.get("verificationStatus") or {}).get("coding", [])}
        profiles = _profiles(entry)
        concept = entry.resource.get("code")
        if (
            profiles & set(codes.cancer.secondary_profiles)
            or _match(codes, codes.cancer.secondary, concept) is not None
        ):
            bucket = secondary
        elif (
            profiles & set(codes.cancer.primary_profiles) or _match(codes, codes.cancer.disorders, concept) is not None
        ):
            bucket = primary
        else:
            other.append(entry)
            continue
        run.use(entry)
        if verification & {"refuted", "entered-in-error"}:
            run.ignored_in_error.append(entry.label)
        elif run.for_patient(entry):
            bucket.append(entry)
    return primary, secondary, other


def _primary_tumour(run: MappingRun) -> tuple[dict[str, Any], list[Entry]]:
    primary, secondary, other = _cancer_conditions(run)
    if not primary:
        raise InputError(
            f"{run.index.source}: Bundle.entry: no primary cancer Condition (mCODE PrimaryCancerCondition, or a Condition coded as a cancer by "
            "SNOMED CT, ICD-10 or ICD-O-3); her2gc serves gastric, GEJ and oesophageal adenocarcinoma"
        )
    served: list[tuple[Entry, dict[str, Any]]] = []
    refusals: list[InputError] = []
    for entry in primary:
        try:
            served.append((entry, _tumour(run, entry)))
        except InputError as exc:
            refusals.append(exc)
    if not served:
        raise refusals[0]
    entry, tumour = served[0]
    for other_entry, other_tumour in served[1:]:
        if other_tumour["site"] != tumour["site"]:
            raise InputError(
                f"{run.index.source}: {entry.label} and {other_entry.label}: two primary cancers ({tumour['site']}, {other_tumour['site']}); keep the one to decide for"
            )
    for refusal in refusals:
        run.warn(
            "fhir_other_cancer",
            f"another cancer is recorded and not evaluated: {refusal.one_line().split(': ', 1)[-1]}",
            [],
        )
    if secondary and "metastatic" not in tumour:
        tumour["metastatic"] = True
    return tumour, other


# ---------------------------------------------------------------- assembly


def _derive_settings(run: MappingRun, tests: list[dict[str, Any]], lines: list[dict[str, Any]]) -> None:
    """A HER2 test taken after a line stopped for progression is a post-progression test: HER2 is re-tested on a
    specimen taken after progression on trastuzumab (DESTINY-Gastric04; the T-DXd label)."""
    progressions = [
        (line["line"], line["end"]) for line in lines if line.get("stop_reason") == "progression" and line.get("end")
    ]
    for index, test in enumerate(tests):
        if "setting" in test or test.get("date") is None:
            continue
        after = [(number, end) for number, end in progressions if test["date"] > end]
        if after:
            number, end = after[-1]
            test["setting"] = "post_progression"
            run.warn(
                "fhir_derived",
                f"her2_tests[{index}].setting: post_progression (specimen of {test['date']}, after line {number} stopped for progression on {end})",
                [f"her2_tests[{index}].setting"],
            )


def _oldest_first(tests: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Dated tests by date; an undated test stays after the test recorded before it."""
    keys: list[dt.date] = []
    for test in tests:
        keys.append(test.get("date") or (keys[-1] if keys else dt.date.min))
    order = sorted(range(len(tests)), key=lambda i: keys[i])
    return [tests[i] for i in order]


def _single_values(findings: Any) -> dict[str, Any]:
    values = {kind: held[2] for kind, held in findings.latest.items()}
    data: dict[str, Any] = {}
    for kind, key in (
        ("pdl1", "pdl1"),
        ("pdl1_cps", "pdl1"),
        ("msi", "msi"),
        ("ecog", "ecog"),
        ("cldn18_2", "cldn18_2"),
        ("tumour_fraction", "tumour_fraction"),
    ):
        if kind in values:
            data[key] = values[kind]
    return data


def _report_unused(run: MappingRun, others: list[Entry]) -> None:
    unused = [e for e in run.index.entries if e.label not in run.used]
    observations = [e for e in unused if e.resource_type in ("Observation", "Condition")]
    if observations:
        listed = "; ".join(f"{e.label} ({describe(e.resource.get('code'))})" for e in observations[:5])
        more = f"; and {len(observations) - 5} more" if len(observations) > 5 else ""
        run.warn(
            "fhir_not_mapped",
            f"{len(observations)} Observation/Condition resource(s) with codes the mapping does not read: {clip(listed, 400)}{more}",
            [e.label for e in observations],
        )
    rest = Counter(e.resource_type for e in unused if e.resource_type not in ("Observation", "Condition"))
    if rest:
        counts = ", ".join(f"{rtype} x{count}" for rtype, count in sorted(rest.items()))
        run.warn(
            "fhir_not_mapped",
            f"resources not used for the case: {counts}",
            [e.label for e in unused if e.resource_type not in ("Observation", "Condition")],
        )
    if run.ignored_in_error:
        run.warn(
            "fhir_entered_in_error",
            f"{len(run.ignored_in_error)} resource(s) marked entered-in-error, cancelled or refuted were ignored",
            list(run.ignored_in_error),
        )


def bundle_to_case(
    bundle: object,
    vocab: FhirVocabulary,
    *,
    source: str = "bundle",
    validation_memo: MutableMapping[str, bool] | None = None,
) -> FhirImport:
    """The case data of one patient's Bundle and the warnings of its mapping (see the module docstring).

    ``validation_memo``: a mapping the caller (an edge: the service) keeps across bundles, so
    that a resource validated before with the same content is not validated again; bound its
    size (e.g. an LRU mapping). Without it every resource read is validated."""
    run = MappingRun(index=index_bundle(bundle, source), vocab=vocab, memo=validation_memo)
    run.patient, patient_id = _patient(run)
    tumour, other_conditions = _primary_tumour(run)
    findings = read_observations(run)
    tests = []
    for group in findings.her2_groups.values():
        test, _ = her2_test(run, group)
        if test is not None:
            her2_specimen(run, group, test)
            tests.append(test)
    if not tests:
        raise InputError(
            f"{source}: Bundle.entry: no HER2 result for {run.patient.label}: an IHC score (LOINC 18474-7) or an ISH result "
            "(49683-6 HER2/CEP17 ratio, 74860-8 HER2 signals per nucleus) is needed for a decision"
        )
    tests = _oldest_first(tests)
    records = read_medications(run)
    lines = treatment_lines(run, records)
    _derive_settings(run, tests, lines)
    case: dict[str, Any] = {"schema": "her2gc.case/1", "patient_id": patient_id, "tumour": tumour, "her2_tests": tests}
    case.update(_single_values(findings))
    if run.sample_ids:
        case["sample_ids"] = run.sample_ids
    events = read_adverse_events(run)
    event_conditions = {
        c.label
        for e in run.index.of_type("AdverseEvent")
        for r in e.resource.get("resultingCondition") or []
        if (c := run.index.resolve(r))
    }
    comorbidities: dict[str, Any] = read_comorbidities(run, other_conditions, event_conditions)
    if "lvef" in findings.latest:
        comorbidities["lvef_percent"] = findings.latest["lvef"][2]
    if comorbidities:
        case["comorbidities"] = comorbidities
    if lines:
        case["treatment_history"] = lines
    alterations, ctdna = read_variants(run, findings.variants)
    for key, value in (
        ("alterations", alterations),
        ("ctdna", ctdna),
        ("ncrna", read_ncrna(run, findings.ncrna)),
        ("adverse_events", events),
    ):
        if value:
            case[key] = value
    therapy = current_therapy(run, records)
    if therapy is not None:
        case["current_therapy"] = therapy
    _report_unused(run, other_conditions)
    unique = list({(w.code, w.message): w for w in run.warnings}.values())
    return FhirImport(case=case, warnings=unique, patient=run.patient.label)


def case_from_bundle(
    bundle: object, vocab: FhirVocabulary, *, source: str = "bundle", region: str | None = None
) -> tuple[Case, list[Warning]]:
    """The validated case of a Bundle and the mapping's warnings; InputError on anything refused."""
    from her2gc.readers.case_file import case_from_data

    mapped = bundle_to_case(bundle, vocab, source=source)
    data = dict(mapped.case)
    if region is not None:
        data["region"] = region
    return case_from_data(data, source), mapped.warnings
