"""Schema and loader of ``clinical_map.yaml``: how the clinical attributes of a study
(cBioPortal ``data_clinical_*.txt`` columns) become case fields, survival end points
and carried columns of a cohort run.

The map is knowledge-base data: which study column means "HER2 IHC score", which of its
values mean ``3+``, which columns hold overall survival, and the sources that say so. A
user's ``--clinical-map MAP.yaml`` has the same shape; its entries are consulted before
the packaged ones (for a case field, the first entry whose column the study has wins).
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
import re
import typing
from collections.abc import Collection
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from her2gc import terms
from her2gc.errors import Her2gcError, InputError, KnowledgeBaseError
from her2gc.kb.yamlio import DATA_DIR, YamlSyntaxError, read_yaml

CLINICAL_MAP_SCHEMA = "her2gc.clinical_map/1"

# The case fields a clinical column can fill. ``her2.*`` fields make one HER2 test per
# clinical row (patient or sample); ``erbb2.ngs_amplified`` adds an ERBB2 amplification
# found by tissue NGS; the others are one value per patient.
CaseField = Literal[
    "tumour.site",
    "tumour.oncotree_code",
    "tumour.histology",
    "tumour.lauren",
    "tumour.metastatic",
    "her2.ihc_score",
    "her2.ish_ratio",
    "her2.ish_result",
    "her2.setting",
    "her2.specimen",
    "her2.site",
    "pdl1.cps",
    "pdl1.assay",
    "msi",
    "ecog",
    "tumour_fraction",
    "erbb2.ngs_amplified",
]
NUMERIC_FIELDS = frozenset({"her2.ish_ratio", "pdl1.cps", "ecog", "tumour_fraction"})
BOOLEAN_FIELDS = frozenset({"tumour.metastatic", "erbb2.ngs_amplified"})
TEST_FIELDS = frozenset(
    {"her2.ihc_score", "her2.ish_ratio", "her2.ish_result", "her2.setting", "her2.specimen", "her2.site"}
)
MappedValue = str | float | bool | None
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def _case_vocabulary() -> dict[str, frozenset[str]]:
    """The closed vocabularies of the case schema (defined once, in ``her2gc.terms``)."""

    def values(annotation: object) -> frozenset[str]:
        return frozenset(str(v) for v in typing.get_args(annotation))

    return {
        "tumour.site": values(terms.TumourSite),
        "tumour.oncotree_code": values(terms.OncotreeCode),
        "tumour.lauren": values(terms.Lauren),
        "her2.ihc_score": values(terms.IhcScore),
        "her2.ish_result": frozenset({"amplified", "not_amplified"}),
        "her2.setting": values(terms.TestSetting),
        "her2.specimen": values(terms.Specimen),
        "msi": values(terms.MsiStatus),
    }


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, populate_by_name=True)


class ContainsRule(_Entry):
    """Free text: the first rule whose ``text`` occurs in the value (case-insensitive) decides."""

    text: str = Field(min_length=1)
    value: MappedValue


class ClinicalAttribute(_Entry):
    """One case field read from the first of ``columns`` that the study has (names case-insensitive)."""

    field: CaseField
    columns: list[str] = Field(min_length=1)
    values: dict[str, MappedValue] | None = Field(
        default=None, description="exact values (case-insensitive) -> case value; null: known, leaves the field empty"
    )
    contains: list[ContainsRule] = Field(default_factory=list)
    passthrough: bool = Field(default=False, description="free text kept as written (e.g. histology)")
    unknown: Literal["error", "ignore"] = Field(
        default="error", description="a value the map does not know: the patient's error, or left empty"
    )
    note: str | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _one_way_to_read(self) -> "ClinicalAttribute":
        numeric = self.field in NUMERIC_FIELDS
        if not numeric and not self.passthrough and self.values is None and not self.contains:
            raise ValueError(f"field {self.field}: give values, contains or passthrough: true")
        return self


class EventValues(_Entry):
    """How an event column reads: exact values, then prefixes (cBioPortal's ``1:DECEASED``)."""

    values: dict[str, Literal[0, 1]] = Field(default_factory=dict)
    prefixes: dict[str, Literal[0, 1]] = Field(default_factory=dict)


class Endpoint(_Entry):
    """A time-to-event end point: time from the first non-empty of ``time_columns``, event from ``event_column``."""

    name: str = Field(description="column stem in the patient table: <name>_months, <name>_event")
    label: str
    kind: Literal["survival", "time_on_therapy"]
    time_columns: list[str] = Field(min_length=1)
    time_unit: Literal["days", "months"]
    event_column: str
    event: EventValues
    note: str | None = None
    sources: list[str] = Field(default_factory=list)

    @model_validator(mode="after")
    def _name_is_identifier(self) -> "Endpoint":
        if not _NAME.match(self.name):
            raise ValueError(f"endpoint name '{self.name}' must be lower-case letters, digits and _")
        return self


class ResponseColumn(_Entry):
    column: str
    values: dict[str, Literal["CR", "PR", "SD", "PD", "NE"] | None]


class TreatmentRule(_Entry):
    """A line of therapy the study's columns record: a value in ``when_column`` means it was given."""

    when_column: str
    line: int = Field(ge=1)
    drugs: list[str] = Field(min_length=1)
    best_response: ResponseColumn | None = None
    note: str | None = None
    sources: list[str] = Field(default_factory=list)


class CarriedColumn(_Entry):
    """A study column kept as a patient-table column (for comparison with the engine's call)."""

    name: str
    columns: list[str] = Field(min_length=1)
    note: str | None = None

    @model_validator(mode="after")
    def _name_is_identifier(self) -> "CarriedColumn":
        if not _NAME.match(self.name):
            raise ValueError(f"carried column name '{self.name}' must be lower-case letters, digits and _")
        return self


class FieldDefault(_Entry):
    """A value a study leaves unsaid but the case schema needs; each says why."""

    field: CaseField
    value: MappedValue
    note: str


class ClinicalMap(_Entry):
    schema_: Literal["her2gc.clinical_map/1"] = Field(default="her2gc.clinical_map/1", alias="schema")
    null_values: list[str] = Field(default_factory=list, description="values meaning 'not recorded' (case-insensitive)")
    patient_id_columns: list[str] = Field(default_factory=list)
    sample_id_columns: list[str] = Field(default_factory=list)
    attributes: list[ClinicalAttribute] = Field(default_factory=list)
    defaults: list[FieldDefault] = Field(default_factory=list)
    endpoints: list[Endpoint] = Field(default_factory=list)
    treatments: list[TreatmentRule] = Field(default_factory=list)
    carry: list[CarriedColumn] = Field(default_factory=list)

    @model_validator(mode="after")
    def _values_in_case_vocabulary(self) -> "ClinicalMap":
        vocabulary = _case_vocabulary()
        for index, attribute in enumerate(self.attributes):
            allowed = vocabulary.get(attribute.field)
            mapped = [*(attribute.values or {}).values(), *(rule.value for rule in attribute.contains)]
            for value in mapped:
                if value is None:
                    continue
                if attribute.field in BOOLEAN_FIELDS and not isinstance(value, bool):
                    raise ValueError(f"attributes[{index}] ({attribute.field}): {value!r} is not true or false")
                if allowed is not None and str(value) not in allowed:
                    raise ValueError(
                        f"attributes[{index}] ({attribute.field}): {value!r} is not one of {', '.join(sorted(allowed))}"
                    )
        return self

    def source_ids(self) -> set[str]:
        ids = {sid for a in self.attributes for sid in a.sources}
        ids.update(sid for e in self.endpoints for sid in e.sources)
        ids.update(sid for t in self.treatments for sid in t.sources)
        return ids


def _read_map(path: Path, error: type[Her2gcError]) -> ClinicalMap:
    """One map file, validated; ``error`` is InputError for a user's map, KnowledgeBaseError for the packaged one."""
    try:
        data = read_yaml(path)
    except OSError as exc:
        raise error(f"{path}: cannot read ({exc.strerror or exc})") from None
    except YamlSyntaxError as exc:
        raise error(f"{path}: malformed YAML ({exc})") from None
    if not isinstance(data, dict):
        raise error(f"{path}: expected a mapping with 'attributes', 'endpoints', 'carry'...")
    try:
        return ClinicalMap.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        location = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in first["loc"]).lstrip(".")
        message = str(first["msg"]).removeprefix("Value error, ")
        raise error(f"{path.name}: {location or 'map'}: {message}") from None


def _merged(user: ClinicalMap, packaged: ClinicalMap) -> ClinicalMap:
    """The user's entries first; an end point or carried column of the same name replaces the packaged one."""
    user_endpoints = {e.name for e in user.endpoints}
    user_carry = {c.name for c in user.carry}
    return ClinicalMap(
        null_values=[*user.null_values, *packaged.null_values],
        patient_id_columns=[*user.patient_id_columns, *packaged.patient_id_columns],
        sample_id_columns=[*user.sample_id_columns, *packaged.sample_id_columns],
        attributes=[*user.attributes, *packaged.attributes],
        defaults=[*user.defaults, *(d for d in packaged.defaults if d.field not in {u.field for u in user.defaults})],
        endpoints=[*user.endpoints, *(e for e in packaged.endpoints if e.name not in user_endpoints)],
        treatments=[*user.treatments, *packaged.treatments],
        carry=[*user.carry, *(c for c in packaged.carry if c.name not in user_carry)],
    )


def load_clinical_map(user_map: Path | None = None, known_sources: Collection[str] | None = None) -> ClinicalMap:
    """The packaged clinical map, with ``user_map``'s entries first when given.

    ``known_sources`` (the knowledge base's source ids) checks that every cited source exists.
    """
    packaged = _read_map(DATA_DIR / "clinical_map.yaml", KnowledgeBaseError)
    merged = packaged if user_map is None else _merged(_read_map(user_map, InputError), packaged)
    if known_sources is not None:
        missing = sorted(merged.source_ids() - set(known_sources))
        if missing:
            raise InputError(f"clinical map: unknown source id(s) {', '.join(missing)}")
    return merged
