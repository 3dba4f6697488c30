"""The report as one self-contained HTML file (inline CSS, no external resources)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import jinja2

from her2gc.case import Case
from her2gc.kb.base import KnowledgeBase
from her2gc.render.adc import report_adc_table
from her2gc.render.common import APPROVAL_WORDS, approval_text, case_as_read, her2_line, outcome_text, shared_cautions
from her2gc.report import Report


@dataclass(frozen=True)
class Figure:
    """One picture of the report: its heading, the inline SVG, or why there is none."""

    id: str
    heading: str
    svg: str | None
    note: str | None = None


def report_figures(report: Report, case: Case, kb: KnowledgeBase | None) -> list[Figure]:
    """The ctDNA trend, the treatment timeline and (with the knowledge base) the network picture."""
    from her2gc.render.plots import ctdna_trend_svg, network_svg, treatment_timeline_svg

    figures = []
    trend = ctdna_trend_svg(case, report)
    if trend is not None:
        figures.append(Figure("ctdna", "Plasma ERBB2 copy number and variants over time", trend))
    timeline = treatment_timeline_svg(case, report)
    if timeline is not None:
        figures.append(Figure("timeline", "Treatment timeline", timeline))
    if kb is not None and kb.model is not None and kb.model_bnet is not None:
        from her2gc.network.bnet import load_bnet

        picture = network_svg(report, case, model=load_bnet(kb.model_bnet), annotations=kb.model)
        figures.append(
            Figure(
                "network", "The patient on the HER2 signalling model (a model hypothesis)", picture.svg, picture.message
            )
        )
    return figures


def to_html(report: Report, case: Case | None = None, kb: KnowledgeBase | None = None) -> str:
    """One self-contained HTML file (inline CSS and SVG, no external resources, no script).

    With the case it opens with the case as read and carries the pictures; with the
    knowledge base also the network picture of the patient.
    """
    template_text = (resources.files("her2gc.render") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(template_text).render(
        report=report,
        her2_line=her2_line(report),
        case_rows=case_as_read(case, report) if case is not None else [],
        figures=report_figures(report, case, kb) if case is not None else [],
        cautions=shared_cautions(report.recommendations),
        adc_table=report_adc_table(report, kb),
        approval_text=approval_text,
        outcome_text=outcome_text,
        approval_words=APPROVAL_WORDS,
    )
