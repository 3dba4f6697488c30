"""Result types of the mechanistic model: predictions and screen rows.

Every result is a model hypothesis, the lowest evidence tier: it can add a
caution or a trial idea to a report, never outrank clinical evidence.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Response = Literal["sensitive", "partial", "resistant"]


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Prediction(_Frozen):
    """What the HER2 model predicts for one alteration profile under one drug set."""

    response: Response
    proliferation_off_fraction: float = Field(
        ge=0, le=1, description="share of reachable attractors with proliferation off"
    )
    apoptosis_fraction: float = Field(ge=0, le=1, description="share of reachable attractors with apoptosis on")
    score: float = Field(
        ge=0, le=1, description="growth inhibition, 0 (none) to 1 (complete), from the weighted read-outs"
    )
    attractor_count: int = Field(ge=1)
    readouts: dict[str, float] = Field(
        description="mean value of each read-out over the attractors (0.5 = oscillating)"
    )
    untreated_proliferating: bool = Field(description="whether the model proliferates for this profile without drugs")
    drugs: tuple[str, ...]
    alterations: tuple[str, ...]
    perturbations: tuple[str, ...] = Field(description="node=value settings applied on top of the initial state")
    cautions: tuple[str, ...] = ()
    evidence_tier: Literal["model_prediction"] = "model_prediction"
    label: Literal["model hypothesis"] = "model hypothesis"
    model_sha256: str


class ScreenResult(_Frozen):
    """One drug set of a screen: its predicted effect and synergy."""

    drugs: tuple[str, ...]
    response: Response
    score: float = Field(description="growth inhibition, 0 (none) to 1 (complete); higher is better")
    synergy: float | None = Field(
        default=None,
        description="score gain over the best drug subset (highest single agent for pairs); None for single drugs",
    )
    synergistic: bool | None = Field(default=None, description="synergy above the documented margin")
    proliferation_off_fraction: float | None = None
    attractor_count: int
    evidence_tier: Literal["model_prediction"] = "model_prediction"
    label: Literal["model hypothesis"] = "model hypothesis"

    def as_contract(self) -> dict[str, object]:
        """The JSON row promised by CONTRACT.md (``synergy`` absent for single drugs)."""
        row = self.model_dump(mode="json")
        if self.synergy is None:
            row.pop("synergy")
            row.pop("synergistic")
        return row
