"""The case: one patient's findings as the report needs them (``her2gc.case/1``).

Parsing only checks shape and vocabulary; clinical interpretation happens in the
steps. Drug aliases become lower-case INN and gene aliases HGNC symbols, from the
vocabulary of the knowledge base the case is read with, passed as validation context
(``Case.model_validate(data, context={"vocabulary": kb.vocabulary})``); the engine
normalises any case read without one before it evaluates it, so every step sees one
spelling.
"""

# No `from __future__ import annotations`: pydantic would compile every field's annotation
# string again at import, which costs start-up time on every command.
import datetime as dt
import itertools
from typing import Annotated, Any, Literal, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from her2gc.kb.vocabulary import Vocabulary, fold_drug_name, fold_gene_symbol
from her2gc.terms import (
    AdverseEventKind,
    AlterationKind,
    IhcScore,
    InfusionSymptom,
    Lauren,
    MsiStatus,
    OncotreeCode,
    Region,
    Specimen,
    TestSetting,
    TumourSite,
)

CASE_SCHEMA = "her2gc.case/1"

Intensity = Literal["none", "faint", "weak_moderate", "strong"]
StainPattern = Literal["complete", "basolateral", "lateral", "partial"]
SampleSource = Literal["tissue", "plasma"]
Response = Literal["CR", "PR", "SD", "PD", "NE"]
StopReason = Literal["progression", "toxicity", "completed", "other"]


def _score_as_text(value: Any) -> Any:
    # YAML reads a bare `0` as an integer; the score vocabulary is textual.
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and value in (0, 1, 2, 3):
        return "0" if value == 0 else f"{value}+"
    return value


def _vocabulary(info: ValidationInfo) -> Vocabulary | None:
    context = info.context
    vocabulary = context.get("vocabulary") if isinstance(context, dict) else None
    return vocabulary if isinstance(vocabulary, Vocabulary) else None


def _drug(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str):
        return value
    vocabulary = _vocabulary(info)
    return vocabulary.drug(value) if vocabulary is not None else fold_drug_name(value)


def _gene(value: Any, info: ValidationInfo) -> Any:
    if not isinstance(value, str):
        return value
    vocabulary = _vocabulary(info)
    return vocabulary.gene(value) if vocabulary is not None else fold_gene_symbol(value)


def _number(value: Any) -> Any:
    # YAML and JSON read true/false as numbers in lax validation (true == 1): a clinical value never is.
    if isinstance(value, bool):
        raise ValueError("a number is expected, not true/false")
    return value


def _flag(value: Any) -> Any:
    if not isinstance(value, bool):
        raise ValueError(f"true or false is expected, not {str(value)[:40]!r}")
    return value


# Numbers refuse booleans, infinities and NaN; flags refuse anything but true/false.
Number = Annotated[float, BeforeValidator(_number), Field(allow_inf_nan=False)]
Count = Annotated[int, BeforeValidator(_number)]
Flag = Annotated[bool, BeforeValidator(_flag)]
Text = Annotated[str, Field(max_length=200)]

DrugName = Annotated[str, BeforeValidator(_drug)]
GeneSymbol = Annotated[str, BeforeValidator(_gene)]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", serialize_by_alias=True)


class IhcReading(_Frozen):
    """An IHC result: the score, or the raw reading for the product to score."""

    score: Annotated[IhcScore | None, BeforeValidator(_score_as_text)] = None
    percent_cells: Number | None = Field(default=None, ge=0, le=100)
    intensity: Intensity | None = None
    pattern: StainPattern | None = None
    largest_cluster_cells: Count | None = Field(default=None, ge=0)

    @model_validator(mode="after")
    def _score_or_reading(self) -> Self:
        if self.score is None and (
            self.intensity is None or (self.percent_cells is None and self.largest_cluster_cells is None)
        ):
            raise ValueError("give a score, or a raw reading with intensity and percent_cells or largest_cluster_cells")
        return self


class IshResult(_Frozen):
    """An in-situ hybridisation result (FISH, SISH, DISH)."""

    ratio: Number | None = Field(default=None, gt=0, description="HER2/CEP17 ratio")
    her2_signals_per_cell: Number | None = Field(default=None, ge=0)
    cep17_signals_per_cell: Number | None = Field(default=None, gt=0)
    reported_result: Literal["amplified", "not_amplified"] | None = Field(
        default=None, description="the laboratory's interpretation when no numbers are given"
    )

    @model_validator(mode="after")
    def _some_result(self) -> Self:
        if self.ratio is None and self.her2_signals_per_cell is None and self.reported_result is None:
            raise ValueError("give ratio, her2_signals_per_cell or reported_result")
        return self


class Her2Test(_Frozen):
    date: dt.date | None = None
    specimen: Specimen
    setting: TestSetting = "diagnosis"
    ihc: IhcReading | None = None
    ish: IshResult | None = None
    tumour_fragments: Count | None = Field(default=None, ge=0, description="tumour-bearing biopsy fragments")
    site: str | None = Field(default=None, description="primary or metastatic site sampled")

    @model_validator(mode="after")
    def _has_result(self) -> Self:
        if self.ihc is None and self.ish is None:
            raise ValueError("a HER2 test needs ihc or ish")
        return self


class Tumour(_Frozen):
    site: TumourSite
    oncotree_code: OncotreeCode | None = None
    histology: str = "adenocarcinoma"
    lauren: Lauren = "unknown"
    metastatic: Flag = True

    @field_validator("histology")
    @classmethod
    def _adenocarcinoma_only(cls, value: str) -> str:
        text = value.strip().lower()
        if "adenocarcinoma" not in text:
            raise ValueError(f"'{value}' is not served: her2gc serves gastric/GEJ/oesophageal adenocarcinoma only")
        return text

    @model_validator(mode="after")
    def _code_matches_site(self) -> Self:
        expected = {"STAD": "stomach", "GEJ": "gej", "ESCA": "oesophagus"}
        if self.oncotree_code is not None and expected[self.oncotree_code] != self.site:
            raise ValueError(
                f"oncotree_code {self.oncotree_code} does not match site '{self.site}' (expected site '{expected[self.oncotree_code]}')"
            )
        return self


class Pdl1(_Frozen):
    cps: Number = Field(ge=0, le=100, description="PD-L1 combined positive score (0-100)")
    assay: Text | None = None


class Comorbidities(_Frozen):
    ild_history: Flag = False
    lvef_percent: Number | None = Field(default=None, ge=0, le=100)
    heart_failure: Flag = False


class TreatmentLine(_Frozen):
    line: Count = Field(ge=1)
    drugs: list[DrugName] = Field(min_length=1)
    start: dt.date | None = None
    end: dt.date | None = None
    best_response: Response | None = None
    stop_reason: StopReason | None = None

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"end {self.end} is before start {self.start}")
        return self


class Alteration(_Frozen):
    gene: GeneSymbol
    kind: AlterationKind
    protein_change: Text | None = None
    copy_number: Number | None = Field(default=None, ge=0, le=1000)
    vaf: Number | None = Field(default=None, ge=0, le=1)
    source: SampleSource = "tissue"
    date: dt.date | None = None
    sample_id: Text | None = None

    def label(self) -> str:
        """How a tumour board writes it: ``MET amp``, ``PIK3CA p.H1047R``."""
        if self.kind == "mut" and self.protein_change:
            return f"{self.gene} {self.protein_change}"
        return f"{self.gene} {self.kind}"


class CtdnaVariant(_Frozen):
    gene: GeneSymbol
    protein_change: Text | None = None
    vaf: Number = Field(ge=0, le=1)


CtdnaTiming = Literal["baseline", "on_treatment", "progression"]


class CtdnaPoint(_Frozen):
    date: dt.date
    erbb2_copy_number: Number | None = Field(default=None, ge=0, le=1000)
    variants: list[CtdnaVariant] = Field(default_factory=list, max_length=200)
    timing: CtdnaTiming | None = Field(
        default=None, description="relative to therapy; derived from the treatment history when absent"
    )


class NcrnaFinding(_Frozen):
    name: str = Field(min_length=1, max_length=100)
    direction: Literal["up", "down"]


# Spellings of the infusion-reaction symptoms that people write, folded to the vocabulary.
_SYMPTOM_SPELLINGS = {
    "dyspnea": "dyspnoea",
    "acute_respiratory_distress_syndrome": "ards",
    "pneumonitis": "interstitial_pneumonitis",
    "anaphylactic_reaction": "anaphylaxis",
}


def _term(value: Any) -> Any:
    """``Interstitial pneumonitis`` -> ``interstitial_pneumonitis``: lower case, underscores."""
    if not isinstance(value, str):
        return value
    return "_".join(value.strip().lower().replace("-", " ").split())


def _symptom(value: Any) -> Any:
    term = _term(value)
    return _SYMPTOM_SPELLINGS.get(term, term) if isinstance(term, str) else term


Symptom = Annotated[InfusionSymptom, BeforeValidator(_symptom)]


class AdverseEvent(_Frozen):
    """One adverse event on one drug, with what the dose rules of its label read.

    A field the case does not give is unknown, never false: a rule that needs it does not
    apply. For a resolved LVEF event, ``lvef_percent``, ``lvef_drop_points`` and
    ``lvef_below_lln`` are the values at the reassessment that closed it.
    """

    drug: DrugName
    event: AdverseEventKind
    grade: Count | None = Field(default=None, ge=0, le=5)
    onset: dt.date | None = None
    resolved: dt.date | None = None
    assessed: dt.date | None = Field(
        default=None, description="date of the assessment the event describes (how long it has lasted)"
    )
    lvef_percent: Number | None = Field(default=None, ge=0, le=100)
    lvef_drop_points: Number | None = Field(default=None, ge=0, le=100)
    lvef_below_lln: Flag | None = Field(default=None, description="LVEF below the institution's lower limit of normal")
    suspensions: Count | None = Field(
        default=None, ge=1, le=100, description="times dosing was suspended for cardiomyopathy, counting this one"
    )
    symptomatic: Flag = False
    urine_protein_g_per_24h: Number | None = Field(default=None, ge=0, le=100)
    nephrotic_syndrome: Flag | None = None
    controlled: Flag | None = Field(
        default=None, description="hypertension: true controlled with treatment, false cannot be controlled"
    )
    organ: Annotated[str | None, BeforeValidator(_term)] = Field(
        default=None,
        description="immune_mediated: pneumonitis, colitis, hepatitis, endocrine, nephritis, skin, myocarditis, "
        "neurological; any other organ is read as other",
    )
    recurrent: Flag | None = Field(default=None, description="the same immune-mediated reaction has occurred before")
    ast_alt_x_uln: Number | None = Field(
        default=None, ge=0, le=1000, description="the higher of AST and ALT, as a multiple of the upper limit of normal"
    )
    bilirubin_x_uln: Number | None = Field(
        default=None, ge=0, le=1000, description="total bilirubin, as a multiple of the upper limit of normal"
    )
    liver_tumour_involvement: Flag | None = Field(
        default=None, description="hepatitis: tumour involvement of the liver"
    )
    diagnosis: Literal["suspected", "confirmed"] | None = Field(
        default=None, description="skin: SJS, TEN or DRESS suspected or confirmed"
    )
    symptoms: list[Symptom] = Field(
        default_factory=list,
        description="infusion_reaction: dyspnoea, hypotension, anaphylaxis, angioedema, interstitial_pneumonitis, ards",
    )

    @model_validator(mode="before")
    @classmethod
    def _one_symptom(cls, data: Any) -> Any:
        # `symptom: dyspnoea` (one symptom) reads as `symptoms: [dyspnoea]`.
        if isinstance(data, dict) and "symptom" in data:
            data = dict(data)
            single = data.pop("symptom")
            listed = data.get("symptoms") or []
            data["symptoms"] = [
                *(listed if isinstance(listed, list) else [listed]),
                *([] if single is None else [single]),
            ]
        return data

    @model_validator(mode="after")
    def _dates_in_order(self) -> Self:
        if self.onset and self.resolved and self.resolved < self.onset:
            raise ValueError(f"resolved {self.resolved} is before onset {self.onset}")
        if self.onset and self.assessed and self.assessed < self.onset:
            raise ValueError(f"assessed {self.assessed} is before onset {self.onset}")
        return self


class DrugDose(_Frozen):
    mg_per_kg: Number | None = Field(default=None, gt=0, le=100)


class CurrentTherapy(_Frozen):
    drugs: list[DrugName] = Field(min_length=1)
    dose_mg_per_kg: Number | None = Field(default=None, gt=0, le=100, description="the dose of a single-drug therapy")
    doses: dict[DrugName, DrugDose] = Field(default_factory=dict, description="dose per drug of a combination")

    def dose_of(self, drug: str) -> float | None:
        """The current dose of one drug: its own entry, else the single-drug dose."""
        if drug in self.doses:
            return self.doses[drug].mg_per_kg
        return self.dose_mg_per_kg if drug in self.drugs else None


def _ascending(dates: list[dt.date | None]) -> int | None:
    """Index of the first date earlier than the one before it, if any."""
    known = [(i, d) for i, d in enumerate(dates) if d is not None]
    for (_, before), (index, after) in itertools.pairwise(known):
        if after < before:
            return index
    return None


class Cldn182(_Frozen):
    """Claudin 18.2 immunohistochemistry."""

    percent_moderate_strong: Number = Field(
        ge=0, le=100, description="% of tumour cells with moderate-to-strong membranous staining"
    )
    assay: Text | None = None


class Case(_Frozen):
    """One patient (``schema: her2gc.case/1``)."""

    schema_: Literal["her2gc.case/1"] = Field(default="her2gc.case/1", alias="schema")
    patient_id: str = Field(min_length=1, max_length=128)
    region: Region | None = None
    tumour: Tumour
    ecog: Count | None = Field(default=None, ge=0, le=5)
    her2_tests: list[Her2Test] = Field(default_factory=list, max_length=50)
    pdl1: Pdl1 | None = None
    msi: MsiStatus = "unknown"
    cldn18_2: Cldn182 | None = None
    tumour_fraction: Number | None = Field(default=None, ge=0, le=1)
    sample_ids: list[Text] = Field(
        default_factory=list, max_length=50, description="sequencing sample ids of this patient"
    )
    comorbidities: Comorbidities = Field(default_factory=Comorbidities)
    treatment_history: list[TreatmentLine] = Field(default_factory=list, max_length=20)
    alterations: list[Alteration] = Field(default_factory=list, max_length=5000)
    ctdna: list[CtdnaPoint] = Field(default_factory=list, max_length=500)
    ncrna: list[NcrnaFinding] = Field(default_factory=list, max_length=200)
    adverse_events: list[AdverseEvent] = Field(default_factory=list, max_length=500)
    current_therapy: CurrentTherapy | None = None

    model_config = ConfigDict(
        frozen=True, extra="forbid", validate_by_name=True, validate_by_alias=True, serialize_by_alias=True
    )

    # The id of the vocabulary the names were normalised with (None: folded only).
    _vocabulary_id: str | None = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _remember_vocabulary(self, info: ValidationInfo) -> Self:
        vocabulary = _vocabulary(info)
        self._vocabulary_id = vocabulary.id if vocabulary is not None else None
        return self

    def normalised_with(self, vocabulary: Vocabulary) -> bool:
        """Whether every drug and gene name was checked against this vocabulary."""
        return self._vocabulary_id == vocabulary.id

    @field_validator("her2_tests")
    @classmethod
    def _tests_oldest_first(cls, tests: list[Her2Test]) -> list[Her2Test]:
        index = _ascending([t.date for t in tests])
        if index is not None:
            raise ValueError(f"her2_tests[{index}] is dated before the test listed before it (list oldest first)")
        return tests

    @field_validator("ctdna")
    @classmethod
    def _ctdna_oldest_first(cls, points: list[CtdnaPoint]) -> list[CtdnaPoint]:
        index = _ascending([p.date for p in points])
        if index is not None:
            raise ValueError(f"ctdna[{index}] is dated before the timepoint listed before it (list oldest first)")
        return points

    @field_validator("treatment_history")
    @classmethod
    def _lines_in_order(cls, lines: list[TreatmentLine]) -> list[TreatmentLine]:
        for index, line in enumerate(lines):
            if line.line != index + 1:
                raise ValueError(
                    f"treatment_history[{index}].line is {line.line}, expected {index + 1} (lines oldest first)"
                )
        out_of_order = _ascending([line.start for line in lines])
        if out_of_order is not None:
            raise ValueError(f"treatment_history[{out_of_order}] starts before the line listed before it")
        return lines

    @property
    def decision_line(self) -> int:
        """The line of therapy being decided: one more than the lines already given."""
        return len(self.treatment_history) + 1

    def prior_drugs(self) -> frozenset[str]:
        return frozenset(drug for line in self.treatment_history for drug in line.drugs)
