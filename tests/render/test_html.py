"""The HTML report: one template for the command line and the page, compiled once per runtime."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

import her2gc
from her2gc.render import render, to_html
from her2gc.render.html import FIGURES_KEY, TEMPLATE_KEY, css_string, report_template
from her2gc.runtime import Runtime
from support import kb

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "her2_positive_second_line.yaml"


@pytest.fixture(scope="module")
def example():
    case = her2gc.read_case(EXAMPLE, kb())
    return case, her2gc.evaluate(case, kb(), her2gc.EvaluationOptions(with_model=False))


def test_a_runtime_gives_the_same_bytes_and_keeps_the_template_and_the_pictures(example):
    case, report = example
    runtime = Runtime()
    plain = render(report, "html", case, kb())
    assert to_html(report, case, kb(), runtime=runtime) == plain
    assert to_html(report, case, kb(), runtime=runtime) == plain  # the second time from the runtime
    assert report_template(runtime) is report_template(runtime)
    assert runtime.singleton(TEMPLATE_KEY, lambda: None) is report_template(runtime)
    figures = runtime.singleton(FIGURES_KEY, lambda: None)
    assert figures is not None and len(figures.items) == 1
    other = report.model_copy(update={"region": "EU"})
    to_html(other, case, kb(), runtime=runtime)
    assert len(figures.items) == 2  # another report: drawn again, never another report's pictures


def test_the_served_report_is_the_same_report_under_the_pages_bar(example):
    case, report = example
    bare = to_html(report, case, kb())
    served = to_html(report, case, kb(), new_case_link="/")
    bar = re.search(r'<header class="site">.*?</header>\n', served, re.S)
    assert bar and '<a class="button" href="/">New case</a>' in bar.group(0)
    assert served.replace(bar.group(0), "") == bare
    assert "<header" not in bare and "<script" not in served


def test_the_report_has_landmarks_sections_and_a_glance(example):
    case, report = example
    page = to_html(report, case, kb())
    assert page.count("<main>") == 1 and page.count("<footer>") == 1
    glance = re.search(r'<p class="glance">(.*?)</p>', page, re.S)
    assert glance and "HER2 POSITIVE" in glance.group(1) and 'href="#option-1"' in glance.group(1)
    links = re.findall(r'<nav class="contents"[^>]*>.*?</nav>', page, re.S)[0]
    for target in re.findall(r'href="#([^"]+)"', links):
        assert f'id="{target}"' in page, f"the section link #{target} leads nowhere"
    assert page.count("<thead>") >= 2  # printed tables repeat their header on each page
    assert "@bottom-right" in page and css_string(f"her2gc report · patient {report.patient_id}")[:-1] in page


@given(st.text(max_size=60))
def test_css_string_never_ends_early(text):
    quoted = css_string(text)
    inner = quoted[1:-1]
    assert quoted.startswith('"') and quoted.endswith('"')
    assert '"' not in inner and "<" not in inner and "\n" not in inner and ";" not in inner
    # each escape is a backslash, hex digits and one space: decoding gives the text back
    decoded = re.sub(r"\\([0-9a-f]+) ", lambda m: chr(int(m.group(1), 16)), inner)
    assert decoded == text


def test_every_text_of_the_pictures_reads_at_aa_contrast(example):
    """axe-core cannot measure text inside SVG: every label's fill reads on white at 4.5:1 or more."""
    import xml.etree.ElementTree as ET

    from her2gc.render.html import report_figures
    from her2gc.render.plots_svg import TEXT_CONTRAST, _luminance

    case, report = example
    checked = 0
    for figure in report_figures(report, case, kb()):
        if figure.svg is None and figure.id == "network" and shutil.which("dot") is None:
            continue  # Graphviz is not installed here: the page says why there is no network picture
        assert figure.svg is not None, figure.note
        for text in ET.fromstring(figure.svg).iter("{http://www.w3.org/2000/svg}text"):
            fill = re.search(r"fill:\s*(#[0-9a-fA-F]{6})", text.get("style", "")) or re.search(
                r"(#[0-9a-fA-F]{6})", text.get("fill", "")
            )
            if fill:
                contrast = 1.05 / (_luminance(fill.group(1)) + 0.05)
                assert contrast >= TEXT_CONTRAST, f"{figure.id}: {''.join(text.itertext())!r} in {fill.group(1)}"
                checked += 1
    assert checked > 50


def test_text_colour_darkens_only_what_needs_it():
    from her2gc.render.plots_svg import TEXT_CONTRAST, _luminance, text_colour

    assert text_colour("#0072B2") == "#0072b2" and text_colour("#000000") == "#000000"
    for mark in ("#009E73", "#D55E00", "#E69F00", "#56B4E9", "#CC79A7", "#F0E442"):
        shade = text_colour(mark)
        assert 1.05 / (_luminance(shade) + 0.05) >= TEXT_CONTRAST and shade != mark.lower()
