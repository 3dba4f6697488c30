"""Fixtures of the resistance tests: the resistance knowledge built from the packaged data files."""

from __future__ import annotations

import pytest

from her2gc.kb.schema_resistance import ResistanceKnowledge, build_resistance_knowledge
from her2gc.kb.yamlio import DATA_DIR


@pytest.fixture(scope="session")
def rk() -> ResistanceKnowledge:
    """Built directly from the data directory, so these tests do not depend on the rest of the KB loading."""
    return build_resistance_knowledge(DATA_DIR)
