"""The report as one self-contained HTML file (inline CSS, no external resources).

One template, ``templates/report.html.j2``, gives both ``her2gc evaluate --format html``
and the report the service's page shows (``new_case_link`` adds the page's header; the
rest is the same). Compiling the template costs tens of milliseconds, drawing the pictures
a few hundred: a caller that renders many reports passes its :class:`~her2gc.runtime.Runtime`,
which then keeps the compiled template and the last pictures drawn (keyed by everything
they are drawn from) for its life. Without one, each call compiles and draws afresh.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import TYPE_CHECKING

import jinja2

from her2gc.case import Case
from her2gc.kb.base import KnowledgeBase
from her2gc.render.adc import report_adc_table
from her2gc.render.common import APPROVAL_WORDS, approval_text, case_as_read, her2_line, outcome_text, shared_cautions
from her2gc.report import Report

if TYPE_CHECKING:
    from her2gc.runtime import Runtime

TEMPLATE_KEY = ("her2gc.render.html", "report.html.j2")
FIGURES_KEY = ("her2gc.render.html", "figures")
# Pictures of the last reports drawn: a few hundred kB each, so few are kept.
FIGURE_CACHE_SIZE = 32


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


def css_string(text: object) -> str:
    """A quoted CSS string of any text: what is not a plain character is a CSS escape, so that no
    value can end the string or the ``<style>`` element it stands in."""
    plain = " -_.,:/()"
    body = "".join(c if (c.isalnum() and c.isascii()) or c in plain else f"\\{ord(c):x} " for c in str(text))
    return f'"{body}"'


def template_environment() -> jinja2.Environment:
    """The report's templates (package data of ``her2gc.render``), escaped, strict about names."""
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("her2gc.render", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        keep_trailing_newline=True,
    )
    environment.filters["css_string"] = css_string
    return environment


def report_template(runtime: Runtime | None = None) -> jinja2.Template:
    """The compiled report template: once per runtime, or afresh without one."""
    if runtime is None:
        return template_environment().get_template(TEMPLATE_KEY[1])
    return runtime.singleton(TEMPLATE_KEY, lambda: template_environment().get_template(TEMPLATE_KEY[1]))


def _figures_key(report: Report, case: Case, kb: KnowledgeBase | None) -> str:
    """Everything the pictures are drawn from: the knowledge base, the whole case, the whole report."""
    digest = hashlib.sha256()
    for part in (kb.sha256 if kb is not None else "-", case.model_dump_json(), report.model_dump_json()):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def cached_figures(report: Report, case: Case, kb: KnowledgeBase | None, runtime: Runtime | None) -> list[Figure]:
    """:func:`report_figures`, kept in the runtime for the same inputs (the same case submitted again)."""
    if runtime is None:
        return report_figures(report, case, kb)
    from her2gc.network.lru import Lru

    cache = runtime.singleton(FIGURES_KEY, lambda: Lru(FIGURE_CACHE_SIZE))
    key = _figures_key(report, case, kb)
    found = cache.get(key)
    if found is None:
        found = report_figures(report, case, kb)
        cache.put(key, found)
    return found  # type: ignore[return-value]


def to_html(
    report: Report,
    case: Case | None = None,
    kb: KnowledgeBase | None = None,
    *,
    runtime: Runtime | None = None,
    new_case_link: str | None = None,
) -> str:
    """One self-contained HTML file (inline CSS and SVG, no external resources, no script).

    With the case it opens with the case as read and carries the pictures; with the
    knowledge base also the network picture of the patient. ``new_case_link`` (the page's
    address, when a server shows the report) adds a header with a link back to the form;
    the header is not printed.
    """
    return report_template(runtime).render(
        report=report,
        her2_line=her2_line(report),
        case_rows=case_as_read(case, report) if case is not None else [],
        figures=cached_figures(report, case, kb, runtime) if case is not None else [],
        cautions=shared_cautions(report.recommendations),
        adc_table=report_adc_table(report, kb, runtime),
        approval_text=approval_text,
        outcome_text=outcome_text,
        approval_words=APPROVAL_WORDS,
        new_case_link=new_case_link,
    )
