"""The report's ``model`` section: mechanistic-model hypotheses for the case's alterations.

Predictions are the lowest evidence tier and always labelled so; they may add a
caution or a trial idea, never a ranked option.
"""

from __future__ import annotations

import functools

from her2gc.case import Case
from her2gc.report import Her2Status, ModelSection, TraceItem


def her2_profile(her2: Her2Status) -> list[tuple[str, str]]:
    """The tumour's HER2 state as a model alteration: ISH-amplified tumours are ERBB2
    amplified, IHC-positive ones over-express ERBB2; after HER2 loss, neither."""
    if her2.binary != "positive" or her2.loss_after_therapy:
        return []
    return [("ERBB2", "amp")] if her2.ish == "amplified" else [("ERBB2", "over")]


@functools.lru_cache(maxsize=4096)
def _screened(profile: tuple[tuple[str, str], ...], top: int) -> ModelSection:
    """The model section for one alteration profile (patients share profiles, so it is kept)."""
    from her2gc import network

    mapped = [alteration for alteration in profile if network.maps_alteration(*alteration)]
    unmapped = [f"{gene} {kind}" for gene, kind in profile if (gene, kind) not in mapped]
    results = sorted(network.screen_profile(mapped, max_drugs=2), key=lambda r: (-r.score, len(r.drugs), list(r.drugs)))
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
    return ModelSection(predictions=predictions, trace=trace, model_sha256=network.her2_model().sha256)


def model_section(case: Case, her2: Her2Status, top: int) -> ModelSection:
    """Top single drugs and combinations predicted for the case's alteration profile.

    Among equal scores fewer drugs come first: a combination that adds nothing over one
    of its drugs is not a better hypothesis.
    """
    profile = tuple(sorted({(a.gene, a.kind) for a in case.alterations} | set(her2_profile(her2))))
    return _screened(profile, top)
