"""A FHIR R4 Bundle as the reader walks it: resources by reference, validated, and the few
element shapes the mapping reads (codings, quantities, dates, references, extensions).

Every resource the mapping reads is validated by its ``fhir.resources`` R4B model first, so
a malformed element is an :class:`InputError` naming the resource and the element path
(``bundle.json: Observation/her2.valueQuantity.value: ...``). The mapping itself reads the
plain JSON: the models are the gate, not the data structure, because element access on
dictionaries is what keeps a 50-resource bundle in milliseconds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
from collections.abc import Iterator, Mapping, MutableMapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from her2gc.errors import InputError
from her2gc.kb.schema_fhir import FhirCodes

JsonDict = dict[str, Any]
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def clip(text: object, limit: int = 80) -> str:
    """A value for a one-line message, cut with an ellipsis."""
    value = str(text)
    return value if len(value) <= limit else value[: limit - 1] + "…"


@dataclass(frozen=True)
class Entry:
    """One resource of the bundle and how messages name it."""

    resource: JsonDict
    label: str
    full_url: str | None = None

    @property
    def resource_type(self) -> str:
        return str(self.resource.get("resourceType", ""))


@dataclass
class BundleIndex:
    """The bundle's resources in order, and by every name a reference may use."""

    source: str
    entries: list[Entry] = field(default_factory=list)
    by_reference: dict[str, Entry] = field(default_factory=dict)
    validated: set[str] = field(default_factory=set)

    def of_type(self, *resource_types: str) -> list[Entry]:
        return [e for e in self.entries if e.resource_type in resource_types]

    def resolve(self, reference: object) -> Entry | None:
        """The entry a Reference points at (``Type/id``, a full URL or ``urn:uuid:``), if in the bundle."""
        if not isinstance(reference, dict):
            return None
        target = reference.get("reference")
        if not isinstance(target, str):
            return None
        if target in self.by_reference:
            return self.by_reference[target]
        # An absolute URL ending in Type/id names the same resource as the relative form.
        parts = target.rstrip("/").split("/")
        return self.by_reference.get("/".join(parts[-2:])) if len(parts) >= 2 else None

    def where(self, entry: Entry, element: str) -> str:
        return f"{self.source}: {entry.label}.{element}"


def index_bundle(bundle: object, source: str) -> BundleIndex:
    """Index a Bundle (already parsed JSON); InputError when it is not a Bundle of resources."""
    if not isinstance(bundle, dict) or bundle.get("resourceType") != "Bundle":
        found = bundle.get("resourceType") if isinstance(bundle, dict) else type(bundle).__name__
        raise InputError(f"{source}: resourceType: expected 'Bundle', found {clip(found)!r}")
    entries = bundle.get("entry") or []
    if not isinstance(entries, list):
        raise InputError(f"{source}: Bundle.entry: expected a list")
    index = BundleIndex(source=source)
    for position, raw in enumerate(entries):
        resource = raw.get("resource") if isinstance(raw, dict) else None
        if not isinstance(resource, dict) or not isinstance(resource.get("resourceType"), str):
            raise InputError(f"{source}: Bundle.entry[{position}].resource: missing or without resourceType")
        rtype, rid = resource["resourceType"], resource.get("id")
        label = f"{rtype}/{rid}" if isinstance(rid, str) and rid else f"{rtype}[entry {position}]"
        full_url = raw.get("fullUrl") if isinstance(raw.get("fullUrl"), str) else None
        entry = Entry(resource=resource, label=label, full_url=full_url)
        index.entries.append(entry)
        if isinstance(rid, str) and rid:
            index.by_reference.setdefault(f"{rtype}/{rid}", entry)
        if full_url:
            index.by_reference.setdefault(full_url, entry)
    return index


def _element_path(location: tuple[int | str, ...]) -> str:
    text = ""
    for part in location:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def content_key(resource: JsonDict) -> str:
    """A digest of a resource's content: the key under which a validation memo holds it."""
    return hashlib.sha256(json.dumps(resource, sort_keys=True, separators=(",", ":"), default=str).encode()).hexdigest()


def validate(index: BundleIndex, entry: Entry, memo: MutableMapping[str, bool] | None = None) -> None:
    """Validate one resource by its fhir.resources R4B model (once); InputError naming the element.

    ``memo`` (content digest -> valid), when the caller keeps one across bundles, spares the
    validation of a resource seen before with the same content: a service asked again about the
    same record. Only valid resources are remembered."""
    if entry.label in index.validated:
        return
    key = content_key(entry.resource) if memo is not None else ""
    if memo is not None and memo.get(key):
        index.validated.add(entry.label)
        return
    from fhir.resources.R4B import get_fhir_model_class

    try:
        model = get_fhir_model_class(entry.resource_type)
    except ValueError:
        raise InputError(
            f"{index.source}: {entry.label}: '{clip(entry.resource_type)}' is not a FHIR R4 resource type"
        ) from None
    try:
        model.model_validate(entry.resource)
    except ValidationError as exc:
        first = exc.errors()[0]
        message = str(first.get("msg", "invalid")).removeprefix("Value error, ")
        more = f" (+{exc.error_count() - 1} more)" if exc.error_count() > 1 else ""
        raise InputError(f"{index.where(entry, _element_path(tuple(first['loc'])))}: {message}{more}") from None
    index.validated.add(entry.label)
    if memo is not None:
        memo[key] = True


# ---------------------------------------------------------------- element shapes


def codings(concept: object) -> list[JsonDict]:
    """The codings of a CodeableConcept (or of a bare Coding)."""
    if not isinstance(concept, dict):
        return []
    if "coding" in concept:
        return [c for c in concept.get("coding") or [] if isinstance(c, dict)]
    return [concept] if "code" in concept else []


def coded(codes: FhirCodes, concept: object) -> Iterator[tuple[str, str, JsonDict]]:
    """(system name, code, coding) of each coding whose system the code tables know."""
    for coding in codings(concept):
        name = codes.system_name(coding.get("system"))
        code = coding.get("code")
        if name is not None and isinstance(code, str):
            yield name, code, coding


def concept_text(concept: object) -> str | None:
    """What a person reads of a CodeableConcept: its text, else the first display or code."""
    if not isinstance(concept, dict):
        return None
    if isinstance(concept.get("text"), str):
        return str(concept["text"])
    for coding in codings(concept):
        for key in ("display", "code"):
            if isinstance(coding.get(key), str):
                return str(coding[key])
    return None


def describe(concept: object) -> str:
    """A CodeableConcept for a message: ``system code 'display'`` of its first coding."""
    for coding in codings(concept):
        system = str(coding.get("system", "no system"))
        display = f" '{clip(coding['display'], 60)}'" if isinstance(coding.get("display"), str) else ""
        return f"{system} {coding.get('code')!s}{display}"
    text = concept_text(concept)
    return f"text '{clip(text, 60)}'" if text else "no coding"


def quantity(value: object) -> float | None:
    if (
        isinstance(value, dict)
        and isinstance(value.get("value"), (int, float))
        and not isinstance(value.get("value"), bool)
    ):
        return float(value["value"])
    return None


def parse_date(value: object) -> dt.date | None:
    """The calendar date of a FHIR date or dateTime; a year or year-month gives its first day."""
    if not isinstance(value, str):
        return None
    match = _DATE.match(value)
    if match is None:
        return None
    year, month, day = match.group(1), match.group(2) or "01", match.group(3) or "01"
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        return None


def effective_date(resource: Mapping[str, Any]) -> dt.date | None:
    """When an Observation or Condition applies: effective/onset dateTime or the start of its period."""
    for key in (
        "effectiveDateTime",
        "effectiveInstant",
        "onsetDateTime",
        "recordedDate",
        "issued",
        "occurrenceDateTime",
        "date",
    ):
        if key in resource:
            return parse_date(resource[key])
    for key in ("effectivePeriod", "onsetPeriod"):
        if isinstance(resource.get(key), dict):
            return parse_date(resource[key].get("start"))
    return None


def extensions(element: Mapping[str, Any], url: str) -> list[JsonDict]:
    return [e for e in element.get("extension") or [] if isinstance(e, dict) and e.get("url") == url]


def extension_value(element: Mapping[str, Any], url: str) -> tuple[str, Any] | None:
    """(value[x] key, value) of the first extension with this URL."""
    for ext in extensions(element, url):
        for key, value in ext.items():
            if key.startswith("value"):
                return key, value
    return None


def components(resource: Mapping[str, Any]) -> list[JsonDict]:
    return [c for c in resource.get("component") or [] if isinstance(c, dict)]


def has_code(codes: FhirCodes, concept: object, role: str) -> bool:
    """Whether a CodeableConcept carries the code of a component role (``gene_studied``, ...)."""
    wanted = codes.components[role]
    return any(name == wanted.system and code == wanted.code for name, code, _ in coded(codes, concept))


def component_values(codes: FhirCodes, resource: Mapping[str, Any], role: str) -> list[JsonDict]:
    """The components of a role, in order."""
    return [c for c in components(resource) if has_code(codes, c.get("code"), role)]


def local_component(codes: FhirCodes, resource: Mapping[str, Any], local_code: str) -> JsonDict | None:
    for component in components(resource):
        for name, code, _ in coded(codes, component.get("code")):
            if name == "local" and code == local_code:
                return component
    return None


def value_of(element: Mapping[str, Any]) -> tuple[str | None, Any]:
    """(value[x] key, value) of an Observation or component."""
    for key, value in element.items():
        if key.startswith("value"):
            return key, value
    return None, None


# ---------------------------------------------------------------- one mapping run


@dataclass(frozen=True)
class FhirVocabulary:
    """What the mapping looks codes and names up in: the FHIR code tables and the
    knowledge base's gene and drug spellings (built by :func:`vocabulary_from_kb`)."""

    codes: FhirCodes
    genes: Mapping[str, str] = field(default_factory=dict)
    drugs: Mapping[str, str] = field(default_factory=dict)

    def gene(self, spelling: str | None) -> str | None:
        """HGNC symbol for an HGNC id (``HGNC:3430``), a symbol or an alias; None if unknown."""
        if not spelling:
            return None
        return self.genes.get(spelling.strip().upper())

    def drug_by_name(self, name: str | None) -> str | None:
        if not name:
            return None
        return self.drugs.get(fold_name(name))


def fold_name(name: str) -> str:
    """Drug names compared case-, space- and underscore-folded."""
    return " ".join(name.strip().lower().replace("_", " ").split())


@dataclass
class MappingRun:
    """The state of mapping one bundle: the index, what was used, what to report."""

    index: BundleIndex
    vocab: FhirVocabulary
    patient: Entry | None = None
    warnings: list[Any] = field(default_factory=list)
    used: set[str] = field(default_factory=set)
    ignored_in_error: list[str] = field(default_factory=list)
    sample_ids: list[str] = field(default_factory=list)
    memo: MutableMapping[str, bool] | None = None

    @property
    def codes(self) -> FhirCodes:
        return self.vocab.codes

    def warn(self, code: str, message: str, fields: list[str] | None = None) -> None:
        from her2gc.report import Warning

        self.warnings.append(Warning(code=code, message=message, fields=list(fields or [])))

    def use(self, entry: Entry) -> None:
        validate(self.index, entry, self.memo)
        self.used.add(entry.label)

    def where(self, entry: Entry, element: str) -> str:
        return self.index.where(entry, element)

    def for_patient(self, entry: Entry) -> bool:
        """Whether a resource is about the bundle's patient. One about another patient is
        reported and left out: another person's data is never merged into the case."""
        reference = entry.resource.get("subject", entry.resource.get("patient"))
        if reference is None or self.patient is None:
            return True
        target = self.index.resolve(reference)
        if target is self.patient:
            return True
        text = reference.get("reference") if isinstance(reference, dict) else None
        if target is None and isinstance(text, str) and text.split("/")[-2:-1] != ["Patient"]:
            return True  # a subject that is not a Patient reference (e.g. a Group) is judged by its type below
        self.warn(
            "fhir_other_patient",
            f"{entry.label}: subject {clip(text)!r} is not the bundle's patient {self.patient.label}; left out",
            [entry.label],
        )
        self.used.add(entry.label)
        return False

    def usable(self, entry: Entry) -> bool:
        """Whether an Observation's or Condition's status lets it be read (final, amended, corrected)."""
        status = entry.resource.get("status")
        if status in (None, "final", "amended", "corrected"):
            return True
        self.used.add(entry.label)
        if status in ("entered-in-error", "cancelled"):
            self.ignored_in_error.append(entry.label)
            return False
        self.warn("fhir_not_final", f"{entry.label}: status '{clip(status)}' is not final; not used", [entry.label])
        return False


# ---------------------------------------------------------------- values the decision reads


def number_value(run: MappingRun, entry: Entry, element: JsonDict, path: str, *, low: float, high: float) -> float:
    key, value = value_of(element)
    number = (
        quantity(value)
        if key == "valueQuantity"
        else (float(value) if key in ("valueInteger", "valueDecimal") else None)
    )
    if number is None:
        raise InputError(f"{run.where(entry, path)}: expected a number (valueQuantity), found {key or 'no value'}")
    if not low <= number <= high:
        raise InputError(f"{run.where(entry, path)}: {number:g} is outside {low:g}-{high:g}")
    return number


def fraction_value(run: MappingRun, entry: Entry, element: JsonDict, path: str) -> float:
    """A fraction 0-1; a Quantity in % is divided by 100."""
    _, value = value_of(element)
    unit = str(value.get("code") or value.get("unit") or "") if isinstance(value, dict) else ""
    if unit == "%":
        return number_value(run, entry, element, path, low=0, high=100) / 100
    return number_value(run, entry, element, path, low=0, high=1)


def answer_value(run: MappingRun, entry: Entry, concept: object, field_name: str, path: str) -> str:
    """The case value of a coded answer; an unknown code is an error naming the element."""
    for name, code, _ in coded(run.codes, concept):
        found = run.codes.answer_index.get((field_name, name, code))
        if found is not None:
            if not found.confirmed:
                run.warn(
                    "fhir_unconfirmed_code",
                    f"{entry.label}.{path}: {name} {code} read as {found.value!r}; the code was not checked against the terminology's release",
                    [entry.label],
                )
            return found.value
    accepted = ", ".join(f"{a.code} ({a.display})" for a in run.codes.answers_for(field_name))
    raise InputError(f"{run.where(entry, path)}: {describe(concept)} is not one of {clip(accepted, 160)}")
