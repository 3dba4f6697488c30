"""Schema of ``fhir_codes.yaml``: the code tables of the FHIR reader and writer.

Which LOINC code is a HER2 IHC result, which SNOMED CT or ICD-10 code a gastric
adenocarcinoma, which RxNorm code trastuzumab: these are knowledge, kept as data with the
ids of their sources (``sources_fhir.yaml``), never in Python. The reader
(``her2gc.readers.fhir``) and the writer (``her2gc.render.fhir``) receive a
:class:`FhirCodes` and look codes up through its indexes.

Fields named ``drug`` and ``sources`` name knowledge-base drugs and sources, so the
knowledge-base cross-reference check covers this file once it is loaded with the rest.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
import functools
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from her2gc.errors import KnowledgeBaseError
from her2gc.kb.yamlio import YamlSyntaxError, read_yaml
from her2gc.terms import AdverseEventKind

ObservationKind = Literal[
    "her2_ihc",
    "her2_ish_ratio",
    "her2_signals_per_nucleus",
    "cep17_signals_per_nucleus",
    "her2_ish_interpretation",
    "her2_interpretation",
    "pdl1",
    "pdl1_cps",
    "pdl1_tps",
    "msi",
    "ecog",
    "lvef",
    "cldn18_2",
    "tumour_fraction",
    "variant",
    "ncrna_expression",
    "not_used",
]
AnswerField = Literal[
    "ihc_score", "msi", "presence", "interpretation", "ecog", "ish_result", "ncrna_direction", "genomic_source",
    "intensity", "pattern", "ctdna_timing", "csco_tier",
]  # fmt: skip
Site = Literal["stomach", "gej", "oesophagus", "other"]
SpecimenKind = Literal["biopsy", "resection", "cytology", "tissue", "plasma", "blood"]
StatusRole = Literal["current", "history", "ignore"]
ChangeKind = Literal["amp", "del", "mut", "fusion", "cnv", "loss", "over", "p95"]
StopReason = Literal["progression", "toxicity", "completed", "other"]


class _Entry(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


class Code(_Entry):
    """One code of a terminology; ``system`` is a key of :attr:`FhirCodes.systems`."""

    system: str
    code: str
    display: str | None = None


class SourcedCode(Code):
    confirmed: bool = Field(
        default=True, description="false where the code was not checked against the terminology's own release"
    )
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class ObservationCode(SourcedCode):
    kind: ObservationKind
    assay: str | None = Field(default=None, description="the assay the code names, e.g. the PD-L1 clone")
    reason: str | None = Field(default=None, description="not_used: why the product does not read it")


class AnswerCode(SourcedCode):
    field: AnswerField
    value: str = Field(description="the case value the answer means")


class CancerCode(SourcedCode):
    match: Literal["exact", "prefix"] = "exact"
    site: Site
    histology: str | None = Field(default=None, description="the histology the code itself states")
    adenocarcinoma: bool | None = None


class MorphologyCode(SourcedCode):
    histology: str
    adenocarcinoma: bool
    lauren: Literal["intestinal", "diffuse", "mixed"] | None = None


class CancerCodes(_Entry):
    primary_profiles: list[str]
    secondary_profiles: list[str]
    histology_extension: str
    disorders: list[CancerCode] = Field(description="Condition.code of a primary cancer")
    topography: list[CancerCode] = Field(description="Condition.bodySite of a primary cancer")
    morphology: list[MorphologyCode]
    secondary: list[CancerCode] = Field(description="codes of secondary (metastatic) cancer")
    oncotree: dict[Literal["stomach", "gej", "oesophagus"], str]
    written: dict[Literal["stomach", "gej", "oesophagus"], dict[Literal["icd10", "icdo3"], str]] = Field(
        description="the codes the writer uses for each site"
    )


class SpecimenCode(SourcedCode):
    specimen: SpecimenKind


class MedicationCode(_Entry):
    drug: str = Field(description="lower-case INN, an id of drugs.yaml")
    rxnorm: list[str] = Field(default_factory=list, description="RxNorm ingredient (IN) codes")
    atc: list[str] = Field(default_factory=list)
    names: list[str] = Field(
        default_factory=list,
        description="ingredient names as terminologies print them (matched case- and space-folded)",
    )
    confirmed: bool = True
    note: str | None = None
    sources: list[str] = Field(min_length=1)


class StopReasonCode(SourcedCode):
    stop_reason: StopReason


class AdverseEventCode(SourcedCode):
    event: AdverseEventKind
    organ: str | None = None


class ComorbidityCode(SourcedCode):
    comorbidity: Literal["ild_history", "heart_failure"]


class ChangeTypeCode(SourcedCode):
    kind: ChangeKind


class CopyNumberCall(_Entry):
    """Amplified or deleted from an absolute copy number when the change type says only 'copy number variation'."""

    amp_at_least: float = Field(gt=0)
    del_at_most: float = Field(ge=0)
    sources: list[str] = Field(min_length=1)


class LineGrouping(_Entry):
    """How medication records become lines of therapy when no line number is recorded."""

    same_line_within_days: int = Field(
        ge=0, description="drugs starting within this many days of a line's first drug join it"
    )
    sources: list[str] = Field(min_length=1)


class LocalNamespace(_Entry):
    code_system: str = Field(description="canonical URL of the product's local code system")
    extension_base: str = Field(description="prefix of the product's extension URLs")
    codes: dict[str, str] = Field(description="local code -> definition")
    extensions: dict[str, str] = Field(description="extension name -> definition")
    sources: list[str] = Field(min_length=1)


class MedicationStatuses(_Entry):
    MedicationStatement: dict[str, StatusRole]
    MedicationAdministration: dict[str, StatusRole]
    MedicationRequest: dict[str, StatusRole]


class FhirCodes(_Entry):
    """Every code table of the FHIR mapping, indexed for lookup."""

    version: str
    systems: dict[str, list[str]] = Field(description="name -> canonical URIs; the first is the one written")
    profiles: dict[str, str]
    components: dict[str, Code] = Field(description="component and category codes by role")
    observations: list[ObservationCode]
    answers: list[AnswerCode]
    ihc_score_text: dict[str, Literal["0", "1+", "2+", "3+"]] = Field(
        description="spellings of a HER2 IHC score sent as text"
    )
    cancer: CancerCodes
    specimens: list[SpecimenCode]
    comorbidities: list[ComorbidityCode]
    medications: list[MedicationCode]
    medication_statuses: MedicationStatuses
    stop_reasons: list[StopReasonCode]
    adverse_events: list[AdverseEventCode]
    adverse_event_grade_extensions: list[str] = Field(description="extension URLs carrying a CTCAE grade")
    change_types: list[ChangeTypeCode]
    copy_number_call: CopyNumberCall
    line_grouping: LineGrouping
    local: LocalNamespace
    sources: list[str] = Field(min_length=1)

    @model_validator(mode="after")
    def _systems_known(self) -> "FhirCodes":
        named = (
            [c.system for c in self.observations]
            + [c.system for c in self.answers]
            + [c.system for c in self.specimens]
        )
        named += [
            c.system
            for c in (*self.cancer.disorders, *self.cancer.topography, *self.cancer.morphology, *self.cancer.secondary)
        ]
        named += [c.system for c in (*self.stop_reasons, *self.adverse_events, *self.comorbidities, *self.change_types)]
        named += [c.system for c in self.components.values()]
        unknown = sorted({name for name in named if name not in self.systems})
        if unknown:
            raise ValueError(f"code systems not declared under systems: {', '.join(unknown)}")
        return self

    # Indexes, built on first use. The model is frozen, so a cache per instance is safe.
    def uri(self, system: str) -> str:
        """The URI written for a named system."""
        return self.systems[system][0]

    @functools.cached_property
    def system_names(self) -> dict[str, str]:
        """Every accepted URI (also without a trailing slash) -> system name."""
        table: dict[str, str] = {}
        for name, uris in self.systems.items():
            for uri in uris:
                table[uri.rstrip("/")] = name
        return table

    def system_name(self, uri: str | None) -> str | None:
        return None if uri is None else self.system_names.get(uri.rstrip("/"))

    @functools.cached_property
    def observation_index(self) -> dict[tuple[str, str], ObservationCode]:
        return {(c.system, c.code): c for c in self.observations}

    @functools.cached_property
    def answer_index(self) -> dict[tuple[str, str, str], AnswerCode]:
        return {(c.field, c.system, c.code): c for c in self.answers}

    def answers_for(self, field: str) -> list[AnswerCode]:
        return [a for a in self.answers if a.field == field]

    def first_observation(self, kind: str) -> ObservationCode:
        """The code written for an observation kind: the first entry of that kind."""
        return next(c for c in self.observations if c.kind == kind)

    def answer_for(self, field: str, value: str) -> AnswerCode | None:
        """The code written for a case value: the first confirmed answer, else the first."""
        candidates = [a for a in self.answers if a.field == field and a.value == value]
        confirmed = [a for a in candidates if a.confirmed]
        chosen = confirmed or candidates
        return chosen[0] if chosen else None

    @functools.cached_property
    def medication_index(self) -> dict[tuple[str, str], MedicationCode]:
        table: dict[tuple[str, str], MedicationCode] = {}
        for entry in self.medications:
            for code in entry.rxnorm:
                table[("rxnorm", code)] = entry
            for code in entry.atc:
                table[("atc", code)] = entry
        return table

    @functools.cached_property
    def medication_by_drug(self) -> dict[str, MedicationCode]:
        return {entry.drug: entry for entry in self.medications}

    def local_code(self, code: str) -> Code:
        if code not in self.local.codes:
            raise KeyError(f"'{code}' is not a local code of fhir_codes.yaml")
        return Code(system="local", code=code, display=self.local.codes[code])

    def extension_url(self, name: str) -> str:
        if name not in self.local.extensions:
            raise KeyError(f"'{name}' is not a local extension of fhir_codes.yaml")
        return self.local.extension_base + name

    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True, ignored_types=(functools.cached_property,))


def load_fhir_codes(path: Path) -> FhirCodes:
    """Read and validate ``fhir_codes.yaml``; KnowledgeBaseError naming the first problem."""
    path = Path(path)
    try:
        data = read_yaml(path)
    except YamlSyntaxError as exc:
        raise KnowledgeBaseError(f"{path.name}: malformed YAML ({exc})") from None
    except OSError as exc:
        raise KnowledgeBaseError(f"{path}: cannot read ({exc.strerror or exc})") from None
    try:
        return FhirCodes.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(part) for part in first["loc"])
        raise KnowledgeBaseError(f"{path.name}: {where}: {first['msg']}") from None
