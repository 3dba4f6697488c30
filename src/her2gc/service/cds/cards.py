"""Cards for ``patient-view``: the HER2 call, the leading options, the most important caution.

Pure functions of the report (CDS Hooks 2.0, "Card Attributes"): a one-sentence summary
under 140 characters, an indicator, the source naming her2gc and the knowledge-base
version, a markdown detail, and a link to the full report. Card uuids are derived from
the hook instance, so the same call gives the same cards and feedback names them.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Literal

from her2gc.report import Option, Report, SafetyAction
from her2gc.service.cds.models import SUMMARY_MAX, Card, Link, Source

Indicator = Literal["info", "warning", "critical"]
CARD_NAMESPACE = uuid.UUID("5b0f3b7e-5c1f-4d38-9a57-3f3c0d1b2c41")
TOP_OPTIONS = 5
DISCLAIMER = "_Decision support only: the treating team decides._"


def card_uuid(hook_instance: str, name: str) -> str:
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}/{name}"))


def source_named(package_version: str, kb_version: str) -> Source:
    return Source(label=f"her2gc {package_version}, knowledge base {kb_version}")


def source_for(report: Report) -> Source:
    return source_named(report.generated_by.package_version, report.generated_by.kb_version)


def fit(text: str, limit: int = SUMMARY_MAX) -> str:
    """One line no longer than the limit, cut at a word with an ellipsis where it must be."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:—-")
    return cut + "…"


def cell(text: str) -> str:
    """Text safe inside a markdown table cell."""
    return " ".join(text.split()).replace("|", "\\|")


def report_links(report_url: str | None) -> list[Link] | None:
    return [Link(label="Full her2gc report", url=report_url, type="absolute")] if report_url else None


def her2_card(report: Report, hook_instance: str, report_url: str | None) -> Card:
    her2 = report.her2
    parts = [f"IHC {her2.ihc_score}" if her2.ihc_score else "IHC not scored", f"ISH {her2.ish.replace('_', ' ')}"]
    flags = [
        name
        for name, on in (
            ("HER2 loss after therapy", her2.loss_after_therapy),
            ("heterogeneous", her2.heterogeneous),
            ("NGS discordant", her2.ngs_discordant),
        )
        if on
    ]
    tier = (
        her2.csco_tier
        if her2.csco_tier != "unknown" or not her2.csco_tier_candidates
        else f"unknown ({'/'.join(her2.csco_tier_candidates)} once complete)"
    )
    summary = f"HER2 {her2.binary}, CSCO tier {tier} ({', '.join(parts)})" + (f"; {', '.join(flags)}" if flags else "")
    attention = her2.binary in ("equivocal", "unknown") or bool(her2.actions) or bool(flags)
    lines = [f"**HER2 {her2.binary}**, CSCO 2025 tier **{her2.csco_tier}**; {', '.join(parts)}."]
    if flags:
        lines.append(f"Flags: {', '.join(flags)}.")
    if her2.action_details:
        lines += ["", "Actions:"] + [
            f"- {detail.text}" + ("" if detail.confirmed else " _(unconfirmed)_") for detail in her2.action_details
        ]
    lines += ["", DISCLAIMER]
    return Card(
        uuid=card_uuid(hook_instance, "her2"),
        summary=fit(summary),
        detail="\n".join(lines),
        indicator="warning" if attention else "info",
        source=source_for(report),
        links=report_links(report_url),
    )


def escat(option: Option) -> str:
    """ESCAT as a reader expects it; nothing where the scale does not apply (non-targeted options)."""
    return "" if option.evidence.escat == "not_applicable" else f"ESCAT {option.evidence.escat}"


def event_words(event: str) -> str:
    return " ".join(word.upper() if word in ("ild", "lvef") else word for word in event.split("_"))


def _short(option: Option) -> str:
    level = escat(option)
    return f"{option.name} ({level})" if level else option.name


def options_summary(report: Report) -> str:
    lead = f"Line {report.decision_line} options ({report.region}): "
    names: list[str] = []
    for index, option in enumerate(report.recommendations[:TOP_OPTIONS]):
        remaining = len(report.recommendations) - index - 1
        candidate = lead + "; ".join([*names, _short(option)]) + (f"; +{remaining} more" if remaining else "")
        if len(candidate) > SUMMARY_MAX and names:
            break
        names.append(_short(option))
    rest = len(report.recommendations) - len(names)
    return fit(lead + "; ".join(names) + (f"; +{rest} more" if rest else ""))


def _key_result(option: Option) -> str:
    if not option.outcomes:
        return ", ".join(option.evidence.trials)
    first = option.outcomes[0]
    bits = [first.trial]
    for label, value, unit in (
        ("ORR", first.orr_pct, "%"),
        ("PFS", first.pfs_months, " mo"),
        ("OS", first.os_months, " mo"),
        ("OS HR", first.os_hr, ""),
    ):
        if value is not None:
            bits.append(f"{label} {value:g}{unit}")
    return " ".join(bits)


def options_card(report: Report, hook_instance: str, report_url: str | None) -> Card:
    if not report.recommendations:
        return Card(
            uuid=card_uuid(hook_instance, "options"),
            summary=fit(
                f"No option in the knowledge base fits line {report.decision_line} ({report.region}); see why in the report"
            ),
            detail="\n".join(
                [f"- {cell(e.regimen_id)}: {cell('; '.join(e.why_not))}" for e in report.excluded[:10]]
                + ["", DISCLAIMER]
            ),
            indicator="warning",
            source=source_for(report),
            links=report_links(report_url),
        )
    rows = ["| # | option | ESCAT | approval | key result |", "|---|---|---|---|---|"]
    for option in report.recommendations[:TOP_OPTIONS]:
        approval = f"{option.approval.status} ({option.approval.region})" + (
            "" if option.approval.confirmed else " *unconfirmed*"
        )
        rows.append(
            f"| {option.rank} | {cell(option.name)} | {option.evidence.escat.replace('_', ' ')} | {approval} | {cell(_key_result(option))} |"
        )
    more = len(report.recommendations) - TOP_OPTIONS
    tail = (
        [f"{more} more option(s) and {len(report.excluded)} excluded in the full report."]
        if more > 0
        else [f"{len(report.excluded)} option(s) excluded, with reasons, in the full report."]
    )
    return Card(
        uuid=card_uuid(hook_instance, "options"),
        summary=options_summary(report),
        detail="\n".join([*rows, "", *tail, "", DISCLAIMER]),
        indicator="info",
        source=source_for(report),
        links=report_links(report_url),
    )


SAFETY_ORDER = {"discontinue": 0, "interrupt": 1, "withhold": 1, "reduce": 2}


def safety_text(action: SafetyAction) -> str:
    grade = f" grade {action.grade}" if action.grade is not None else ""
    dose = (
        f" to {action.next_dose_mg_per_kg:g} mg/kg"
        if action.next_dose_mg_per_kg is not None and action.action == "reduce"
        else ""
    )
    return f"{action.drug}: {action.action}{dose} ({event_words(action.event)}{grade})"


def _most_important(report: Report) -> tuple[Indicator, str, list[str]] | None:
    """(indicator, summary, detail lines) of the caution a clinician must see first.

    Order: a dose rule that stops a drug, then one that holds or lowers it, then the
    cautions of the leading option, then inconsistencies noticed in the record."""
    urgent = sorted((a for a in report.safety if a.action in SAFETY_ORDER), key=lambda a: SAFETY_ORDER[a.action])
    if urgent:
        first = urgent[0]
        lines = [
            f"- **{safety_text(a)}**, rule `{a.rule}`"
            + ("" if a.confirmed else " _(unconfirmed)_")
            + "".join(f"\n  - {d}" for d in a.details)
            for a in urgent
        ]
        return ("critical" if first.action == "discontinue" else "warning", safety_text(first), lines)
    if report.recommendations and report.recommendations[0].cautions:
        top = report.recommendations[0]
        return ("warning", f"{top.name}: {top.cautions[0]}", [f"- {caution}" for caution in top.cautions])
    if report.warnings:
        return ("info", report.warnings[0].message, [f"- {w.message}" for w in report.warnings])
    return None


def caution_card(report: Report, hook_instance: str, report_url: str | None) -> Card | None:
    found = _most_important(report)
    if found is None:
        return None
    indicator, summary, lines = found
    return Card(
        uuid=card_uuid(hook_instance, "caution"),
        summary=fit(summary),
        detail="\n".join([*lines, "", DISCLAIMER]),
        indicator=indicator,
        source=source_for(report),
        links=report_links(report_url),
    )


def patient_view_cards(report: Report, hook_instance: str, report_url: str | None) -> list[Card]:
    cards: Sequence[Card | None] = (
        her2_card(report, hook_instance, report_url),
        options_card(report, hook_instance, report_url),
        caution_card(report, hook_instance, report_url),
    )
    return [card for card in cards if card is not None]


def unreadable_card(message: str, hook_instance: str, source: Source) -> Card:
    """What the clinician sees when the record cannot be read as a G/GEJ adenocarcinoma case."""
    return Card(
        uuid=card_uuid(hook_instance, "unreadable"),
        summary="her2gc could not assess this patient from the record",
        detail=f"{cell(message)}\n\n{DISCLAIMER}",
        indicator="info",
        source=source,
    )
