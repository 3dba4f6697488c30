"""Schemathesis against ``/openapi.json``: generated requests for every operation, no server error.

Bounded: a fixed number of examples per operation, no deadline. Evaluations ask for
``model=false`` so that a generated alteration profile never starts a model screen of
seconds; the model path is tested with the command line's own tests.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import pytest

schemathesis = pytest.importorskip("schemathesis", reason="schemathesis is not installed (the test extra)")

from fastapi.testclient import TestClient  # noqa: E402 - after the importorskip above
from hypothesis import HealthCheck, settings  # noqa: E402
from schemathesis.checks import content_type_conformance, not_a_server_error, status_code_conformance  # noqa: E402

from her2gc.service.main import create_app  # noqa: E402
from her2gc.service.settings import load_settings  # noqa: E402

EXAMPLES = 25
# The coverage phase enumerates every boundary of the case schema (hundreds of requests per
# operation); the examples and fuzzing phases, bounded by EXAMPLES, keep the run within seconds.
CONFIG = schemathesis.config.SchemathesisConfig.from_dict(
    {"phases": {"coverage": {"enabled": False}, "stateful": {"enabled": False}}}
)


@pytest.fixture(scope="module")
def api_schema(tmp_path_factory: pytest.TempPathFactory) -> Iterator[object]:
    folder = tmp_path_factory.mktemp("schemathesis")
    chosen = replace(
        load_settings({}),
        database_url=f"sqlite:///{folder / 'audit.sqlite3'}",
        secret_file=folder / "secret",
        rate_limit_per_minute=0,
    )
    app = create_app(chosen)
    with TestClient(app):  # runs the start-up: the worker's state is built once for all examples
        yield schemathesis.openapi.from_asgi("/openapi.json", app, config=CONFIG)


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck), derandomize=True)
def test_no_server_errors(case):
    if case.path == "/v1/evaluate":
        case.query = {**(case.query or {}), "model": "false"}
    case.call_and_validate(checks=[not_a_server_error, status_code_conformance, content_type_conformance])
