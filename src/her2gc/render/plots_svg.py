"""Shared pieces of the report's plots: the palette, matplotlib set-up, SVG finishing.

Every plot leaves here as one inline ``<svg>`` element that an HTML report can hold
as is: no XML prologue, no external reference, ids prefixed per plot so that several
plots on one page never share an id, ``role="img"`` with a ``<title>`` and a ``<desc>``
that tell a screen reader what the picture shows. The bytes depend only on the inputs
(matplotlib's id hash salt is fixed; no date or version is written).

matplotlib is imported inside the functions, so importing her2gc stays fast.
"""

from __future__ import annotations

import io
import re
import threading
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from matplotlib.figure import Figure

SVG_NS = "http://www.w3.org/2000/svg"
XLINK_NS = "http://www.w3.org/1999/xlink"

# Okabe & Ito (2008), "Color Universal Design": distinguishable with every common
# colour-vision deficiency and in grey-scale print when paired with distinct markers.
OKABE_ITO = {
    "black": "#000000",
    "orange": "#E69F00",
    "sky_blue": "#56B4E9",
    "bluish_green": "#009E73",
    "yellow": "#F0E442",
    "blue": "#0072B2",
    "vermillion": "#D55E00",
    "reddish_purple": "#CC79A7",
}
# Series colours in order of use; yellow is left out (too faint on white paper) and
# vermillion too (it marks progression).
SERIES_COLOURS = ("#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000")
SERIES_MARKERS = ("o", "s", "^", "D", "v", "P")
# A white box behind a label, so that a grid or progression line never crosses its text.
LABEL_BOX = {"boxstyle": "square,pad=0.12", "facecolor": "white", "edgecolor": "none", "alpha": 0.85}
PROGRESSION_COLOUR = OKABE_ITO["vermillion"]
# Alternating tints for the lines of therapy: shading that prints as two greys.
THERAPY_TINTS = ("#DCE9F5", "#F3E3CC")
CURRENT_TINT = "#E3F1EA"
HATCH_COLOUR = "#A9C4B5"  # light: the hatching says "start inferred" without hiding marks

# Text stays readable where a mark's colour is too light for it (WCAG AA: 4.5:1 on white).
TEXT_CONTRAST = 4.5


def _luminance(colour: str) -> float:
    """WCAG relative luminance of a ``#rrggbb`` colour."""
    channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def text_colour(colour: str) -> str:
    """``colour`` for a label in that colour: itself when it reads on white at AA contrast, else
    the same hue darkened until it does (the Okabe-Ito green and vermillion are marks' colours,
    3.4:1 and 3.9:1 as text)."""
    factor = 1.0
    shade = colour.lower()
    while 1.05 / (_luminance(shade) + 0.05) < TEXT_CONTRAST and factor > 0:
        factor = round(factor - 0.02, 2)
        shade = "#" + "".join(f"{round(int(colour[i : i + 2], 16) * factor):02x}" for i in (1, 3, 5))
    return shade


BASE_FONT_PT = 10.5
SMALL_FONT_PT = 9.0  # the smallest text: still 7.5 pt when a 9-inch figure is printed on A4
# Both time plots share one geometry, so that their date axes line up when a report
# shows one above the other: the same width, the data area between the same margins.
FIGURE_WIDTH_IN = 9.0
PLOT_LEFT_IN, PLOT_RIGHT_IN = 1.15, 2.4

_RC: dict[str, Any] = {
    "svg.fonttype": "none",  # text stays text: small files, selectable, read by screen readers
    "svg.hashsalt": "her2gc",  # deterministic clip-path and marker ids
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans", "Liberation Sans", "Arial", "Helvetica"],
    "font.size": BASE_FONT_PT,
    "axes.titlesize": BASE_FONT_PT + 1,
    "axes.titleweight": "bold",
    "axes.titlelocation": "left",
    "axes.titley": 1.0,  # a fixed title place: the automatic one measures every tick label, slowly
    "axes.labelsize": BASE_FONT_PT,
    "xtick.labelsize": BASE_FONT_PT - 0.5,
    "ytick.labelsize": BASE_FONT_PT - 0.5,
    "legend.fontsize": BASE_FONT_PT - 0.5,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.edgecolor": "#444444",
    "axes.labelcolor": "#222222",
    "xtick.color": "#444444",
    "ytick.color": "#444444",
    "text.color": "#222222",
    "path.simplify": False,  # every measured point is drawn
    "date.epoch": "1970-01-01T00:00:00",  # date numbers are days since 1970-01-01 (plots_axes.number)
}

# matplotlib reads its settings (rcParams) from one process-wide table; renders run
# one at a time so that concurrent requests of a threaded server never mix settings.
_MATPLOTLIB_LOCK = threading.Lock()


@contextmanager
def matplotlib_settings() -> Iterator[None]:
    """The plots' matplotlib settings, held for one render."""
    import matplotlib

    settings: Any = _RC  # matplotlib types the keys as a Literal of every setting
    with _MATPLOTLIB_LOCK, matplotlib.rc_context(settings):
        yield


def figure_svg(figure: Figure) -> str:
    """The figure as SVG text (no creation date, no metadata)."""
    buffer = io.StringIO()
    figure.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()


def render_figure(build: Callable[[], Figure]) -> str:
    """Build a figure under the plots' settings and return its raw SVG."""
    with matplotlib_settings():
        return figure_svg(build())


_URL_REF = re.compile(r"url\(#([^)]+)\)")


def _prefixed_refs(value: str, ids: dict[str, str]) -> str:
    return _URL_REF.sub(lambda match: f"url(#{ids.get(match.group(1), match.group(1))})", value)


def finish_svg(svg_text: str, *, prefix: str, title: str, description: str, classes: str = "") -> str:
    """One inline ``<svg>``: ids prefixed, metadata dropped, accessible name and description.

    ``prefix`` must be unique on the page (``her2gc-ctdna``); the root gets it as id.
    """
    ET.register_namespace("", SVG_NS)
    ET.register_namespace("xlink", XLINK_NS)
    root = ET.fromstring(svg_text.encode("utf-8"))
    for child in list(root):
        if child.tag in (f"{{{SVG_NS}}}metadata", f"{{{SVG_NS}}}title"):
            root.remove(child)
    ids = {
        element.attrib["id"]: f"{prefix}-{element.attrib['id']}" for element in root.iter() if "id" in element.attrib
    }
    href = f"{{{XLINK_NS}}}href"
    for element in root.iter():
        if "id" in element.attrib:
            element.set("id", ids[element.attrib["id"]])
        for name in (href, "href"):
            target = element.attrib.get(name, "")
            if target.startswith("#") and target[1:] in ids:
                element.set(name, "#" + ids[target[1:]])
        for name, value in list(element.attrib.items()):
            if "url(#" in value:
                element.set(name, _prefixed_refs(value, ids))
        if element.tag == f"{{{SVG_NS}}}style" and element.text:
            # a bare `*` rule inside inline SVG would style the whole HTML page
            element.text = element.text.replace("*{", f"#{prefix} *{{")
    root.set("id", prefix)
    root.set("role", "img")
    root.set("aria-labelledby", f"{prefix}-title {prefix}-desc")
    root.set("class", " ".join(["her2gc-plot", *classes.split()]))
    title_element = ET.Element(f"{{{SVG_NS}}}title", {"id": f"{prefix}-title"})
    title_element.text = title
    desc_element = ET.Element(f"{{{SVG_NS}}}desc", {"id": f"{prefix}-desc"})
    desc_element.text = description
    root.insert(0, desc_element)
    root.insert(0, title_element)
    return ET.tostring(root, encoding="unicode")


def slug(text: str) -> str:
    """An id fragment: lower-case letters, digits and hyphens."""
    return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "x"
