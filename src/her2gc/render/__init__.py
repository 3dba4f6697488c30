"""Renderings of a report: the contract's JSON, a tumour-board text, one HTML file.

``render(report, "json" | "text" | "html")``; each renderer is imported when asked for, so
the JSON path does not import rich or Jinja2.
"""

from __future__ import annotations

import json

from her2gc.report import Report

FORMATS = ("text", "json", "html")


def to_json(report: Report) -> str:
    """The contract's JSON; keys sorted so identical reports are byte-identical."""
    return json.dumps(report.to_json_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_text(report: Report) -> str:
    from her2gc.render.text import to_text as render_text

    return render_text(report)


def to_html(report: Report) -> str:
    from her2gc.render.html import to_html as render_html

    return render_html(report)


def render(report: Report, output_format: str) -> str:
    if output_format == "json":
        return to_json(report)
    if output_format == "html":
        return to_html(report)
    return to_text(report)
