"""The alteration -> mechanism index behind ``mechanism_ids_for``.

``her2gc annotate`` asks once per MAF row (178k rows for TCGA-scale input), so the
index is two dicts built once: exact ``(gene, kind, protein change)`` keys for
hotspot lists, and ``(gene, kind)`` keys for indicators that accept any change
(amplification, loss, over-expression, inactivating mutations). Spellings are
normalised once at build and once per lookup, so ``p.His1047Arg``, ``H1047R`` and
``p.(H1047R)`` meet at ``p.H1047R``; hotspot residues (``H1047``) are a
third dict keyed by the residue a change starts at.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from her2gc.protein import normalise_protein_change_lenient as normalise_protein_change


def fold_ncrna_name(name: str) -> str:
    """One spelling per ncRNA: case, ``hsa-`` prefix, Greek beta and separators do not matter."""
    text = name.strip().lower().replace("β", "beta")
    for prefix in ("hsa-", "hsa_"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    return re.sub(r"[\s_\-/]+", "", text)


def residue_of(change: str | None) -> str | None:
    """Reference residue (``H1047``) of a missense or in-frame change; None for truncating ones.

    Hotspots are residues: any missense (or in-frame change starting) there counts, as
    hotspots.yaml defines them; nonsense and frameshift changes are not activating.
    """
    if change is None:
        return None
    match = _RESIDUE.match(change)
    if match is None or "fs" in change or change.endswith("*"):
        return None
    return match.group(1)


_RESIDUE = re.compile(r"^p\.([A-Z]\d+)(?:[A-Z]$|_|del|ins|dup)")


class _GeneIndicatorLike(Protocol):
    """The fields of schema_resistance.GeneIndicator the index reads (read-only, hence properties)."""

    @property
    def gene(self) -> str: ...
    @property
    def kinds(self) -> Sequence[str]: ...
    @property
    def protein_changes(self) -> Sequence[str]: ...
    @property
    def residues(self) -> Sequence[str]: ...
    @property
    def hotspot_class(self) -> str | None: ...
    @property
    def any_protein_change(self) -> bool: ...


Hit = tuple[str, Any]  # (mechanism id, the GeneIndicator that matched)


@dataclass(frozen=True)
class Hotspots:
    """Per gene, the hotspot residues and exact hotspot changes of ``hotspots.yaml``."""

    residues: Mapping[str, frozenset[str]] = field(default_factory=dict)
    changes: Mapping[str, frozenset[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class AlterationIndex:
    """Alteration -> (mechanism id, indicator) pairs; O(1) per lookup."""

    exact: Mapping[tuple[str, str, str], tuple[Hit, ...]]
    by_residue: Mapping[tuple[str, str, str], tuple[Hit, ...]]
    any_change: Mapping[tuple[str, str], tuple[Hit, ...]]
    _ids_memo: dict[tuple[str, str, str | None], tuple[str, ...]] = field(
        default_factory=dict, compare=False, repr=False
    )

    def hits(self, gene: str, kind: str, protein_change: str | None) -> tuple[Hit, ...]:
        """Every indicator an alteration satisfies (before copy-number and sample-source filters)."""
        found = self.any_change.get((gene, kind), ())
        change = normalise_protein_change(protein_change) if kind == "mut" else None
        if change is None:
            return found
        found = found + self.exact.get((gene, kind, change), ())
        residue = residue_of(change)
        if residue is not None:
            found = found + tuple(hit for hit in self.by_residue.get((gene, kind, residue), ()) if hit not in found)
        return found

    def mechanism_ids(self, gene: str, kind: str, protein_change: str | None) -> tuple[str, ...]:
        """Distinct mechanism ids for an alteration, memoised: MAF rows repeat the same few keys."""
        key = (gene, kind, protein_change)
        cached = self._ids_memo.get(key)
        if cached is None:
            cached = tuple(dict.fromkeys(mechanism_id for mechanism_id, _ in self.hits(gene, kind, protein_change)))
            self._ids_memo[key] = cached
        return cached


def build_alteration_index(indicators: Iterable[tuple[str, _GeneIndicatorLike]], hotspots: Hotspots) -> AlterationIndex:
    """Index gene indicators. ``hotspot_class: activating_hotspot`` adds the gene's residues
    and exact changes from hotspots.yaml to the indicator's own ``residues`` and
    ``protein_changes`` (union: the own lists are the fallback when hotspots.yaml is
    absent and never narrow what the genomics file says).
    """
    exact: dict[tuple[str, str, str], list[Hit]] = {}
    by_residue: dict[tuple[str, str, str], list[Hit]] = {}
    any_change: dict[tuple[str, str], list[Hit]] = {}
    for mechanism_id, indicator in indicators:
        hit = (mechanism_id, indicator)
        for kind in indicator.kinds:
            if kind != "mut" or indicator.any_protein_change:
                any_change.setdefault((indicator.gene, kind), []).append(hit)
                continue
            changes = set(indicator.protein_changes)
            residues = set(indicator.residues)
            if indicator.hotspot_class == "activating_hotspot":
                changes |= hotspots.changes.get(indicator.gene, frozenset())
                residues |= hotspots.residues.get(indicator.gene, frozenset())
            for change in sorted(changes):
                normalised = normalise_protein_change(change)
                if normalised is not None:
                    exact.setdefault((indicator.gene, kind, normalised), []).append(hit)
            for residue in sorted(residues):
                by_residue.setdefault((indicator.gene, kind, residue.upper()), []).append(hit)
    return AlterationIndex(
        exact={key: tuple(value) for key, value in exact.items()},
        by_residue={key: tuple(value) for key, value in by_residue.items()},
        any_change={key: tuple(value) for key, value in any_change.items()},
    )
