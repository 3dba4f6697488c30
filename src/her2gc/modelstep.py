"""The report's ``model`` section: mechanistic-model hypotheses for the case's alterations.

Predictions are the lowest evidence tier and always labelled so; they may add a
caution or a trial idea, never a ranked option.
"""

from __future__ import annotations

from her2gc.case import Case
from her2gc.kb.loader import KnowledgeBase
from her2gc.report import ModelSection, TraceItem


def model_section(case: Case, kb: KnowledgeBase, top: int) -> ModelSection | None:
    """Top single drugs and pairs predicted for the case's alteration profile."""
    from her2gc import network

    profile = sorted({(a.gene, a.kind) for a in case.alterations})
    mapped = [alteration for alteration in profile if network.maps_alteration(*alteration)]
    unmapped = [f"{gene} {kind}" for gene, kind in profile if (gene, kind) not in mapped]
    results = network.screen_profile(mapped, max_drugs=2)
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
            sources=list(network.model_sources()),
        )
    ]
    return ModelSection(predictions=predictions, trace=trace)
