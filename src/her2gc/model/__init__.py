"""The report's ``model`` section: mechanistic-model hypotheses for the case's alterations.

Predictions are the lowest evidence tier and always labelled so; they may add a
caution or a trial idea, never a ranked option.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from her2gc._version import __version__
from her2gc.case import Case
from her2gc.errors import KnowledgeBaseError
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.schema_model import ModelAnnotations, ScreenSettings
from her2gc.model.alterations import AlterationMap
from her2gc.report import Her2Status, ModelSection, TraceItem
from her2gc.runtime import Runtime

if TYPE_CHECKING:
    from her2gc.model.annotated import AnnotatedModel
    from her2gc.network.results import ScreenResult

__all__ = ["AnnotatedModel", "annotated_model", "her2_profile", "model_section"]


def __getattr__(name: str) -> Any:
    # The logical-model engine is imported when a screen must run, not when a stored one is read.
    if name == "AnnotatedModel":
        from her2gc.model.annotated import AnnotatedModel

        return AnnotatedModel
    raise AttributeError(f"module 'her2gc.model' has no attribute '{name}'")


def annotated_model(kb: KnowledgeBase, runtime: Runtime) -> AnnotatedModel:
    """The knowledge base's logical model with its annotations, built once per runtime."""
    from her2gc.model.annotated import AnnotatedModel

    annotations, text = kb.model, kb.model_bnet
    if annotations is None or text is None:
        raise KnowledgeBaseError("the knowledge base has no model.yaml")
    return runtime.singleton(
        ("annotated_model", kb.sha256),
        lambda: AnnotatedModel(
            text, annotations, gene_name=kb.vocabulary.gene, drug_name=kb.vocabulary.drug, cache=runtime.solver
        ),
    )


def her2_profile(her2: Her2Status) -> list[tuple[str, str]]:
    """The tumour's HER2 state as a model alteration: ISH-amplified tumours are ERBB2
    amplified, IHC-positive ones over-express ERBB2; IHC 0 and HER2 loss after therapy
    switch ERBB2 off (the model's default state expresses HER2)."""
    if her2.loss_after_therapy or (her2.ihc_score == "0" and her2.binary == "negative"):
        return [("ERBB2", "loss")]
    if her2.binary != "positive":
        return []
    return [("ERBB2", "amp")] if her2.ish == "amplified" else [("ERBB2", "over")]


def allowed_set(drugs: Sequence[str], kb: KnowledgeBase, settings: ScreenSettings) -> bool:
    """A drug set a hypothesis may hold: no two drugs of one target, at most one drug of each
    class the model's screen settings name (drug classes and targets from drugs*.yaml)."""
    entries = [kb.drugs[d] for d in drugs if d in kb.drugs]
    classes = [e.drug_class for e in entries if e.drug_class in settings.one_per_set_classes]
    if len(classes) != len(set(classes)):
        return False
    if settings.no_shared_target:
        targets = [t for e in entries for t in set(e.targets)]
        if len(targets) != len(set(targets)):
            return False
    return True


@dataclass(frozen=True)
class _Ranked:
    result: ScreenResult
    effect: float
    reference_effect: float

    @property
    def specific(self) -> float:
        return round(self.effect - self.reference_effect, 6)


def _ranked(
    model: AnnotatedModel, profile: list[tuple[str, str]], kb: KnowledgeBase, runtime: Runtime
) -> list[_Ranked]:
    """Every allowed drug set by its effect on this patient, relative to the untreated tumour
    of the same profile, then by how much more it does here than in the reference profile."""
    settings = model.annotations.screen
    reference = [(a.gene, a.kind) for a in settings.reference_profile]
    screen = model.screen_profile(profile, max_drugs=2, executor=runtime.executor)
    untreated = model.predict(profile, []).score
    reference_scores = {
        r.drugs: r.score for r in model.screen_profile(reference, max_drugs=2, executor=runtime.executor)
    }
    reference_untreated = model.predict(reference, []).score
    ranked = [
        _Ranked(
            r,
            round(r.score - untreated, 6),
            round(reference_scores.get(r.drugs, reference_untreated) - reference_untreated, 6),
        )
        for r in screen
        if allowed_set(r.drugs, kb, settings)
    ]
    return sorted(ranked, key=lambda x: (-x.effect, -x.specific, len(x.result.drugs), list(x.result.drugs)))


_EPS = 1e-3  # scores are rounded to 6 decimals; smaller differences are rounding


def _restoring(ranked: list[_Ranked]) -> list[_Ranked]:
    """Pairs that keep the reference's effect where one of their drugs alone loses effect in
    this tumour: the hypotheses this patient's alterations make, not the reference's."""
    singles = {x.result.drugs[0]: x for x in ranked if len(x.result.drugs) == 1}
    found = []
    for pair in ranked:
        if len(pair.result.drugs) != 2 or pair.specific < -_EPS or pair.effect <= 0:
            continue
        alone = [singles.get(d) for d in pair.result.drugs]
        if any(a is not None and a.specific < -_EPS for a in alone) and all(
            a is None or a.effect < pair.effect - _EPS for a in alone
        ):
            found.append(pair)
    return found


def _losses(ranked: list[_Ranked], top: int) -> list[_Ranked]:
    """Single drugs predicted to lose effect here against the reference (largest loss first)."""
    lost = [x for x in ranked if len(x.result.drugs) == 1 and x.specific < -_EPS]
    return sorted(lost, key=lambda x: (x.specific, x.result.drugs))[:top]


def _prediction(x: _Ranked, kind: str) -> dict[str, Any]:
    return {
        "drugs": list(x.result.drugs),
        "kind": kind,
        "response": x.result.response,
        "score": x.result.score,
        "effect": x.effect,
        "reference_effect": x.reference_effect,
        "synergy": x.result.synergy,
        "evidence_tier": "model_prediction",
        "label": "model hypothesis",
    }


def _choose(
    ranked: list[_Ranked], top: int, same_profile: bool, losses: list[_Ranked]
) -> tuple[list[dict[str, Any]], str, bool]:
    """The hypotheses to list, what they say, and whether they depend on this patient."""
    restoring = _restoring(ranked)[:top]
    best = [x for x in ranked[:top] if x.effect > _EPS]
    if restoring:
        names = ", ".join(" + ".join(x.result.drugs) for x in restoring[:3])
        summary = f"{len(restoring)} drug pair(s) keep in this model the effect a single drug loses with this tumour's alterations (e.g. {names})"
        return [_prediction(x, "restores_lost_effect") for x in restoring], summary, True
    if not same_profile and losses and best and all(abs(x.specific) <= _EPS for x in best):
        names = ", ".join(x.result.drugs[0] for x in losses)
        summary = (
            "the drug sets with the largest effect act here as in a HER2-positive tumour without other alterations; "
            f"single drugs predicted to lose effect with this tumour's alterations: {names}"
        )
        return [], summary, True
    if same_profile or (best and all(abs(x.specific) <= _EPS for x in best)):
        summary = "the model cannot tell this patient from a HER2-positive tumour without other alterations: it adds no patient-specific hypothesis"
        return [], summary, False
    if not best:
        return [], "no drug set is predicted to reduce growth below this tumour's untreated state", True
    ties = sum(1 for x in ranked if abs(x.effect - best[0].effect) <= _EPS)
    summary = "drug sets ranked by their predicted effect on this tumour, relative to its untreated state"
    if ties > len(best):
        summary = f"{ties} drug sets tie at the largest predicted effect (+{best[0].effect:g}); listed by how much more they do here than in the reference"
    return [_prediction(x, "largest_effect") for x in best], summary, True


def _screened(
    model: AnnotatedModel,
    mapped: list[tuple[str, str]],
    unmapped: list[str],
    top: int,
    kb: KnowledgeBase,
    runtime: Runtime,
) -> ModelSection:
    """The model section for one alteration profile (``mapped``: the alterations the model
    represents; ``unmapped``: the others, named in the trace)."""
    reference = [(a.gene, a.kind) for a in model.annotations.screen.reference_profile]
    same_profile = model.alteration_perturbations(mapped) == model.alteration_perturbations(reference)
    ranked = _ranked(model, mapped, kb, runtime)
    lost = _losses(ranked, 3) if not same_profile else []
    predictions, summary, distinct = _choose(ranked, top, same_profile, lost)
    losses = [_prediction(x, "loses_effect") for x in lost]
    trace = [
        TraceItem(
            rule="model.screen",
            inputs=_screen_inputs(mapped, unmapped, reference),
            conclusion=f"{len(ranked)} allowed drug sets screened on the HER2 gastric logical model; {summary}",
            sources=list(model.sources()),
        )
    ]
    return ModelSection(
        predictions=predictions,
        predicted_losses=losses,
        summary=summary,
        distinct_from_reference=distinct,
        trace=trace,
        model_sha256=model.sha256,
    )


def _screen_inputs(
    mapped: Sequence[tuple[str, str]], unmapped: list[str], reference: Sequence[tuple[str, str]]
) -> dict[str, Any]:
    return {
        "alterations": [f"{gene} {kind}" for gene, kind in mapped],
        "not_in_model": unmapped,
        "reference": [f"{gene} {kind}" for gene, kind in reference],
    }


def _named_for(
    section: ModelSection, annotations: ModelAnnotations, mapped: list[tuple[str, str]], unmapped: list[str]
) -> ModelSection:
    """A screened section with its trace naming this profile's alterations: profiles that
    set the model's nodes alike (the same gene altered by two kinds, alterations the model
    does not represent) differ in those names only."""
    reference = [(a.gene, a.kind) for a in annotations.screen.reference_profile]
    inputs = _screen_inputs(mapped, unmapped, reference)
    trace = [
        item.model_copy(update={"inputs": inputs}) if item.rule == "model.screen" else item for item in section.trace
    ]
    return section.model_copy(update={"trace": trace})


def model_section(case: Case, her2: Her2Status, kb: KnowledgeBase, runtime: Runtime, top: int) -> ModelSection:
    """Top single drugs and combinations predicted for the case's alteration profile.

    Among equal scores fewer drugs come first: a combination that adds nothing over one
    of its drugs is not a better hypothesis. Patients share profiles, so each profile's
    section is computed once per runtime; the screen itself depends on the node settings
    the profile makes (not on alterations the model does not represent), so it is kept,
    in memory and on disk, by those settings and shared by every profile that makes them.
    """
    profile = tuple(sorted({(a.gene, a.kind) for a in case.alterations} | set(her2_profile(her2))))
    return runtime.memo(
        ("model_section_of_profile", __version__, kb.sha256, profile, top),
        lambda: _profile_section(profile, top, kb, runtime),
    )


def _screen_code(runtime: Runtime) -> str:
    """A digest of the code that computes a stored screen (the model step and the network
    library): a screen kept on disk by an earlier build with the same version string is
    not reused when that code has changed since. Read once per runtime."""

    def digest() -> str:
        package = Path(__file__).resolve().parents[1]
        sha = hashlib.sha256()
        for folder in ("model", "network"):
            for source in sorted((package / folder).glob("*.py")):
                sha.update(source.name.encode() + b"\0" + source.read_bytes())
        return sha.hexdigest()[:16]

    return runtime.singleton(("model_screen_code",), digest)


def _annotations(kb: KnowledgeBase) -> ModelAnnotations:
    if kb.model is None:
        raise KnowledgeBaseError("the knowledge base has no model.yaml")
    return kb.model


def alteration_map(kb: KnowledgeBase, runtime: Runtime) -> AlterationMap:
    """The model annotations' alteration table, built once per runtime (no ``.bnet`` needed)."""
    annotations = _annotations(kb)
    return runtime.singleton(
        ("model_alteration_map", kb.sha256), lambda: AlterationMap(annotations, gene_name=kb.vocabulary.gene)
    )


def _profile_section(
    profile: tuple[tuple[str, str], ...], top: int, kb: KnowledgeBase, runtime: Runtime
) -> ModelSection:
    # The screen's key needs only the annotations; the model and its engine are built when
    # a screen must run (a stored one is read without them).
    alterations = alteration_map(kb, runtime)
    mapped = [alteration for alteration in profile if alterations.maps(*alteration)]
    unmapped = [f"{gene} {kind}" for gene, kind in profile if (gene, kind) not in mapped]
    settings = tuple(sorted(alterations.perturbations(mapped).items()))
    screened = runtime.persistent(
        ("model_section", __version__, _screen_code(runtime), kb.sha256, settings, top),
        lambda: _screened(annotated_model(kb, runtime), mapped, unmapped, top, kb, runtime),
        encode=lambda section: section.model_dump(mode="json"),
        decode=ModelSection.model_validate,
    )
    return _named_for(screened, _annotations(kb), mapped, unmapped)
