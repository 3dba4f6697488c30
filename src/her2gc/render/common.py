"""Pieces every rendering shares: the HER2 line, the case as read, approval wording, the
figures of an option as the source prints them, and cautions said once."""

from __future__ import annotations

from dataclasses import dataclass, field

from her2gc.case import AdverseEvent, Case, Her2Test
from her2gc.report import Option, OptionCaution, Outcome, Report

APPROVAL_WORDS = {
    "approved": "approved",
    "conditional": "conditional approval",
    "not_approved": "not approved for this patient",
    "not_recorded": "not recorded: check the label in force",
    "trial_only": "trial only",
    "label_not_applicable": "standard of care, label not applicable",
}
TIMING_WORDS = {"baseline": "baseline", "on_treatment": "on treatment", "progression": "progression"}


def her2_line(report: Report) -> str:
    her2 = report.her2
    tier: str = her2.csco_tier
    if tier == "unknown" and her2.csco_tier_candidates:
        tier = f"unknown until ISH ({' or '.join(her2.csco_tier_candidates)})"
    parts = [f"HER2 {her2.binary.upper()}", f"CSCO tier: {tier}"]
    if her2.ihc_score:
        parts.append(f"IHC {her2.ihc_score}")
    parts.append(f"ISH {her2.ish.replace('_', ' ')}")
    flags = [
        name
        for name, on in (
            ("heterogeneous", her2.heterogeneous),
            ("HER2 LOSS after therapy", her2.loss_after_therapy),
            ("NGS discordant", her2.ngs_discordant),
        )
        if on
    ]
    return " | ".join(parts + flags)


def approval_text(option: Option) -> str:
    words = APPROVAL_WORDS.get(option.approval.status, option.approval.status)
    return words + ("" if option.approval.confirmed else " (unconfirmed)")


def _figure(outcome: Outcome, endpoint: str, value: float | None) -> str | None:
    if value is None:
        return None
    text = outcome.printed.get(endpoint) or f"{value:g}"
    if endpoint in ("os_hr", "pfs_hr") and "(" not in text and outcome.os_hr_ci and endpoint == "os_hr":
        text += f" ({outcome.os_hr_ci[0]:g}-{outcome.os_hr_ci[1]:g})"
    label = {"orr_pct": "ORR", "pfs_months": "PFS", "os_months": "OS", "os_hr": "OS HR", "pfs_hr": "PFS HR"}[endpoint]
    unit = "%" if endpoint == "orr_pct" else "" if endpoint.endswith("_hr") else " mo"
    if unit and "(" in text:
        number, _, rest = text.partition(" ")
        return f"{label} {number}{unit} {rest}"
    return f"{label} {text}{unit}"


def outcome_text(outcome: Outcome) -> str:
    """One outcome as a board reads it, every figure as the source prints it."""
    head = outcome.trial + (f" ({outcome.analysis})" if outcome.analysis else "")
    if outcome.arm_n:
        head += f", n={outcome.arm_n}"
    figures = [
        _figure(outcome, endpoint, getattr(outcome, endpoint))
        for endpoint in ("orr_pct", "pfs_months", "os_months", "os_hr", "pfs_hr")
    ]
    return head + ": " + ", ".join(f for f in figures if f) if any(figures) else head


def key_result(option: Option) -> str:
    if not option.outcomes:
        # Say so rather than leave the cell blank: the sources name the trial but print no figures.
        return f"{', '.join(option.evidence.trials)}: no figures in the sources" if option.evidence.trials else ""
    return outcome_text(option.outcomes[0])


@dataclass
class SharedCaution:
    """A caution said once, with the ranks of the options it concerns."""

    caution: OptionCaution
    ranks: list[int] = field(default_factory=list)
    drugs: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        if self.caution.finding is not None:
            return f"{self.caution.finding} may reduce the benefit of {', '.join(self.drugs)}"
        return self.caution.text


def shared_cautions(options: list[Option]) -> list[SharedCaution]:
    """Cautions said once, in first-seen order: the same caution (or the same resistance
    finding) on several options is one row naming the options it concerns."""
    found: dict[tuple[str, str], SharedCaution] = {}
    for option in options:
        for caution in option.caution_details:
            key = (caution.id, caution.finding if caution.finding is not None else caution.text)
            entry = found.setdefault(key, SharedCaution(caution))
            if option.rank not in entry.ranks:
                entry.ranks.append(option.rank)
            entry.drugs += [d for d in caution.drugs if d not in entry.drugs]
    return list(found.values())


def event_findings(event: AdverseEvent) -> list[str]:
    """What the dose rules read from an adverse event, as the case gives it."""
    found: list[str] = []
    if event.lvef_percent is not None:
        found.append(f"LVEF {event.lvef_percent:g}%")
    if event.lvef_drop_points is not None:
        found.append(f"fall {event.lvef_drop_points:g} points")
    if event.lvef_below_lln:
        found.append("below LLN")
    if event.urine_protein_g_per_24h is not None:
        found.append(f"urine protein {event.urine_protein_g_per_24h:g} g/24 h")
    if event.nephrotic_syndrome:
        found.append("nephrotic syndrome")
    if event.controlled is not None:
        found.append("controlled" if event.controlled else "cannot be controlled")
    if event.organ is not None:
        found.append(f"organ {event.organ}" + (", recurrent" if event.recurrent else ""))
    for label, value in (("AST/ALT", event.ast_alt_x_uln), ("bilirubin", event.bilirubin_x_uln)):
        if value is not None:
            found.append(f"{label} {value:g} x ULN")
    if event.diagnosis is not None:
        found.append(f"{event.diagnosis} diagnosis")
    if event.symptoms:
        found.append(" and ".join(s.replace("_", " ") for s in event.symptoms))
    if event.suspensions is not None:
        found.append(f"suspension {event.suspensions}")
    if event.assessed is not None:
        found.append(f"assessed {event.assessed}")
    return found


def _her2_test(test: Her2Test) -> str:
    bits = [str(test.date) if test.date else "undated", f"{test.specimen} ({test.setting.replace('_', '-')})"]
    if test.ihc is not None:
        if test.ihc.score is not None:
            bits.append(f"IHC {test.ihc.score}")
        else:
            reading = f"{test.ihc.intensity}, {test.ihc.pattern or 'no pattern'}"
            extent = (
                f"{test.ihc.percent_cells:g}% of cells"
                if test.ihc.percent_cells is not None
                else f"cluster of {test.ihc.largest_cluster_cells}"
            )
            bits.append(f"IHC reading {reading}, {extent}")
    if test.ish is not None:
        ish = []
        if test.ish.ratio is not None:
            ish.append(f"ratio {test.ish.ratio:g}")
        if test.ish.her2_signals_per_cell is not None:
            ish.append(f"{test.ish.her2_signals_per_cell:g} HER2 signals/cell")
        if test.ish.reported_result is not None:
            ish.append(test.ish.reported_result.replace("_", " "))
        bits.append("ISH " + ", ".join(ish))
    if test.tumour_fragments is not None:
        bits.append(f"{test.tumour_fragments} tumour fragments")
    return ", ".join(bits)


def case_as_read(case: Case, report: Report) -> list[tuple[str, str]]:
    """The inputs the report rests on, as (label, text) rows, in the order a board reviews them."""
    tumour = case.tumour
    rows = [
        (
            "Tumour",
            f"{tumour.site} {tumour.histology}"
            + (f" ({tumour.oncotree_code})" if tumour.oncotree_code else "")
            + (", metastatic" if tumour.metastatic else "")
            + (f"; Lauren {tumour.lauren}" if tumour.lauren != "unknown" else "")
            + (f"; ECOG {case.ecog}" if case.ecog is not None else ""),
        )
    ]
    rows += [(f"HER2 test {i + 1}", _her2_test(t)) for i, t in enumerate(case.her2_tests)] or [
        ("HER2", "no test given")
    ]
    markers = [
        f"PD-L1 CPS {case.pdl1.cps:g}" + (f" ({case.pdl1.assay})" if case.pdl1.assay else "")
        if case.pdl1
        else "PD-L1 not reported"
    ]
    markers.append(f"MSI {case.msi}")
    markers.append(
        f"claudin 18.2 {case.cldn18_2.percent_moderate_strong:g}% moderate-to-strong"
        if case.cldn18_2
        else "claudin 18.2 not reported"
    )
    rows.append(("Biomarkers", "; ".join(markers)))
    for line in case.treatment_history:
        span = f"{line.start or '?'} to {line.end or '?'}"
        outcome = ", ".join(
            x
            for x in (
                f"best response {line.best_response}" if line.best_response else "",
                f"stopped: {line.stop_reason}" if line.stop_reason else "",
            )
            if x
        )
        rows.append((f"Line {line.line}", f"{' + '.join(line.drugs)}, {span}" + (f"; {outcome}" if outcome else "")))
    if case.current_therapy is not None:
        doses = ", ".join(
            f"{d} {case.current_therapy.dose_of(d):g} mg/kg"
            for d in case.current_therapy.drugs
            if case.current_therapy.dose_of(d)
        )
        rows.append(("Current therapy", " + ".join(case.current_therapy.drugs) + (f" ({doses})" if doses else "")))
    reading = report.resistance.ctdna
    if reading is not None and reading.timepoints:
        points = [
            f"{t.date} {t.erbb2_copy_number:g}" if t.erbb2_copy_number is not None else f"{t.date} (variants only)"
            for t in reading.timepoints
        ]
        timings = [TIMING_WORDS[t.timing] + (" (derived)" if t.timing_derived else "") for t in reading.timepoints]
        rows.append(("ctDNA ERBB2 copy number", "; ".join(f"{p} [{w}]" for p, w in zip(points, timings, strict=True))))
    for alteration in case.alterations:
        extra: list[str] = [alteration.source]
        if alteration.copy_number is not None:
            extra.append(f"copy number {alteration.copy_number:g}")
        if alteration.vaf is not None:
            extra.append(f"VAF {alteration.vaf:g}")
        if alteration.date is not None:
            extra.append(str(alteration.date))
        rows.append(("Alteration", f"{alteration.label()} ({', '.join(extra)})"))
    if case.ncrna:
        rows.append(("ncRNA", ", ".join(f"{n.name} {n.direction}" for n in case.ncrna)))
    for event in case.adverse_events:
        rows.append(
            (
                "Adverse event",
                f"{event.drug}: {event.event.replace('_', ' ')}"
                + (f" grade {event.grade}" if event.grade is not None else "")
                + (f", onset {event.onset}" if event.onset else "")
                + (f", resolved {event.resolved}" if event.resolved else "")
                + "".join(f", {finding}" for finding in event_findings(event)),
            )
        )
    comorbid = case.comorbidities
    rows.append(
        (
            "Comorbidities",
            f"ILD history {'yes' if comorbid.ild_history else 'no'}"
            + (f"; LVEF {comorbid.lvef_percent:g}%" if comorbid.lvef_percent is not None else "")
            + ("; heart failure" if comorbid.heart_failure else ""),
        )
    )
    return rows
