"""Shared helpers of the test modules: one knowledge base and its parts for the whole run."""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import her2gc
from her2gc.kb.base import KnowledgeBase
from her2gc.kb.genomics import GenomicsKnowledge
from her2gc.model import AnnotatedModel

if TYPE_CHECKING:
    from her2gc.service.loopback import LoopbackServer


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


def loopback_server(folder: Path, **settings: str) -> LoopbackServer:
    """A real ``her2gc serve`` of this checkout on 127.0.0.1, its SQLite trail and secret in
    ``folder``, no rate limit (one test client sends everything), plus ``settings``
    (environment variables); a server that does not start fails the test with its log."""
    import pytest

    from her2gc.service.loopback import ServerDidNotStart, start

    environment = {
        "HER2GC_DATABASE_URL": f"sqlite:///{folder / 'audit.sqlite3'}",
        "HER2GC_SECRET_FILE": str(folder / "secret"),
        "HER2GC_RATE_LIMIT": "0",
        **settings,
    }
    try:
        return start(folder, environment, source=Path(__file__).resolve().parents[1] / "src")
    except ServerDidNotStart as problem:
        pytest.fail(str(problem))
