"""A patient's alterations as node settings of the logical model, from the annotations alone.

Separate from :mod:`her2gc.model.annotated` so that reading a stored screen (keyed by
these settings) needs neither the ``.bnet`` logic nor the network engine.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from her2gc.errors import UnknownEntityError
from her2gc.kb.schema_model import ModelAnnotations

_P95_NAMES = {"p95her2", "p95-her2", "p95"}
Normaliser = Callable[[str], str]


def folded_gene(gene: str) -> str:
    return gene.strip().upper()


class AlterationMap:
    """The annotations' alteration table: (HGNC gene, kind) -> node settings.

    ``gene_name`` turns a user's spelling into the knowledge base's HGNC symbol; an
    unknown spelling is folded and reported with the model's own list.
    """

    def __init__(self, annotations: ModelAnnotations, gene_name: Normaliser | None = None) -> None:
        self._gene_name = gene_name
        self.table: dict[tuple[str, str], dict[str, int]] = {
            (entry.gene, kind): {p.node: p.value for p in entry.perturbations}
            for entry in annotations.alterations
            for kind in entry.kinds
        }

    def _gene(self, gene: str) -> str:
        if self._gene_name is not None:
            try:
                return self._gene_name(gene)
            except ValueError:  # unknown to the vocabulary: reported with the model's own list
                pass
        return folded_gene(gene)

    def normalise(self, gene: str, kind: str) -> tuple[str, str]:
        """HGNC symbol and kind; ``p95HER2`` as a gene name means ERBB2 kind ``p95``."""
        if gene.strip().lower() in _P95_NAMES:
            return "ERBB2", "p95"
        return self._gene(gene), kind.strip().lower()

    def maps(self, gene: str, kind: str) -> bool:
        """Whether the model represents this alteration."""
        return self.normalise(gene, kind) in self.table

    def perturbations(self, alterations: Sequence[tuple[str, str]]) -> dict[str, int]:
        """Node settings for a profile. Conflicts resolve to off: a loss (of HER2's
        binding domain, of a suppressor) dominates the gain of the same node."""
        table = self.table
        merged: dict[str, int] = {}
        for gene, kind in alterations:
            key = self.normalise(gene, kind)
            if key not in table:
                genes = sorted({g for g, _ in table})
                if key[0] not in genes:
                    raise UnknownEntityError(
                        f"alteration {gene}:{kind}: gene {key[0]} is not in the mechanistic model (known: {', '.join(genes)})"
                    )
                kinds = sorted(k for g, k in table if g == key[0])
                raise UnknownEntityError(
                    f"alteration {gene}:{kind}: kind {key[1]!r} is not mapped for {key[0]} (mapped: {', '.join(kinds)})"
                )
            for node, value in table[key].items():
                merged[node] = min(value, merged.get(node, value))
        return merged
