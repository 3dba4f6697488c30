"""The HER2 antibody-drug conjugates side by side (``her2gc kb compare adc``), from the
knowledge base: the structure of each (Tao & Huang 2026, Table 1, with the row as printed),
its approvals in force by region (``approvals*.yaml``), main toxicities and the gastric
figures the sources give. As text, JSON, a standalone HTML page, or the HTML table the
report shows when it offers two or more ADCs.
"""

from __future__ import annotations

import dataclasses
import io
import textwrap
from collections.abc import Sequence
from dataclasses import dataclass, field
from importlib import resources
from typing import TYPE_CHECKING, Any

from her2gc.kb.base import KnowledgeBase
from her2gc.kb.schema import Drug
from her2gc.report import Report
from her2gc.terms import REGIONS

if TYPE_CHECKING:
    import jinja2

    from her2gc.runtime import Runtime

NOT_GIVEN = "not given in the sources"
TEMPLATE_KEY = ("her2gc.render.adc", "adc_table.html.j2")
STATUS_WORDS = {
    "approved": "approved",
    "conditional": "conditional approval",
    "not_approved": "not approved",
    "trial_only": "trials only",
}


@dataclass(frozen=True)
class RegionApproval:
    """One approval entry in force for a regimen that contains the ADC."""

    approval_id: str
    status: str
    regimen_id: str
    regimen: str
    indication: str
    date: str | None
    confirmed: bool
    sources: list[str]


@dataclass(frozen=True)
class GastricFigureRow:
    trial: str
    text: str
    sources: list[str]


@dataclass(frozen=True)
class AdcRow:
    """One ADC as the comparison shows it; ``*_printed`` are the review table's own words."""

    drug: str
    name: str
    name_printed: str | None
    in_table: bool
    antibody: str | None
    linker: str | None
    structure_printed: str | None
    linker_printed: str | None
    cleavable: bool | None
    payload: str | None
    payload_printed: str | None
    payload_class: str | None
    dar: str
    dar_note: str | None
    bystander_effect: bool | None
    approvals: dict[str, list[RegionApproval]]
    approval_text: str | None
    approval_note: str | None
    toxicities: list[str]
    toxicities_printed: str | None
    toxicity_note: str | None
    gastric_figures: list[GastricFigureRow]
    confirmed: bool
    note: str | None
    sources: list[str] = field(default_factory=list)


def her2_adc_ids(kb: KnowledgeBase) -> list[str]:
    """Every HER2-directed ADC of the knowledge base: the review table's rows first, in file order."""
    adcs = [d for d in kb.drugs.values() if d.drug_class == "adc" and d.anti_her2]
    return [d.id for d in sorted(adcs, key=lambda d: not (d.adc is not None and d.adc.in_seed_table))]


def _approvals(kb: KnowledgeBase, drug: str) -> dict[str, list[RegionApproval]]:
    by_region: dict[str, list[RegionApproval]] = {region: [] for region in REGIONS}
    for approval in kb.approvals:
        regimen = kb.regimens.get(approval.regimen_id)
        if approval.superseded_by is not None or regimen is None or drug not in regimen.drugs:
            continue
        by_region[approval.region].append(
            RegionApproval(
                approval_id=approval.id,
                status=approval.status,
                regimen_id=regimen.id,
                regimen=regimen.name,
                indication=" ".join(approval.indication.split()),
                date=approval.date,
                confirmed=approval.confirmed,
                sources=list(approval.sources),
            )
        )
    return by_region


def _row(kb: KnowledgeBase, drug: Drug) -> AdcRow:
    adc = drug.adc
    printed = adc.printed if adc is not None else None
    # Table 1 prints the structure as "linker/payload class (payload)".
    linker_printed, _, payload_printed = printed.structure.partition("/") if printed is not None else (None, "", None)
    approvals = _approvals(kb, drug.id)
    figures = [
        GastricFigureRow(f.trial, " ".join(f.text.split()), list(f.sources))
        for f in (adc.gastric_figures if adc else [])
    ]
    sources = [*(adc.sources if adc else drug.sources), *(s for f in figures for s in f.sources)]
    sources += [s for entries in approvals.values() for a in entries for s in a.sources]
    return AdcRow(
        drug=drug.id,
        name=f"{drug.id} ({drug.aliases[0]})" if drug.aliases else drug.id,
        name_printed=printed.name if printed else None,
        in_table=adc is not None and adc.in_seed_table,
        antibody=adc.antibody if adc else None,
        linker=adc.linker if adc else None,
        structure_printed=printed.structure if printed else None,
        linker_printed=linker_printed.strip() if linker_printed else None,
        cleavable=adc.linker_cleavable if adc else None,
        payload=adc.payload if adc else None,
        payload_printed=payload_printed.strip() if payload_printed else None,
        payload_class=adc.payload_class if adc else None,
        dar=adc.dar if adc else NOT_GIVEN,
        dar_note=adc.dar_note if adc else None,
        bystander_effect=adc.bystander_effect if adc else None,
        approvals=approvals,
        approval_text=adc.approval_text if adc else None,
        approval_note=" ".join(adc.approval_note.split()) if adc and adc.approval_note else None,
        toxicities=list(drug.main_toxicities),
        toxicities_printed=printed.toxicities if printed else None,
        toxicity_note=adc.toxicity_note if adc else None,
        gastric_figures=figures,
        confirmed=adc.confirmed if adc else False,
        note=" ".join(adc.note.split())
        if adc and adc.note
        else (None if adc else "structure not given in the sources"),
        sources=list(dict.fromkeys(sources)),
    )


def adc_rows(kb: KnowledgeBase, drug_ids: Sequence[str] | None = None) -> list[AdcRow]:
    """The rows of the comparison: the given drugs (INN) in that order, else every HER2 ADC."""
    ids = list(drug_ids) if drug_ids is not None else her2_adc_ids(kb)
    return [_row(kb, kb.drugs[d]) for d in ids if d in kb.drugs]


def adc_json(rows: Sequence[AdcRow]) -> dict[str, Any]:
    """``{"adcs": [{"drug", "dar", "payload", "linker", "approvals": {region: [...]}, "toxicities", ...}]}``."""
    return {"adcs": [dataclasses.asdict(row) for row in rows]}


def _cited(kb: KnowledgeBase, rows: Sequence[AdcRow]) -> list[tuple[str, str]]:
    """(source id, citation) of every source the rows rest on, numbered in first-seen order."""
    ids = dict.fromkeys(s for row in rows for s in row.sources if s in kb.sources)
    return [(sid, " ".join(kb.sources[sid].citation.split())) for sid in ids]


def approval_line(entry: RegionApproval) -> str:
    words = STATUS_WORDS.get(entry.status, entry.status)
    date = f", {entry.date}" if entry.date else ""
    return f"{words} ({entry.regimen}{date}){'' if entry.confirmed else ' (unconfirmed)'}"


def _cleavable(row: AdcRow) -> str:
    return NOT_GIVEN if row.cleavable is None else "cleavable" if row.cleavable else "non-cleavable"


def _say(console: Any, label: str, text: str, width: int, sep: str = ": ") -> None:
    """One labelled line, wrapped under its label (the review's Chinese is kept whole)."""
    lines = textwrap.wrap(text, width=width - 4 - len(label) - len(sep), break_long_words=False) or [""]
    pad = " " * (4 + len(label) + len(sep))
    console.print(f"    {label}{sep}{lines[0]}" + "".join(f"\n{pad}{line}" for line in lines[1:]), soft_wrap=True)


def adc_text(kb: KnowledgeBase, rows: Sequence[AdcRow], width: int = 110) -> str:
    """The comparison as a tumour board reads it: a summary table, then each ADC in full."""
    from rich.console import Console
    from rich.table import Table

    console = Console(
        file=io.StringIO(), width=width, color_system=None, force_terminal=False, markup=False, highlight=False
    )
    console.print("HER2 antibody-drug conjugates side by side (Tao & Huang 2026, Table 1, and the knowledge base)")
    table = Table(show_lines=False)
    for column in ("ADC", "linker", "payload", "DAR", *REGIONS):
        table.add_column(column)
    for row in rows:
        statuses = [
            "; ".join(STATUS_WORDS.get(a.status, a.status) for a in row.approvals[region]) or "-" for region in REGIONS
        ]
        table.add_row(row.name, _cleavable(row), row.payload or NOT_GIVEN, row.dar, *statuses)
    console.print(table)
    cited = _cited(kb, rows)
    numbers = {sid: number + 1 for number, (sid, _) in enumerate(cited)}
    for row in rows:
        console.print(f"\n{row.name}{'' if row.confirmed else ' [unconfirmed]'}")
        if row.linker:
            structure = f"{row.antibody}; {row.linker} ({_cleavable(row)}); {row.payload} ({row.payload_class})"
            _say(console, "structure", structure, width)
        if row.structure_printed:
            _say(console, "Table 1", f"{row.name_printed} | {row.structure_printed} | DAR {row.dar}", width)
        if row.dar_note:
            _say(console, "DAR", row.dar_note, width)
        for region in REGIONS:
            entries = row.approvals[region]
            said = "; ".join(f"{approval_line(a)}: {a.indication}" for a in entries)
            _say(console, region, said or "none recorded", width)
        if row.approval_text:
            _say(console, "Table 1 approval", row.approval_text, width)
        if row.approval_note:
            _say(console, "in English" if row.approval_text else "approval", row.approval_note, width)
        _say(console, "main toxicities", "; ".join(row.toxicities) if row.toxicities else NOT_GIVEN, width)
        if row.toxicities_printed:
            _say(console, "Table 1 toxicities", row.toxicities_printed, width)
        for figure in row.gastric_figures:
            _say(console, f"gastric, {figure.trial}", figure.text, width)
        if not row.gastric_figures:
            _say(console, "gastric figures", "none in the sources", width)
        if row.note:
            _say(console, "note", row.note, width)
        _say(console, "sources", " ".join(f"[{numbers[s]}]" for s in row.sources if s in numbers), width)
    console.print("\nSources")
    for number, (_, citation) in enumerate(cited, start=1):
        _say(console, f"[{number}]", citation, width, sep=" ")
    return console.file.getvalue()  # type: ignore[attr-defined,no-any-return]


def _template() -> jinja2.Template:
    import jinja2

    text = (resources.files("her2gc.render") / "templates" / "adc_table.html.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(text)


def _render(kb: KnowledgeBase, rows: Sequence[AdcRow], standalone: bool, runtime: Runtime | None = None) -> str:
    """The table's template is compiled once per runtime (afresh without one)."""
    template = _template() if runtime is None else runtime.singleton(TEMPLATE_KEY, _template)
    citations = _cited(kb, rows)
    numbers = {sid: number + 1 for number, (sid, _) in enumerate(citations)}
    return template.render(
        rows=rows,
        regions=REGIONS,
        citations=[citation for _, citation in citations],
        numbers=numbers,
        standalone=standalone,
        approval_line=approval_line,
        cleavable=_cleavable,
        not_given=NOT_GIVEN,
    )


def adc_table_html(kb: KnowledgeBase, drug_ids: Sequence[str], runtime: Runtime | None = None) -> str:
    """The comparison table of these ADCs, as an HTML fragment for the report."""
    return _render(kb, adc_rows(kb, drug_ids), standalone=False, runtime=runtime)


def adc_page_html(kb: KnowledgeBase) -> str:
    """Every HER2 ADC of the knowledge base, as one self-contained HTML page."""
    return _render(kb, adc_rows(kb), standalone=True)


def offered_adc_ids(drug_lists: Sequence[Sequence[str]], kb: KnowledgeBase) -> list[str]:
    """The distinct ADCs among the offered options' agents, in the order the options list them."""
    found = [d for drugs in drug_lists for d in drugs if d in kb.drugs and kb.drugs[d].drug_class == "adc"]
    return list(dict.fromkeys(found))


def report_adc_table(report: Report, kb: KnowledgeBase | None, runtime: Runtime | None = None) -> str:
    """The comparison table for the report when it offers two or more distinct ADCs, else ``""``."""
    if kb is None:
        return ""
    ids = offered_adc_ids([option.drugs for option in report.recommendations], kb)
    return adc_table_html(kb, ids, runtime) if len(ids) >= 2 else ""
