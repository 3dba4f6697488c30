"""The packaged HER2 gastric model: patient alterations and drugs as perturbations.

The logic is ``models/her2_gastric.bnet``; its annotations, the alteration and
drug mappings, read-outs and screen limits are knowledge-base data
(``kb/data/model.yaml``). Nothing clinical is decided here: this module only
looks things up and runs the analysis.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from importlib import resources
from pathlib import Path

from her2gc.errors import KnowledgeBaseError, UnknownEntityError
from her2gc.kb.loader import load_kb
from her2gc.kb.schema_model import ModelAnnotations
from her2gc.network.bnet import LogicalModel, load_bnet
from her2gc.network.engine import trap_space_attractors
from her2gc.network.results import Prediction, ScreenResult
from her2gc.network.screen import (
    ScreenSetup,
    inhibition_score,
    merge_perturbations,
    node_value,
    off_fraction,
    response_from_fraction,
    run_screen,
)

_P95_NAMES = {"p95her2", "p95-her2", "p95"}


def model_annotations() -> ModelAnnotations:
    """The validated ``model.yaml`` of the packaged knowledge base (loaded once, there)."""
    notes = load_kb().model
    if notes is None:
        raise KnowledgeBaseError("the knowledge base has no model.yaml")
    return notes


def _check_against_model(model: LogicalModel, notes: ModelAnnotations) -> None:
    annotated = {node.id for node in notes.nodes}
    missing = [node for node in model.nodes if node not in annotated]
    if missing:
        raise KnowledgeBaseError(f"model.yaml: nodes of {notes.bnet} without annotation: {missing}")
    extra = sorted(annotated - set(model.nodes))
    if extra:
        raise KnowledgeBaseError(f"model.yaml: annotated nodes not in {notes.bnet}: {extra}")
    for node in notes.nodes:
        is_input = node.id in model.inputs
        if is_input != (node.initial is not None):
            raise KnowledgeBaseError(f"model.yaml: node {node.id}: an initial value is required for inputs and only for them")


@functools.cache
def her2_model() -> LogicalModel:
    """The packaged HER2 gastric model, checked against its annotations (loaded once)."""
    notes = model_annotations()
    path = Path(str(resources.files("her2gc.network") / "models" / notes.bnet))
    model = load_bnet(path)
    _check_against_model(model, notes)
    return model


def model_sources() -> tuple[str, ...]:
    """Every source id the model's annotations cite."""
    notes = model_annotations()
    ids = {s for n in notes.nodes for s in n.sources} | {s for d in notes.drugs for s in d.sources}
    ids |= {s for a in notes.alterations for s in a.sources}
    return tuple(sorted(ids))


def _normalise_gene(gene: str) -> str:
    try:
        from her2gc.kb.vocabulary import normalise_gene
    except ImportError:  # the vocabulary is optional for the model on its own
        return gene.strip().upper()
    try:
        return normalise_gene(gene)
    except ValueError:  # unknown to the vocabulary: reported below with the model's own list
        return gene.strip().upper()


def _normalise_drug(drug: str) -> str:
    try:
        from her2gc.kb.vocabulary import normalise_drug
    except ImportError:
        return " ".join(drug.strip().lower().split())
    try:
        return normalise_drug(drug)
    except ValueError:  # unknown to the vocabulary: reported below with the panel
        return " ".join(drug.strip().lower().split())


def normalise_alteration(gene: str, kind: str) -> tuple[str, str]:
    """HGNC symbol and kind; ``p95HER2`` as a gene name means ERBB2 kind ``p95``."""
    if gene.strip().lower() in _P95_NAMES:
        return "ERBB2", "p95"
    return _normalise_gene(gene), kind.strip().lower()


@functools.cache
def _alteration_table() -> dict[tuple[str, str], dict[str, int]]:
    return {
        (entry.gene, kind): {p.node: p.value for p in entry.perturbations}
        for entry in model_annotations().alterations
        for kind in entry.kinds
    }


def maps_alteration(gene: str, kind: str) -> bool:
    """Whether the model represents this alteration."""
    return normalise_alteration(gene, kind) in _alteration_table()


def alteration_perturbations(alterations: Sequence[tuple[str, str]]) -> dict[str, int]:
    """Node settings for a profile. Conflicts resolve to off: a loss (of HER2's
    binding domain, of a suppressor) dominates the gain of the same node."""
    table = _alteration_table()
    merged: dict[str, int] = {}
    for gene, kind in alterations:
        key = normalise_alteration(gene, kind)
        if key not in table:
            genes = sorted({g for g, _ in table})
            if key[0] not in genes:
                raise UnknownEntityError(f"alteration {gene}:{kind}: gene {key[0]} is not in the mechanistic model (known: {', '.join(genes)})")
            kinds = sorted(k for g, k in table if g == key[0])
            raise UnknownEntityError(f"alteration {gene}:{kind}: kind {key[1]!r} is not mapped for {key[0]} (mapped: {', '.join(kinds)})")
        for node, value in table[key].items():
            merged[node] = min(value, merged.get(node, value))
    return merged


@functools.cache
def panel_perturbations() -> dict[str, dict[str, int]]:
    """Drug (lower-case INN) -> node settings, in the order of model.yaml."""
    return {entry.drug: {p.node: p.value for p in entry.perturbations} for entry in model_annotations().drugs}


def resolve_drugs(drugs: Sequence[str]) -> tuple[str, ...]:
    """Normalised drug names; an unknown drug is an error naming the panel."""
    panel = panel_perturbations()
    resolved = []
    for drug in drugs:
        name = _normalise_drug(drug)
        if name not in panel:
            raise UnknownEntityError(f"drug {drug!r} is not in the mechanistic drug panel (known: {', '.join(panel)})")
        resolved.append(name)
    return tuple(dict.fromkeys(resolved))


def _setup(panel: Mapping[str, Mapping[str, int]]) -> ScreenSetup:
    notes = model_annotations()
    return ScreenSetup(
        model=her2_model(),
        panel=panel,
        weights=notes.readouts.weights,
        synergy_weights=notes.readouts.synergy_weights,
        proliferation=notes.readouts.proliferation,
        synergy_margin=notes.screen.synergy_margin,
        max_drugs=notes.screen.max_drugs,
        max_conditions=notes.screen.max_conditions,
        time_limit_s=notes.screen.time_limit_s,
    )


def predict(alterations: Sequence[tuple[str, str]], drugs: Sequence[str]) -> Prediction:
    """The model's prediction for one alteration profile under one drug set."""
    notes = model_annotations()
    model = her2_model()
    names = resolve_drugs(drugs)
    altered = alteration_perturbations(alterations)
    treated = merge_perturbations(altered, *(panel_perturbations()[name] for name in names))
    base = merge_perturbations(notes.initial_state, altered)
    attractors = trap_space_attractors(model, merge_perturbations(base, treated))
    untreated = trap_space_attractors(model, base)
    proliferation, apoptosis = notes.readouts.proliferation, notes.readouts.apoptosis
    fraction = off_fraction(attractors, proliferation)
    untreated_proliferating = off_fraction(untreated, proliferation) < 1.0
    cautions = () if untreated_proliferating else (
        "the untreated model does not proliferate for this profile: drug effects cannot be told apart",
    )
    return Prediction(
        response=response_from_fraction(fraction),
        proliferation_off_fraction=fraction,
        apoptosis_fraction=sum(1 for a in attractors if a[apoptosis] == 1) / len(attractors),
        score=inhibition_score(attractors, notes.readouts.weights),
        attractor_count=len(attractors),
        readouts={node: round(sum(node_value(a, node) for a in attractors) / len(attractors), 6) for node in notes.readouts.weights},
        untreated_proliferating=untreated_proliferating,
        drugs=names,
        alterations=tuple(f"{g}:{k}" for g, k in (normalise_alteration(*a) for a in alterations)),
        perturbations=tuple(f"{node}={value}" for node, value in sorted(treated.items())),
        cautions=cautions,
        model_sha256=model.sha256,
    )


@functools.lru_cache(maxsize=4096)
def _cached_screen(profile: frozenset[tuple[str, int]], max_drugs: int, panel: tuple[str, ...]) -> tuple[ScreenResult, ...]:
    full = panel_perturbations()
    base = merge_perturbations(model_annotations().initial_state, dict(profile))
    return tuple(run_screen(_setup({name: full[name] for name in panel}), base, max_drugs))


def screen_profile(
    alterations: Sequence[tuple[str, str]], max_drugs: int = 2, drug_panel: Sequence[str] | None = None
) -> list[ScreenResult]:
    """Every single drug and combination up to ``max_drugs`` for a profile, best first.

    Results are cached by the profile's perturbation set, so patients who share
    a profile (after mapping to the model) share one screen.
    """
    profile = frozenset(alteration_perturbations(alterations).items())
    panel = resolve_drugs(drug_panel) if drug_panel is not None else tuple(panel_perturbations())
    return list(_cached_screen(profile, max_drugs, panel))
