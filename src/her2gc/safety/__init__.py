"""The safety step: dose actions for the case's adverse events by the labels, and the
safety cautions of each option (``safety.yaml``)."""

from __future__ import annotations

from her2gc.safety.cautions import combination_applies, safety_cautions
from her2gc.safety.conditions import condition_holds, organ_row
from her2gc.safety.doses import NextDose, manage_adverse_events, manage_event, matching_rule, next_dose

__all__ = [
    "NextDose",
    "combination_applies",
    "condition_holds",
    "manage_adverse_events",
    "manage_event",
    "matching_rule",
    "next_dose",
    "organ_row",
    "safety_cautions",
]
