"""The tumour-board text of a report (rich tables, plain characters)."""

from __future__ import annotations

import io

from rich.console import Console
from rich.table import Table

from her2gc.render.common import her2_line
from her2gc.report import Option, Report


def _outcome_text(option: Option) -> str:
    if not option.outcomes:
        # Say so rather than leave the cell blank: the sources name the trial but print no figures.
        return f"{', '.join(option.evidence.trials)}: no figures in the sources" if option.evidence.trials else ""
    first = option.outcomes[0]
    bits = [first.trial]
    for label, value in (
        ("ORR", first.orr_pct),
        ("PFS", first.pfs_months),
        ("OS", first.os_months),
        ("OS HR", first.os_hr),
    ):
        if value is not None:
            bits.append(f"{label} {value:g}" + ("%" if label == "ORR" else "" if label == "OS HR" else " mo"))
    return " ".join(bits)


def _options_table(report: Report) -> Table:
    table = Table(title=f"Options for line {report.decision_line} ({report.region})", show_lines=False)
    for column in ("#", "regimen", "ESCAT", "approval", "key result"):
        table.add_column(column)
    for option in report.recommendations:
        approval = option.approval.status + ("" if option.approval.confirmed else "*")
        table.add_row(str(option.rank), option.name, option.evidence.escat, approval, _outcome_text(option))
    return table


def to_text(report: Report, width: int = 110) -> str:
    """What a clinician reads at a tumour board: HER2 first, then options, then cautions."""
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
    console.print(her2_line(report))
    for detail in report.her2.action_details:
        console.print(f"  ! {detail.text}" + ("" if detail.confirmed else " [unconfirmed]"))
    console.print(_options_table(report))
    if any(not o.approval.confirmed for o in report.recommendations):
        console.print("  * approval not stated in the knowledge base's primary sources (unconfirmed)")
    mechanism_ids = {m.id for m in report.resistance.mechanisms}
    for option in report.recommendations:
        # Mechanism cautions are listed by id on one line; the resistance section explains them.
        affected = [c.split(":", 1)[0] for c in option.cautions if c.split(":", 1)[0] in mechanism_ids]
        for caution in option.cautions:
            if caution.split(":", 1)[0] not in mechanism_ids:
                console.print(f"  caution [{option.rank}] {caution}")
        if affected:
            console.print(
                f"  caution [{option.rank}] resistance findings that may reduce its benefit: {', '.join(affected)}"
            )
    for exclusion in report.excluded:
        console.print(f"  not offered: {exclusion.regimen_id} — {'; '.join(exclusion.why_not)}")
    if report.resistance.mechanisms or report.resistance.ctdna_pattern != "insufficient_data":
        console.print(f"Resistance (ctDNA pattern: {report.resistance.ctdna_pattern})")
        for mech in report.resistance.mechanisms:
            console.print(f"  {mech.id} [{mech.level}, {mech.evidence_setting}] {', '.join(mech.alterations)}")
        for detail in report.resistance.action_details:
            console.print(f"  ! {detail.text}" + ("" if detail.confirmed else " [unconfirmed]"))
    for prediction in report.model.predictions[:5]:
        console.print(
            f"Model hypothesis: {' + '.join(prediction.get('drugs', []))} -> {prediction.get('response')} (score {prediction.get('score')})"
        )
    for dose_action in report.safety:
        dose = (
            f", next dose {dose_action.next_dose_mg_per_kg:g} mg/kg"
            if dose_action.next_dose_mg_per_kg is not None
            else ""
        )
        flag = "" if dose_action.confirmed else " [unconfirmed]"
        console.print(
            f"Safety: {dose_action.drug} {dose_action.event} grade {dose_action.grade}: "
            f"{dose_action.action.upper()}{dose}{flag} ({dose_action.rule})"
        )
    for warning in report.warnings:
        console.print(f"Warning: {warning.message}")
    for note in report.notes:
        console.print(f"Note: {note}")
    console.print("Decision support only: the treating team decides.")
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]
