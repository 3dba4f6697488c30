"""Stacking labels above their marks: no two overlap, and no leader line crosses a label.

A row of dated marks (adverse events, tests, samples) gets one label per mark. Labels
wider than the days between marks are raised in levels, each with a thin leader down
to its mark; the order of placing makes the leaders pass beside the lower labels.
"""

from __future__ import annotations

from collections.abc import Sequence


def _covers(box: tuple[float, float], x: float) -> bool:
    return box[0] - 1 <= x <= box[1] + 1


def _placing_order(boxes: Sequence[tuple[float, float]], anchors: Sequence[float]) -> list[int]:
    """Labels in the order they are placed, lowest first: a label whose box covers another's
    mark comes after it (it must lie higher, or the other's leader would cross it), else
    the latest mark first. Mutual covering (no stacking avoids a crossing) falls back to
    the latest mark first."""
    count = len(boxes)
    lower = {i: {j for j in range(count) if j != i and _covers(boxes[i], anchors[j])} for i in range(count)}
    order: list[int] = []
    remaining = set(range(count))
    while remaining:
        ready = [i for i in remaining if not (lower[i] & remaining)] or list(remaining)
        chosen = max(ready, key=lambda i: (anchors[i], i))
        order.append(chosen)
        remaining.discard(chosen)
    return order


def label_levels(boxes: Sequence[tuple[float, float]], anchors: Sequence[float], pad: float = 6.0) -> list[int]:
    """Stack labels in levels so that no two overlap and no leader crosses a label.

    ``boxes`` are the labels' display x intervals, ``anchors`` the x of their marks; a
    label on level k has a leader from its mark up through levels 0..k-1. Each label, in
    :func:`_placing_order`, takes the lowest level above every placed label whose mark it
    covers where it overlaps no label and no leader. Invariant: on each level, labels
    are pairwise apart and clear of the leaders passing through it.
    """
    labels: list[list[tuple[float, float]]] = []  # per level: label intervals
    leaders: list[list[float]] = []  # per level: x of the leaders passing through it
    levels = [0] * len(boxes)
    placed: list[int] = []
    for index in _placing_order(boxes, anchors):
        (a, b), x = boxes[index], anchors[index]
        level = 1 + max((levels[j] for j in placed if _covers(boxes[index], anchors[j])), default=-1)
        while level < len(labels) and not (
            all(b + pad < c or d + pad < a for c, d in labels[level])
            and all(not a - pad <= other <= b + pad for other in leaders[level])
        ):
            level += 1
        while len(labels) <= level:
            labels.append([])
            leaders.append([])
        labels[level].append((a, b))
        for lower in range(level):
            leaders[lower].append(x)
        levels[index] = level
        placed.append(index)
    return levels
