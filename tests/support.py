"""Shared helpers of the test modules: one knowledge base and its parts for the whole run."""

from __future__ import annotations

import functools

import her2gc
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.model import AnnotatedModel


@functools.cache
def kb() -> KnowledgeBase:
    return her2gc.load_kb()


def genomics() -> GenomicsKnowledge:
    return kb().genomics


def mechanism_lookup(gene: str, kind: str, change: str | None) -> list[str]:
    """The resistance step's lookup, bound to the packaged knowledge base (as the CLI binds it)."""
    from her2gc.resistance import mechanism_ids_for

    return mechanism_ids_for(gene, kind, change, kb().resistance)


@functools.cache
def her2_model() -> AnnotatedModel:
    """The knowledge base's logical model with its annotations, as the engine builds it."""
    from her2gc.model import annotated_model
    from her2gc.runtime import Runtime

    return annotated_model(kb(), Runtime())
