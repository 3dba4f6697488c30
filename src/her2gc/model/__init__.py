"""The report's ``model`` section: mechanistic-model hypotheses for the case's alterations.

Predictions are the lowest evidence tier and always labelled so; they may add a
caution or a trial idea, never a ranked option.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from her2gc._version import __version__
from her2gc.case import Case
from her2gc.errors import KnowledgeBaseError
from her2gc.kb.base import KnowledgeBase
from her2gc.report import Her2Status, ModelSection, TraceItem
from her2gc.runtime import Runtime

if TYPE_CHECKING:
    from her2gc.model.annotated import AnnotatedModel

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
    amplified, IHC-positive ones over-express ERBB2; after HER2 loss, neither."""
    if her2.binary != "positive" or her2.loss_after_therapy:
        return []
    return [("ERBB2", "amp")] if her2.ish == "amplified" else [("ERBB2", "over")]


def _screened(model: AnnotatedModel, profile: tuple[tuple[str, str], ...], top: int, runtime: Runtime) -> ModelSection:
    """The model section for one alteration profile."""
    mapped = [alteration for alteration in profile if model.maps_alteration(*alteration)]
    unmapped = [f"{gene} {kind}" for gene, kind in profile if (gene, kind) not in mapped]
    screen = model.screen_profile(mapped, max_drugs=2, executor=runtime.executor)
    results = sorted(screen, key=lambda r: (-r.score, len(r.drugs), list(r.drugs)))
    predictions = [
        {
            "drugs": list(result.drugs),
            "response": result.response,
            "score": result.score,
            "synergy": result.synergy,
            "evidence_tier": "model_prediction",
            "label": "model hypothesis",
        }
        for result in results[:top]
    ]
    trace = [
        TraceItem(
            rule="model.screen",
            inputs={"alterations": [f"{gene} {kind}" for gene, kind in mapped], "not_in_model": unmapped},
            conclusion=f"{len(results)} drug sets screened on the HER2 gastric logical model; top {len(predictions)} listed",
            sources=list(model.sources()),
        )
    ]
    return ModelSection(predictions=predictions, trace=trace, model_sha256=model.sha256)


def model_section(case: Case, her2: Her2Status, kb: KnowledgeBase, runtime: Runtime, top: int) -> ModelSection:
    """Top single drugs and combinations predicted for the case's alteration profile.

    Among equal scores fewer drugs come first: a combination that adds nothing over one
    of its drugs is not a better hypothesis. Patients share profiles, so each profile's
    section is computed once per runtime.
    """
    profile = tuple(sorted({(a.gene, a.kind) for a in case.alterations} | set(her2_profile(her2))))
    key = ("model_section", __version__, kb.sha256, profile, top)
    return runtime.persistent(
        key,
        lambda: _screened(annotated_model(kb, runtime), profile, top, runtime),
        encode=lambda section: section.model_dump(mode="json"),
        decode=ModelSection.model_validate,
    )
