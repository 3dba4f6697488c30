"""Schema of ``model.yaml``: the annotations of the mechanistic (logical) model.

The ``.bnet`` file holds only the logic; everything a reviewer needs to judge it
lives here as data: what each node stands for (HGNC genes), where each rule comes
from, how a patient's alterations and a drug's action become node perturbations,
which nodes are read out as phenotypes and the screen's limits.
"""

# No `from __future__ import annotations` here: pydantic would compile every field's
# annotation string again at import, which costs start-up time on every command.
import re
from pathlib import Path
from typing import Literal, Self

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from her2gc.errors import KnowledgeBaseError
from her2gc.kb.yamlio import YamlSyntaxError, read_yaml
from her2gc.terms import AlterationKind

DrugEffect = Literal[
    "ecd_antibody",
    "bispecific_antibody",
    "adc",
    "kinase_inhibitor",
    "checkpoint_inhibitor",
    "antiangiogenic",
    "parp_inhibitor",
    "transcription_inhibitor",
]
NodeKind = Literal["environment", "tumour_state", "drug_action", "signalling", "phenotype"]
_SOURCE_ID = re.compile(r"^(seed00[0-4]|s00[0-4]r\d+|[a-z][a-z0-9_]*\d{4}[a-z]?)$")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", defer_build=True)


def _check_source_ids(ids: tuple[str, ...]) -> tuple[str, ...]:
    if not ids:
        raise ValueError("at least one source id is required")
    for source in ids:
        if not _SOURCE_ID.match(source):
            raise ValueError(f"{source!r} is not a source id (seed000, s001r15, sahin2009, ...)")
    return ids


class Perturbation(_Frozen):
    """One node held at a value: on (1) or off (0)."""

    node: str
    value: Literal[0, 1]


class NodeAnnotation(_Frozen):
    """A node of the network, the genes it stands for and the sources of its rule."""

    id: str
    kind: NodeKind
    genes: tuple[str, ...] = ()
    description: str
    initial: Literal[0, 1] | None = Field(
        default=None, description="value in the untreated initial state (inputs only)"
    )
    sources: tuple[str, ...]

    _sources = field_validator("sources")(_check_source_ids)


class DrugAnnotation(_Frozen):
    """A drug of the mechanistic panel: its effect kind and the perturbations it makes."""

    drug: str = Field(description="lower-case INN")
    effect: DrugEffect
    targets: tuple[str, ...] = Field(description="HGNC symbols of the molecular targets")
    perturbations: tuple[Perturbation, ...] = Field(min_length=1)
    note: str = ""
    sources: tuple[str, ...]

    _sources = field_validator("sources")(_check_source_ids)

    @field_validator("drug")
    @classmethod
    def _lower_case(cls, value: str) -> str:
        if value != value.lower():
            raise ValueError(f"drug names are lower-case INN, got {value!r}")
        return value


class AlterationMapping(_Frozen):
    """How an alteration of one gene (one or more kinds) perturbs the network."""

    gene: str
    role: Literal["oncogene", "suppressor", "ligand", "modifier"]
    kinds: tuple[AlterationKind, ...] = Field(min_length=1)
    perturbations: tuple[Perturbation, ...] = Field(min_length=1)
    description: str
    sources: tuple[str, ...]

    _sources = field_validator("sources")(_check_source_ids)


class Readouts(_Frozen):
    """Phenotype nodes read in every attractor, and their weights in the growth score."""

    proliferation: str
    apoptosis: str
    weights: dict[str, float]
    synergy_weights: dict[str, float] = Field(
        description="read-outs whose gain counts as synergy (cell-intrinsic ones)"
    )

    @model_validator(mode="after")
    def _weights_cover_phenotypes(self) -> Self:
        for node in (self.proliferation, self.apoptosis):
            if node not in self.weights or node not in self.synergy_weights:
                raise ValueError(f"readout {node} needs a weight and a synergy weight")
        return self


class ProfileAlteration(_Frozen):
    gene: str
    kind: AlterationKind


class ScreenSettings(_Frozen):
    """Limits and thresholds of the drug screen (documented, not hidden in code)."""

    synergy_margin: float = Field(ge=0, description="score gain over the best single drug needed to call synergy")
    max_drugs: int = Field(ge=1, le=4)
    max_conditions: int = Field(ge=1)
    time_limit_s: float = Field(gt=0)
    max_free_nodes_exact: int = Field(ge=1, description="largest network the exact asynchronous reachability accepts")
    one_per_set_classes: list[str] = Field(
        default_factory=list, description="drug classes a hypothesis holds at most one of"
    )
    no_shared_target: bool = Field(default=True, description="never two drugs aimed at one target in a hypothesis")
    reference_profile: list[ProfileAlteration] = Field(
        default_factory=list,
        description="the profile hypotheses are compared with (a HER2-positive tumour, nothing else)",
    )


class ModelAnnotations(_Frozen):
    """The whole ``model.yaml``."""

    schema_id: Literal["her2gc.model/1"] = Field(alias="schema")
    version: str
    bnet: str = Field(description="file name of the model, beside model.yaml")
    nodes: tuple[NodeAnnotation, ...]
    alterations: tuple[AlterationMapping, ...]
    drugs: tuple[DrugAnnotation, ...]
    readouts: Readouts
    screen: ScreenSettings

    model_config = ConfigDict(frozen=True, extra="forbid", populate_by_name=True, defer_build=True)

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        ids = [node.id for node in self.nodes]
        duplicates = sorted({node for node in ids if ids.count(node) > 1})
        if duplicates:
            raise ValueError(f"nodes annotated twice: {duplicates}")
        known = set(ids)
        for drug in self.drugs:
            for perturbation in drug.perturbations:
                if perturbation.node not in known:
                    raise ValueError(f"drug {drug.drug}: unknown node {perturbation.node}")
        for alteration in self.alterations:
            for perturbation in alteration.perturbations:
                if perturbation.node not in known:
                    raise ValueError(f"alteration {alteration.gene}: unknown node {perturbation.node}")
        names = [drug.drug for drug in self.drugs]
        if len(names) != len(set(names)):
            raise ValueError("a drug is listed twice")
        pairs = [(a.gene, kind) for a in self.alterations for kind in a.kinds]
        if len(pairs) != len(set(pairs)):
            raise ValueError("a (gene, kind) alteration is mapped twice")
        for node in [*self.readouts.weights, *self.readouts.synergy_weights]:
            if node not in known:
                raise ValueError(f"readout weight for unknown node {node}")
        return self

    @property
    def initial_state(self) -> dict[str, int]:
        """Input values of the untreated tumour (environment and tumour state)."""
        return {node.id: node.initial for node in self.nodes if node.initial is not None}


class ModelSource(_Frozen):
    """A source the seeds do not cite (published models, analysis engines)."""

    id: str
    citation: str
    doi: str | None = None
    pmid: str | None = None
    seed: None = None


def _read_yaml(path: Path) -> object:
    try:
        return read_yaml(path)
    except (OSError, YamlSyntaxError) as error:
        raise KnowledgeBaseError(f"{path}: cannot read ({' '.join(str(error).split())})") from error


def _first_error(path: Path, error: ValidationError) -> KnowledgeBaseError:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"])
    return KnowledgeBaseError(f"{path}: {where}: {first['msg']}")


def load_model_sources(path: Path) -> tuple[ModelSource, ...]:
    """Read ``sources_model.yaml`` (a list of :class:`ModelSource`)."""
    data = _read_yaml(path)
    if not isinstance(data, list):
        raise KnowledgeBaseError(f"{path}: expected a list of sources")
    try:
        return tuple(ModelSource.model_validate(item) for item in data)
    except ValidationError as error:
        raise _first_error(path, error) from error


def load_model_annotations(path: Path) -> ModelAnnotations:
    """Read and validate ``model.yaml``.

    Source ids that are not seed ids must be listed in ``sources_model.yaml``
    next to it; the knowledge-base check validates the seed ids.
    """
    path = Path(path)
    try:
        annotations = ModelAnnotations.model_validate(_read_yaml(path))
    except ValidationError as error:
        raise _first_error(path, error) from error
    sources_path = path.with_name("sources_model.yaml")
    if sources_path.exists():
        own = {source.id for source in load_model_sources(sources_path)}
        seed_like = re.compile(r"^(seed00[0-4]|s00[0-4]r\d+)$")
        cited = [s for n in annotations.nodes for s in n.sources] + [s for d in annotations.drugs for s in d.sources]
        cited += [s for a in annotations.alterations for s in a.sources]
        for source in cited:
            if not seed_like.match(source) and source not in own:
                raise KnowledgeBaseError(f"{path}: source {source!r} is in neither the seeds nor {sources_path.name}")
    return annotations
