"""The legend under the network picture, drawn as SVG in the drawing's own units.

Each entry is a swatch in the style of the nodes it stands for and the names of those
nodes, so that the legend reads as the list of what is marked (class
``legend-item legend-<kind>``). Sizes are in Graphviz points, so that the legend is
scaled with the drawing and its text stays as large as the nodes' labels.
"""

from __future__ import annotations

import textwrap
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from her2gc.render.plots_svg import SVG_NS

_FONT_PT = 14.0
_LINE_PT = 19.0
_CHAR_PT = _FONT_PT * 0.55  # mean width of a Helvetica character, generous so that lines never overflow
_LEFT, _TEXT_X, _SWATCH_W, _SWATCH_H = 12.0, 62.0, 38.0, 18.0
_FONT = "Helvetica, Arial, sans-serif"


@dataclass(frozen=True)
class LegendEntry:
    kind: str  # altered-on | altered-off | drug-target | altered-and-target | readout | edges
    title: str
    items: str


def _element(tag: str, attributes: Mapping[str, str], text: str | None = None) -> ET.Element:
    element = ET.Element(f"{{{SVG_NS}}}{tag}", dict(attributes))
    element.text = text
    return element


def _swatch(kind: str, y: float, fills: Mapping[str, str]) -> list[ET.Element]:
    box = {"x": f"{_LEFT}", "y": f"{y:.1f}", "width": f"{_SWATCH_W}", "height": f"{_SWATCH_H}", "rx": "4"}
    if kind == "altered-on":
        return [_element("rect", {**box, "fill": fills["on"], "stroke": "#000000", "stroke-width": "2"})]
    if kind == "altered-off":
        return [_element("rect", {**box, "fill": fills["off"], "stroke": "#000000", "stroke-width": "2"})]
    if kind == "drug-target":
        outer = {
            **box,
            "x": f"{_LEFT - 3}",
            "y": f"{y - 3:.1f}",
            "width": f"{_SWATCH_W + 6}",
            "height": f"{_SWATCH_H + 6}",
            "rx": "6",
        }
        return [
            _element("rect", {**outer, "fill": "none", "stroke": "#000000"}),
            _element("rect", {**box, "fill": fills["drug"], "stroke": "#000000"}),
        ]
    if kind == "altered-and-target":
        half = _SWATCH_W / 2
        return [
            _element("rect", {**box, "width": f"{half}", "rx": "0", "fill": fills["on"]}),
            _element("rect", {**box, "x": f"{_LEFT + half}", "width": f"{half}", "rx": "0", "fill": fills["drug"]}),
            _element("rect", {**box, "rx": "0", "fill": "none", "stroke": "#000000", "stroke-width": "2"}),
        ]
    cy = y + _SWATCH_H / 2
    return [
        _element(
            "ellipse",
            {
                "cx": f"{_LEFT + _SWATCH_W / 2}",
                "cy": f"{cy:.1f}",
                "rx": f"{_SWATCH_W / 2}",
                "ry": f"{_SWATCH_H / 2}",
                "fill": "none",
                "stroke": "#000000",
                "stroke-width": "2.5",
            },
        )
    ]


def _edge_samples(y: float, colours: Mapping[str, str]) -> list[ET.Element]:
    """Three short edges with their heads: activates, inhibits, both."""
    parts: list[ET.Element] = []
    x = _LEFT
    cy = y + _SWATCH_H / 2
    for sign, words in (("activates", "activates"), ("inhibits", "inhibits"), ("dual", "activates and inhibits")):
        colour = colours[sign]
        group = _element("g", {"class": f"legend-edge legend-edge-{sign}"})
        group.append(
            _element(
                "line",
                {
                    "x1": f"{x}",
                    "y1": f"{cy:.1f}",
                    "x2": f"{x + 34}",
                    "y2": f"{cy:.1f}",
                    "stroke": colour,
                    "stroke-width": "1.6",
                },
            )
        )
        if sign == "activates":
            head = f"{x + 34},{cy - 5:.1f} {x + 44},{cy:.1f} {x + 34},{cy + 5:.1f}"
            group.append(_element("polygon", {"points": head, "fill": colour, "stroke": colour}))
        elif sign == "inhibits":
            group.append(
                _element(
                    "line",
                    {
                        "x1": f"{x + 35}",
                        "y1": f"{cy - 7:.1f}",
                        "x2": f"{x + 35}",
                        "y2": f"{cy + 7:.1f}",
                        "stroke": colour,
                        "stroke-width": "3",
                    },
                )
            )
        else:
            group.append(_element("circle", {"cx": f"{x + 38}", "cy": f"{cy:.1f}", "r": "4", "fill": colour}))
        group.append(
            _element(
                "text",
                {"x": f"{x + 52}", "y": f"{cy + 5:.1f}", "font-size": f"{_FONT_PT:g}", "font-family": _FONT},
                words,
            )
        )
        parts.append(group)
        x += 52 + len(words) * _CHAR_PT + 28
    return parts


def _wrapped(title: str, items: str, width: float) -> list[tuple[str, str]]:
    """Lines of ``title: items`` wrapped to ``width`` points: (bold part, plain part) per line."""
    columns = max(int((width - _TEXT_X - 10) / _CHAR_PT), 24)
    head = f"{title}:" if title and items else title
    text = " ".join(part for part in (head, items) if part)
    lines = textwrap.wrap(text, width=columns, break_long_words=False, break_on_hyphens=False) or [""]
    first = lines[0]
    bold = head if head and first.startswith(head) else ""
    return [(bold, first[len(bold) :])] + [("", line) for line in lines[1:]]


def _text_line(x: float, y: float, bold: str, plain: str) -> ET.Element:
    text = _element(
        "text",
        {"x": f"{x:.1f}", "y": f"{y:.1f}", "font-size": f"{_FONT_PT:g}", "font-family": _FONT, "fill": "#111111"},
    )
    if bold:
        strong = _element("tspan", {"font-weight": "bold"}, bold)
        strong.tail = plain
        text.append(strong)
    else:
        text.text = plain
    return text


def legend_group(
    entries: Sequence[LegendEntry],
    notes: Sequence[str],
    width: float,
    edge_colours: Mapping[str, str],
    fills: Mapping[str, str],
) -> tuple[ET.Element, float]:
    """The legend as one ``<g id="legend">`` and its height in points."""
    group = _element("g", {"id": "legend", "class": "legend"})
    y = 10.0
    group.append(
        _element(
            "line",
            {"x1": f"{_LEFT}", "y1": f"{y:.1f}", "x2": f"{width - _LEFT:.1f}", "y2": f"{y:.1f}", "stroke": "#bbbbbb"},
        )
    )
    y += 12
    group.append(_text_line(_LEFT, y + _FONT_PT, "Legend", ""))
    y += _LINE_PT + 10
    for entry in entries:
        item = _element("g", {"class": f"legend-item legend-{entry.kind}"})
        if entry.kind == "edges":
            item.extend(_edge_samples(y, edge_colours))
            y += _SWATCH_H + 14
        else:
            item.extend(_swatch(entry.kind, y, fills))
            lines = _wrapped(entry.title, entry.items, width)
            for index, (bold, plain) in enumerate(lines):
                item.append(_text_line(_TEXT_X, y + _FONT_PT + index * _LINE_PT, bold, plain))
            y += max(_SWATCH_H, len(lines) * _LINE_PT) + 12
        group.append(item)
    for note in notes:
        lines = _wrapped("", note, width + _TEXT_X - _LEFT)
        for _, plain in lines:
            note_text = _text_line(_LEFT, y + _FONT_PT, "", plain)
            note_text.set("fill", "#444444")
            note_text.set("class", "legend-note")
            group.append(note_text)
            y += _LINE_PT
        y += 4
    return group, y + 10
