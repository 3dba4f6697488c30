"""The report as one self-contained HTML file (inline CSS, no external resources)."""

from __future__ import annotations

from importlib import resources

import jinja2

from her2gc.case import Case
from her2gc.render.common import APPROVAL_WORDS, approval_text, case_as_read, her2_line, outcome_text, shared_cautions
from her2gc.report import Report


def to_html(report: Report, case: Case | None = None) -> str:
    """One self-contained HTML file (inline CSS, no external resources, no script)."""
    template_text = (resources.files("her2gc.render") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(template_text).render(
        report=report,
        her2_line=her2_line(report),
        case_rows=case_as_read(case, report) if case is not None else [],
        cautions=shared_cautions(report.recommendations),
        approval_text=approval_text,
        outcome_text=outcome_text,
        approval_words=APPROVAL_WORDS,
    )
