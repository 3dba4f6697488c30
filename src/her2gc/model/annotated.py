"""The HER2 gastric logical model with its annotations: patient alterations and drugs as perturbations.

The logic is a ``.bnet`` text; the annotations (what each node stands for, how an
alteration or a drug becomes a node setting, the read-outs and the screen limits) are
knowledge-base data (``model.yaml``). Both are handed in by the caller: nothing here
loads the knowledge base, and nothing clinical is decided here; this module only looks
things up and runs the analysis.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from her2gc.errors import KnowledgeBaseError, UnknownEntityError
from her2gc.kb.schema_model import ModelAnnotations
from her2gc.model.alterations import AlterationMap, Normaliser
from her2gc.network.bnet import LogicalModel, load_bnet
from her2gc.network.engine import SolverCache, trap_space_attractors
from her2gc.network.lru import Lru
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

if TYPE_CHECKING:
    import concurrent.futures


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
            raise KnowledgeBaseError(
                f"model.yaml: node {node.id}: an initial value is required for inputs and only for them"
            )


def _folded_drug(drug: str) -> str:
    return " ".join(drug.strip().lower().split())


class AnnotatedModel:
    """The model, its annotations and the lookups built from them (once, at construction).

    ``gene_name`` and ``drug_name`` turn a user's spelling into the knowledge base's
    (HGNC symbol, lower-case INN); an unknown spelling is returned folded and reported
    with the model's own list. Screen results are kept per perturbation profile in this
    object (patients share profiles), guarded by a lock for threaded servers.
    """

    def __init__(
        self,
        bnet_text: str,
        annotations: ModelAnnotations,
        *,
        gene_name: Normaliser | None = None,
        drug_name: Normaliser | None = None,
        cache: SolverCache | None = None,
    ) -> None:
        model = load_bnet(bnet_text)
        _check_against_model(model, annotations)
        self.model = model
        self.annotations = annotations
        self.cache = cache or SolverCache()
        self._drug_name = drug_name
        self.alteration_map = AlterationMap(annotations, gene_name)
        self.alterations = self.alteration_map.table
        self.panel: dict[str, dict[str, int]] = {
            entry.drug: {p.node: p.value for p in entry.perturbations} for entry in annotations.drugs
        }
        self._screens = Lru(4096)

    @property
    def sha256(self) -> str:
        return self.model.sha256

    def sources(self) -> tuple[str, ...]:
        """Every source id the model's annotations cite."""
        notes = self.annotations
        ids = {s for n in notes.nodes for s in n.sources} | {s for d in notes.drugs for s in d.sources}
        ids |= {s for a in notes.alterations for s in a.sources}
        return tuple(sorted(ids))

    def _drug(self, drug: str) -> str:
        if self._drug_name is not None:
            try:
                return self._drug_name(drug)
            except ValueError:  # unknown to the vocabulary: reported with the panel
                pass
        return _folded_drug(drug)

    def normalise_alteration(self, gene: str, kind: str) -> tuple[str, str]:
        """HGNC symbol and kind; ``p95HER2`` as a gene name means ERBB2 kind ``p95``."""
        return self.alteration_map.normalise(gene, kind)

    def maps_alteration(self, gene: str, kind: str) -> bool:
        """Whether the model represents this alteration."""
        return self.alteration_map.maps(gene, kind)

    def alteration_perturbations(self, alterations: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Node settings for a profile (see :meth:`AlterationMap.perturbations`)."""
        return self.alteration_map.perturbations(alterations)

    def resolve_drugs(self, drugs: Sequence[str]) -> tuple[str, ...]:
        """Normalised drug names; an unknown drug is an error naming the panel."""
        resolved = []
        for drug in drugs:
            name = self._drug(drug)
            if name not in self.panel:
                raise UnknownEntityError(
                    f"drug {drug!r} is not in the mechanistic drug panel (known: {', '.join(self.panel)})"
                )
            resolved.append(name)
        return tuple(dict.fromkeys(resolved))

    def drug_targets(self, drugs: Sequence[str]) -> dict[str, list[str]]:
        """Node -> the drugs (of ``drugs``) that act on it."""
        targets: dict[str, list[str]] = {}
        for drug in self.resolve_drugs(drugs):
            for node in self.panel[drug]:
                targets.setdefault(node, []).append(drug)
        return targets

    def _setup(self, panel: Mapping[str, Mapping[str, int]]) -> ScreenSetup:
        notes = self.annotations
        return ScreenSetup(
            model=self.model,
            panel=panel,
            weights=notes.readouts.weights,
            synergy_weights=notes.readouts.synergy_weights,
            proliferation=notes.readouts.proliferation,
            synergy_margin=notes.screen.synergy_margin,
            max_drugs=notes.screen.max_drugs,
            max_conditions=notes.screen.max_conditions,
            time_limit_s=notes.screen.time_limit_s,
        )

    def predict(self, alterations: Sequence[tuple[str, str]], drugs: Sequence[str]) -> Prediction:
        """The model's prediction for one alteration profile under one drug set."""
        notes = self.annotations
        names = self.resolve_drugs(drugs)
        altered = self.alteration_perturbations(alterations)
        treated = merge_perturbations(altered, *(self.panel[name] for name in names))
        base = merge_perturbations(notes.initial_state, altered)
        attractors = trap_space_attractors(self.model, merge_perturbations(base, treated), self.cache)
        untreated = trap_space_attractors(self.model, base, self.cache)
        proliferation, apoptosis = notes.readouts.proliferation, notes.readouts.apoptosis
        fraction = off_fraction(attractors, proliferation)
        untreated_proliferating = off_fraction(untreated, proliferation) < 1.0
        cautions = (
            ()
            if untreated_proliferating
            else ("the untreated model does not proliferate for this profile: drug effects cannot be told apart",)
        )
        return Prediction(
            response=response_from_fraction(fraction),
            proliferation_off_fraction=fraction,
            apoptosis_fraction=sum(1 for a in attractors if a[apoptosis] == 1) / len(attractors),
            score=inhibition_score(attractors, notes.readouts.weights),
            attractor_count=len(attractors),
            readouts={
                node: round(sum(node_value(a, node) for a in attractors) / len(attractors), 6)
                for node in notes.readouts.weights
            },
            untreated_proliferating=untreated_proliferating,
            drugs=names,
            alterations=tuple(f"{g}:{k}" for g, k in (self.normalise_alteration(*a) for a in alterations)),
            perturbations=tuple(f"{node}={value}" for node, value in sorted(treated.items())),
            cautions=cautions,
            model_sha256=self.model.sha256,
        )

    def screen_profile(
        self,
        alterations: Sequence[tuple[str, str]],
        max_drugs: int = 2,
        drug_panel: Sequence[str] | None = None,
        executor: concurrent.futures.Executor | None = None,
    ) -> list[ScreenResult]:
        """Every single drug and combination up to ``max_drugs`` for a profile, best first.

        Results are kept by the profile's perturbation set, so patients who share a
        profile (after mapping to the model) share one screen.
        """
        profile = frozenset(self.alteration_perturbations(alterations).items())
        panel = self.resolve_drugs(drug_panel) if drug_panel is not None else tuple(self.panel)
        key = (profile, max_drugs, panel)
        found: tuple[ScreenResult, ...] | None = self._screens.get(key)  # type: ignore[assignment]
        if found is None:
            base = merge_perturbations(self.annotations.initial_state, dict(profile))
            setup = self._setup({name: self.panel[name] for name in panel})
            found = tuple(run_screen(setup, base, max_drugs, self.cache, executor))
            self._screens.put(key, found)
        return list(found)
