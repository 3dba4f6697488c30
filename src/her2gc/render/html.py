"""The report as one self-contained HTML file (inline CSS, no external resources)."""

from __future__ import annotations

from importlib import resources

import jinja2

from her2gc.render.common import her2_line
from her2gc.report import Report


def to_html(report: Report) -> str:
    """One self-contained HTML file (inline CSS, no external resources)."""
    template_text = (resources.files("her2gc.render") / "templates" / "report.html.j2").read_text(encoding="utf-8")
    environment = jinja2.Environment(autoescape=True, undefined=jinja2.StrictUndefined, keep_trailing_newline=True)
    return environment.from_string(template_text).render(report=report, her2_line=her2_line(report))
