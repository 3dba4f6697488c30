"""Reading the plots' SVG back: groups by id, marker positions, texts, classes."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

SVG = "{http://www.w3.org/2000/svg}"
XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_TRANSLATE = re.compile(r"translate\(\s*([-\d.]+)[ ,]+([-\d.]+)\s*\)")


def parse(svg: str) -> ET.Element:
    return ET.fromstring(svg)


def by_id(root: ET.Element, element_id: str) -> ET.Element:
    for element in root.iter():
        if element.get("id") == element_id:
            return element
    raise AssertionError(f"no element with id {element_id!r}")


def ids(root: ET.Element) -> list[str]:
    return [e.get("id", "") for e in root.iter() if e.get("id")]


def has_id(root: ET.Element, element_id: str) -> bool:
    return element_id in ids(root)


def ids_starting(root: ET.Element, prefix: str) -> list[str]:
    return [i for i in ids(root) if i.startswith(prefix)]


def marker_positions(group: ET.Element) -> list[tuple[float, float]]:
    """(x, y) of every marker matplotlib drew in a line's group (``<use>`` of its marker path)."""
    return [(float(u.get("x", "nan")), float(u.get("y", "nan"))) for u in group.iter(f"{SVG}use")]


def texts(element: ET.Element) -> list[str]:
    """Every text line under ``element``, tspans joined."""
    return ["".join(t.itertext()) for t in element.iter(f"{SVG}text")]


def all_text(element: ET.Element) -> str:
    return " ".join(texts(element))


def text_origin(text: ET.Element) -> tuple[float, float]:
    """Where matplotlib placed a text line (its ``translate``, or ``x``/``y``)."""
    match = _TRANSLATE.search(text.get("transform", ""))
    if match:
        return float(match.group(1)), float(match.group(2))
    return float(text.get("x", "nan")), float(text.get("y", "nan"))


def node_groups(root: ET.Element) -> dict[str, ET.Element]:
    """Graphviz node groups by node name (their ``<title>``)."""
    nodes = {}
    for group in root.iter(f"{SVG}g"):
        if "node" in (group.get("class") or "").split():
            title = group.find(f"{SVG}title")
            assert title is not None
            nodes[title.text or ""] = group
    return nodes


def classes(element: ET.Element) -> set[str]:
    return set((element.get("class") or "").split())


def fills(element: ET.Element) -> set[str]:
    found = set()
    for child in element.iter():
        fill = child.get("fill")
        if fill:
            found.add(fill.lower())
    return found
