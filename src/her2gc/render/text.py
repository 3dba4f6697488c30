"""The tumour-board text of a report (rich tables, plain characters): the case as read,
HER2 first, then the options, each caution said once, then resistance, model and safety."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from her2gc.case import Case
from her2gc.render.common import approval_text, case_as_read, her2_line, key_result, shared_cautions
from her2gc.report import Report, SafetyAction


def _options_table(report: Report) -> Table:
    table = Table(title=f"Options for line {report.decision_line} ({report.region})", show_lines=False)
    for column in ("#", "regimen", "ESCAT", "approval", "key result"):
        table.add_column(column)
    for option in report.recommendations:
        escat = option.evidence.escat.replace("not_applicable", "n/a") + f" ({option.evidence.category})"
        table.add_row(str(option.rank), option.name, escat, approval_text(option), key_result(option))
    return table


def _why_none(report: Report) -> str:
    """Why the options table is empty, in words (the reasons are in 'not offered')."""
    if any(reason.startswith("waits for ISH") for e in report.excluded for reason in e.why_not):
        return "the options depend on the HER2 tier, which waits for the ISH result (see the HER2 actions)"
    return "none of the options written for this line fits the case (see 'not offered')"


def _unconfirmed(confirmed: bool) -> str:
    return "" if confirmed else " [unconfirmed]"


def to_text(report: Report, case: Case | None = None, width: int = 110) -> str:
    """What a clinician reads at a tumour board: the case as read, HER2, options, cautions."""
    console = Console(
        file=io.StringIO(),
        width=width,
        color_system=None,
        force_terminal=False,
        markup=False,
        highlight=False,
        emoji=False,
    )
    console.print(
        f"her2gc report — patient {report.patient_id} — decision line {report.decision_line} — region {report.region}"
    )
    if case is not None:
        console.print("The case as read")
        for label, text in case_as_read(case, report):
            console.print(f"  {label}: {text}")
    console.print(her2_line(report))
    for detail in report.her2.action_details:
        console.print(f"  ! {detail.text}{_unconfirmed(detail.confirmed)}")
    if report.recommendations:
        console.print(_options_table(report))
    else:
        console.print(f"No option is offered for line {report.decision_line}: {_why_none(report)}")
    shared = shared_cautions(report.recommendations)
    if shared:
        console.print("Cautions (each once; [n] = the options it concerns)")
        for item in shared:
            ranks = ", ".join(str(r) for r in item.ranks)
            console.print(f"  [{ranks}] {item.text}{_unconfirmed(item.caution.confirmed)}")
    for exclusion in report.excluded:
        console.print(f"  not offered: {exclusion.regimen_id} — {'; '.join(exclusion.why_not)}")
    resistance = report.resistance
    if resistance.mechanisms or resistance.ctdna_pattern != "insufficient_data":
        console.print(f"Resistance (ctDNA pattern: {resistance.ctdna_pattern.replace('_', ' ')})")
        reading = resistance.ctdna
        if reading is not None and reading.baseline is not None and reading.last is not None:
            nadir = f", nadir {reading.nadir.erbb2_copy_number:g} ({reading.nadir.date})" if reading.nadir else ""
            compared = (reading.compared or "").replace("_", " ")
            console.print(
                f"  ERBB2 copy number: baseline {reading.baseline.erbb2_copy_number:g} ({reading.baseline.date}){nadir}, "
                f"last {reading.last.erbb2_copy_number:g} ({reading.last.date}, {reading.last.timing.replace('_', ' ')}); "
                f"compared: {compared}" + ("; rebound from the nadir" if reading.rebound_from_nadir else "")
            )
        for mech in resistance.mechanisms:
            console.print(f"  {mech.id} [{mech.level}, {mech.evidence_setting}] {', '.join(mech.alterations)}")
        for detail in resistance.action_details:
            console.print(f"  ! {detail.text}{_unconfirmed(detail.confirmed)}")
    model = report.model
    if model.summary or model.predictions:
        console.print(f"Model hypotheses ({model.label})")
        if model.summary:
            console.print(f"  {model.summary}")
        for prediction in [*model.predictions, *model.predicted_losses]:
            kind = str(prediction.get("kind", "")).replace("_", " ")
            console.print(
                f"  {' + '.join(prediction.get('drugs', []))}: {kind}; effect {prediction.get('effect'):+g} here, "
                f"{prediction.get('reference_effect'):+g} in the reference"
            )
    for dose_action in report.safety:
        console.print(
            f"Safety: {dose_action.drug} {dose_action.event} grade {dose_action.grade}: "
            f"{_dose_words(dose_action)}{_unconfirmed(dose_action.confirmed)} ({dose_action.rule})"
        )
        for step in dose_action.details:
            console.print(f"  - {step}")
    for warning in report.warnings:
        console.print(f"Warning: {warning.message}")
    for note in report.notes:
        console.print(f"Note: {note.text}{_unconfirmed(note.confirmed)}")
    console.print("Decision support only: the treating team decides.")
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _dose_words(action: SafetyAction) -> str:
    """What to do with the drug, and at what dose: the dose a reduction goes to, or the one
    dosing resumes at after a hold."""
    dose = action.next_dose_mg_per_kg
    at = f" {dose:g} mg/kg" if dose is not None else ""
    if action.action == "reduce":
        return f"REDUCE to{at}" if dose is not None else "REDUCE one dose level"
    if action.action == "resume_same_dose":
        return f"RESUME at the same dose{',' + at if dose is not None else ''}"
    if action.action in ("withhold", "interrupt") and dose is not None:
        return f"{action.action.upper()}, then resume at{at}"
    return action.action.upper()
