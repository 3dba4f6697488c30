"""The trial evidence an option rests on: headline outcomes as printed, and randomised
trials that missed their primary endpoint."""

from __future__ import annotations

from collections.abc import Sequence

from her2gc.kb.schema import Trial, TrialResult
from her2gc.report import Outcome

_HEADLINE = ("orr_pct", "pfs_months", "os_months", "os_hr", "pfs_hr")


def _printed(result: TrialResult) -> str | None:
    if result.printed is None:
        return None
    return result.printed + (f" ({result.ci_printed})" if result.ci_printed else "")


def trial_outcomes(trial: Trial, regimen_id: str, tiers: Sequence[str] = ()) -> list[Outcome]:
    """Headline outcomes of the trial arm that gave this regimen, one per analysis the
    source names (whole population), each figure also as the source prints it. Where the
    trial's arms are cohorts of one HER2 tier, only the cohorts of the patient's tiers."""
    arms = {
        arm.id: arm
        for arm in trial.arms
        if arm.regimen_id == regimen_id and (arm.her2_tiers is None or not tiers or set(arm.her2_tiers) & set(tiers))
    }
    by_analysis: dict[str | None, dict[str, object]] = {}
    printed: dict[str | None, dict[str, str]] = {}
    for result in trial.results:
        if result.arm not in arms or result.subgroup != "all" or result.endpoint not in _HEADLINE:
            continue
        row = by_analysis.setdefault(result.analysis, {"arm_n": arms[result.arm].n})
        if result.endpoint in row:
            continue
        row[result.endpoint] = result.value
        if result.endpoint == "os_hr" and result.ci_low is not None and result.ci_high is not None:
            row["os_hr_ci"] = [result.ci_low, result.ci_high]
        text = _printed(result)
        if text is not None:
            printed.setdefault(result.analysis, {})[result.endpoint] = text
    return [
        Outcome(trial=trial.id, analysis=analysis, printed=printed.get(analysis, {}), **values)
        for analysis, values in by_analysis.items()
        if len(values) > 1
    ]


def missed_primary_endpoint(trials: Sequence[Trial]) -> list[Trial]:
    """The randomised trials that missed their primary endpoint, when no cited randomised
    trial met one (a negative trial beside a positive one does not make the option negative)."""
    randomised = [t for t in trials if t.randomised and t.primary_endpoint_met is not None]
    if any(t.primary_endpoint_met for t in randomised):
        return []
    return [t for t in randomised if t.primary_endpoint_met is False]
