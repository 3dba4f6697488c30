"""Renderings of a report: the contract's JSON, a tumour-board text, one HTML file.

``render(report, "json" | "text" | "html")``; each renderer is imported when asked for, so
the JSON path does not import rich or Jinja2.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from her2gc.case import Case
from her2gc.kb.base import KnowledgeBase
from her2gc.report import Report

if TYPE_CHECKING:
    from her2gc.runtime import Runtime

FORMATS = ("text", "json", "html")


def to_json(report: Report) -> str:
    """The contract's JSON; keys sorted so identical reports are byte-identical."""
    return json.dumps(report.to_json_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def to_text(report: Report, case: Case | None = None) -> str:
    from her2gc.render.text import to_text as render_text

    return render_text(report, case)


def to_html(
    report: Report,
    case: Case | None = None,
    kb: KnowledgeBase | None = None,
    *,
    runtime: Runtime | None = None,
    new_case_link: str | None = None,
) -> str:
    """See :func:`her2gc.render.html.to_html` (a runtime keeps the compiled template and the pictures)."""
    from her2gc.render.html import to_html as render_html

    return render_html(report, case, kb, runtime=runtime, new_case_link=new_case_link)


def render(report: Report, output_format: str, case: Case | None = None, kb: KnowledgeBase | None = None) -> str:
    """The report in ``output_format``; text and HTML open with the case as read when given,
    and the HTML carries the pictures (the network picture needs the knowledge base)."""
    if output_format == "json":
        return to_json(report)
    if output_format == "html":
        return to_html(report, case, kb)
    return to_text(report, case)
