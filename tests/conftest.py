from __future__ import annotations

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"


@pytest.fixture(scope="session")
def kb():
    import her2gc

    return her2gc.load_kb()


@pytest.fixture(scope="session")
def genomics(kb):
    return kb.genomics


@pytest.fixture(scope="session")
def her2_model(kb):
    """The knowledge base's logical model with its annotations (one runtime for the session)."""
    from her2gc.model import annotated_model
    from her2gc.runtime import Runtime

    return annotated_model(kb, Runtime())


@pytest.fixture(scope="session")
def shared_data() -> Path:
    if not SHARED_DATA.is_dir():
        pytest.skip(f"real data not found at {SHARED_DATA} (expected ../shared/data beside the repo)")
    return SHARED_DATA


def pytest_configure(config: pytest.Config) -> None:
    # Knowledge-base snapshots of the test run go to a temporary directory, not the user's cache.
    import os
    import tempfile

    os.environ.setdefault("HER2GC_CACHE_DIR", tempfile.mkdtemp(prefix="her2gc-cache-"))
