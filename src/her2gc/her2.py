"""HER2 status: IHC scoring, ISH interpretation, the binary call and CSCO 2025 tiers,
heterogeneity, loss after anti-HER2 therapy, NGS discordance and the actions that follow.

Every threshold comes from ``her2_rules.yaml``; these functions only apply it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from her2gc.case import Alteration, Case, Her2Test, IhcReading, IshResult
from her2gc.kb.schema_rules import Her2Rules, Ranking, TierRow
from her2gc.report import ActionDetail, Her2Status, TraceItem

IshState = Literal["amplified", "not_amplified", "not_done"]


@dataclass(frozen=True)
class TestCall:
    """One specimen's reading: the IHC score used, the ISH state, and its classification."""

    index: int
    test: Her2Test
    ihc_score: str | None
    ish: IshState
    row: TierRow | None
    trace: tuple[TraceItem, ...]


def score_ihc(reading: IhcReading, specimen: str, rules: Her2Rules) -> tuple[str | None, TraceItem]:
    """The IHC score: as reported, or derived from the raw reading (Hofmann 2008 / CAP 2017).

    A reading scores only when enough tumour cells stain: a share of cells in resections,
    a cluster of cells in biopsies; the criteria are tried from 3+ down.
    """
    if reading.score is not None:
        return reading.score, TraceItem(
            rule="her2.ihc.reported",
            inputs={"score": reading.score},
            conclusion=f"IHC {reading.score} as reported",
            sources=list(rules.sources),
        )
    quantity = next(q for q in rules.specimen_quantities if q.specimen == specimen)
    inputs = reading.model_dump(exclude_none=True) | {"specimen": specimen}
    enough = _enough_cells(reading, quantity.min_percent_cells, quantity.min_cluster_cells)
    if enough is None:
        needed = "largest_cluster_cells" if quantity.min_cluster_cells is not None else "percent_cells"
        return None, TraceItem(
            rule="her2.ihc.unscorable",
            inputs=inputs,
            conclusion=f"raw {specimen} reading lacks {needed}; cannot score",
            sources=list(quantity.sources),
            confirmed=quantity.confirmed,
        )
    score = "0"
    if enough and reading.intensity != "none" and reading.pattern is not None:
        for criterion in rules.ihc_criteria:
            if reading.intensity in criterion.intensities and reading.pattern in criterion.patterns:
                score = criterion.score
                break
    threshold = (
        f">= {quantity.min_percent_cells:g}% of cells"
        if quantity.min_percent_cells is not None
        else f"cluster >= {quantity.min_cluster_cells} cells"
    )
    return score, TraceItem(
        rule=f"her2.ihc.score.{specimen}",
        inputs=inputs,
        conclusion=f"IHC {score} ({specimen}: staining counts at {threshold})",
        sources=list(quantity.sources),
        confirmed=quantity.confirmed,
    )


def _enough_cells(reading: IhcReading, min_percent: float | None, min_cluster: int | None) -> bool | None:
    if min_cluster is not None:
        return None if reading.largest_cluster_cells is None else reading.largest_cluster_cells >= min_cluster
    if min_percent is not None:
        return None if reading.percent_cells is None else reading.percent_cells >= min_percent
    return None


def interpret_ish(ish: IshResult | None, rules: Her2Rules, use_signals_rule: bool) -> tuple[IshState, TraceItem | None]:
    """ISH amplified when the HER2/CEP17 ratio is >= the threshold (ToGA definition).

    The mean-signals rule (>= 6 HER2 signals per cell with ratio < 2) is unconfirmed and
    applied only when asked for.
    """
    if ish is None:
        return "not_done", None
    rule = rules.ish
    inputs = ish.model_dump(exclude_none=True)
    if ish.ratio is not None and ish.ratio >= rule.ratio_threshold:
        return "amplified", TraceItem(
            rule="her2.ish.ratio",
            inputs=inputs,
            conclusion=f"ratio {ish.ratio:g} >= {rule.ratio_threshold:g}: amplified",
            sources=list(rule.sources),
        )
    signals = ish.her2_signals_per_cell
    if use_signals_rule and signals is not None and signals >= rule.signals_rule_threshold:
        return "amplified", TraceItem(
            rule="her2.ish.signals",
            inputs=inputs,
            conclusion=f"{signals:g} HER2 signals per cell >= {rule.signals_rule_threshold:g}: amplified (unconfirmed rule)",
            sources=list(rule.signals_rule_sources),
            confirmed=rule.signals_rule_confirmed,
        )
    if ish.ratio is not None:
        return "not_amplified", TraceItem(
            rule="her2.ish.ratio",
            inputs=inputs,
            conclusion=f"ratio {ish.ratio:g} < {rule.ratio_threshold:g}: not amplified",
            sources=list(rule.sources),
        )
    if ish.reported_result is not None:
        return ish.reported_result, TraceItem(
            rule="her2.ish.reported",
            inputs=inputs,
            conclusion=f"ISH {ish.reported_result.replace('_', ' ')} as reported",
            sources=list(rule.sources),
        )
    return "not_done", TraceItem(
        rule="her2.ish.uninterpretable",
        inputs=inputs,
        conclusion="signals per cell without a ratio: not interpretable unless the signals rule is enabled",
        sources=list(rule.signals_rule_sources),
        confirmed=rule.signals_rule_confirmed,
    )


def classify(ihc_score: str | None, ish: IshState, rules: Her2Rules) -> TierRow | None:
    """The classification row for an IHC score and ISH state (binary + CSCO tier)."""
    for row in rules.classification:
        if row.ihc == ihc_score and row.ish in (ish, "any"):
            return row
    return None


def assess_test(index: int, test: Her2Test, rules: Her2Rules, use_signals_rule: bool) -> TestCall:
    trace: list[TraceItem] = []
    score = None
    if test.ihc is not None:
        score, item = score_ihc(test.ihc, test.specimen, rules)
        trace.append(item)
    ish, ish_item = interpret_ish(test.ish, rules, use_signals_rule)
    if ish_item is not None:
        trace.append(ish_item)
    row = classify(score, ish, rules)
    if row is not None:
        trace.append(
            TraceItem(
                rule="her2.classify",
                inputs={"test": index, "ihc": score, "ish": ish},
                conclusion=f"{row.binary}; CSCO {row.csco_tier}" + (f" ({row.note})" if row.note else ""),
                sources=list(row.sources),
            )
        )
    return TestCall(index=index, test=test, ihc_score=score, ish=ish, row=row, trace=tuple(trace))


def _strength(call: TestCall, ranking: Ranking) -> tuple[int, int]:
    """Order specimens by call (``ranking.yaml``): positive > equivocal > negative, then by tier."""
    if call.row is None:
        return (-1, -1)
    return (
        ranking.rank(list(ranking.her2_binary_order), call.row.binary),
        ranking.rank(list(ranking.her2_tier_order), call.row.csco_tier),
    )


def _is_anti_her2_pretreated(case: Case, rules: Her2Rules) -> bool:
    return bool(case.prior_drugs() & set(rules.retest_drugs))


def _ngs_erbb2_amplified(alterations: list[Alteration]) -> bool:
    return any(a.gene == "ERBB2" and a.kind == "amp" and a.source == "tissue" for a in alterations)


def assess_her2(case: Case, rules: Her2Rules, ranking: Ranking, use_signals_rule: bool = False) -> Her2Status:
    """The patient's HER2 status from all specimens, oldest first.

    Status at diagnosis is the strongest call among diagnostic specimens (any positive
    specimen makes the patient positive); a later post-progression specimen gives the
    current status, and a positive-to-negative change after anti-HER2 therapy is HER2 loss.
    """
    calls = [assess_test(i, t, rules, use_signals_rule) for i, t in enumerate(case.her2_tests)]
    trace = [item for call in calls for item in call.trace]
    scored = [c for c in calls if c.row is not None]
    if not scored:
        actions = ["her2_testing_required"] if not calls else ["repeat_her2_test"]
        return Her2Status(
            binary="unknown",
            csco_tier="unknown",
            actions=actions,
            action_details=action_details(actions, rules),
            trace=trace,
        )

    diagnostic = [c for c in scored if c.test.setting == "diagnosis"]
    later = [c for c in scored if c.test.setting == "post_progression"]
    baseline = max(diagnostic, key=lambda c: _strength(c, ranking)) if diagnostic else None
    current = later[-1] if later else max(scored, key=lambda c: _strength(c, ranking))
    assert current.row is not None
    pretreated = _is_anti_her2_pretreated(case, rules)
    loss = bool(
        baseline
        and baseline.row
        and baseline.row.binary == "positive"
        and later
        and current.row.binary == "negative"
        and pretreated
    )

    notes: list[str] = []
    heterogeneous = len({(c.row.binary, c.row.csco_tier) for c in diagnostic if c.row}) > 1
    if heterogeneous:
        notes.append(rules.heterogeneity_note)
        trace.append(
            TraceItem(
                rule="her2.heterogeneity",
                inputs={"diagnostic_calls": [f"{c.row.binary}/{c.row.csco_tier}" for c in diagnostic if c.row]},
                conclusion="diagnostic specimens disagree: heterogeneous HER2; the strongest call decides",
                sources=list(rules.heterogeneity_sources),
            )
        )
    if loss:
        trace.append(
            TraceItem(
                rule="her2.loss_after_therapy",
                inputs={"baseline_test": baseline.index if baseline else None, "post_progression_test": current.index},
                conclusion="HER2-positive before anti-HER2 therapy, negative after progression: HER2 loss",
                sources=list(rules.retest_sources),
            )
        )

    discordant = current.row.binary != "positive" and _ngs_erbb2_amplified(case.alterations)
    if discordant:
        trace.append(
            TraceItem(
                rule="her2.ngs_discordance",
                inputs={"binary": current.row.binary},
                conclusion="tissue NGS reports ERBB2 amplification but IHC/ISH is not positive",
                sources=list(rules.sources),
            )
        )

    actions = _actions(case, current, calls, rules, pretreated, discordant)
    return Her2Status(
        binary=current.row.binary,
        csco_tier=current.row.csco_tier,
        csco_tier_candidates=list(current.row.csco_tier_candidates),
        ihc_score=current.ihc_score,
        ish=current.ish,
        heterogeneous=heterogeneous,
        loss_after_therapy=loss,
        ngs_discordant=discordant,
        deciding_test=current.index,
        actions=actions,
        action_details=action_details(actions, rules),
        notes=notes + ([current.row.note] if current.row.note else []),
        trace=trace,
    )


def action_details(actions: list[str], rules: Her2Rules) -> list[ActionDetail]:
    """The text of each action, from ``her2_rules.yaml``."""
    texts = {action.id: action for action in rules.actions}
    return [ActionDetail(id=a, text=texts[a].text, confirmed=texts[a].confirmed) for a in actions]


def _actions(
    case: Case, current: TestCall, calls: list[TestCall], rules: Her2Rules, pretreated: bool, discordant: bool
) -> list[str]:
    """What the pathologist or oncologist must do next, in the order to do it."""
    actions: list[str] = []
    if current.ihc_score == "2+" and current.ish == "not_done":
        actions.append("ish_required")
    if any(c.row is None and c.test.ihc is not None for c in calls):
        actions.append("complete_ihc_reading")
    if current.ihc_score is None:
        actions.append("ihc_required")
    post_progression_done = any(c.test.setting == "post_progression" for c in calls)
    if pretreated and not post_progression_done:
        actions.append("retest_after_progression")
    small_biopsies = [
        c
        for c in calls
        if c.test.specimen == "biopsy"
        and c.test.tumour_fragments is not None
        and c.test.tumour_fragments < rules.min_biopsy_fragments
    ]
    if small_biopsies:
        actions.append("more_biopsy_fragments")
    if discordant:
        actions.append("review_ngs_discordance")
    if current.row is not None and current.row.discordant:
        actions.append("review_ihc_ish_discordance")
    return actions
