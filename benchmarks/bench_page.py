"""The clinician's page: how long an upload of the shipped example takes to answer its report.

Two ways of calling the page, both with the service's own start-up (knowledge base loaded,
audit trail on SQLite in a temporary folder, engine warmed):

- ``asgi``: in process, httpx's ``ASGITransport`` straight into the application (the
  handler, the audit row and the rendering; no socket);
- ``server``: a real ``her2gc serve`` (one worker) on 127.0.0.1, over HTTP.

Each posts ``examples/her2_positive_second_line.yaml`` as the multipart field ``case``
(region "as in the case"), as the page's form does, after WARM unmeasured uploads (the
first one pays the model screen of the example's alteration profile). Two series:

- ``same case``: the same file each time (a case submitted again: the worker's runtime
  keeps the compiled templates and that report's pictures);
- ``new patient``: a different ``patient_id`` each time (the pictures are drawn afresh:
  the cost of a case the worker has not seen; the model screen of the same alteration
  profile is still the worker's).

``GET /`` (the empty page) is timed too. The anchor is ``her2gc evaluate
examples/her2_positive_second_line.yaml --format html`` run in process through the
command line's ``main`` (the knowledge base already loaded: it reads the case, evaluates,
compiles the template and draws the pictures every time). Prints median and p90 in ms.

    python benchmarks/bench_page.py                 # both transports, 30 runs each
    python benchmarks/bench_page.py --runs 50 --transport asgi
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import httpx

REPO = Path(__file__).resolve().parents[1]
EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"
WARM = 3


def summary(name: str, times_ms: list[float]) -> str:
    ordered = sorted(times_ms)
    p90 = ordered[min(len(ordered) - 1, round(0.9 * (len(ordered) - 1)))]
    return f"{name:<44} {len(ordered):>4} {statistics.median(ordered):>9.1f} {p90:>9.1f}"


def upload(patient: str | None) -> dict[str, tuple[str, bytes, str]]:
    text = EXAMPLE.read_text()
    if patient is not None:
        text = text.replace("patient_id: EXAMPLE-001", f"patient_id: {patient}")
    return {"case": (EXAMPLE.name, text.encode(), "application/yaml")}


async def timed(call: Callable[[], Awaitable[httpx.Response]], runs: int, check: str) -> list[float]:
    for _ in range(WARM):
        response = await call()
        if response.status_code != 200 or check not in response.text:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.text[:300]}")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        response = await call()
        times.append((time.perf_counter() - started) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"unexpected answer {response.status_code}: {response.text[:300]}")
    return times


async def series(client: httpx.AsyncClient, label: str, runs: int) -> list[str]:
    counter = iter(range(10**9))
    same = await timed(lambda: client.post("/report", files=upload(None), data={"region": ""}), runs, "EXAMPLE-001")
    new = await timed(
        lambda: client.post("/report", files=upload(f"BENCH-{next(counter)}"), data={"region": ""}), runs, "BENCH-"
    )
    empty = await timed(lambda: client.get("/"), runs, "A new case")
    return [
        summary(f"{label}: POST /report, same case", same),
        summary(f"{label}: POST /report, new patient", new),
        summary(f"{label}: GET / (the empty page)", empty),
    ]


async def asgi(folder: Path, runs: int) -> list[str]:
    from her2gc.service.main import create_app
    from her2gc.service.settings import load_settings

    settings = replace(
        load_settings({}),
        database_url=f"sqlite:///{folder / 'asgi.sqlite3'}",
        secret_file=folder / "secret",
        rate_limit_per_minute=0,
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://bench") as client:
            return await series(client, "asgi", runs)


async def server(folder: Path, runs: int) -> list[str]:
    from her2gc.service.loopback import ServerDidNotStart, start

    settings = {
        "HER2GC_DATABASE_URL": f"sqlite:///{folder / 'server.sqlite3'}",
        "HER2GC_SECRET_FILE": str(folder / "secret"),
        "HER2GC_RATE_LIMIT": "0",
    }
    try:
        running = start(folder, settings, source=REPO / "src", timeout_s=120)
    except ServerDidNotStart as problem:
        raise SystemExit(str(problem)) from None
    try:
        async with httpx.AsyncClient(base_url=running.base_url, timeout=60) as client:
            return await series(client, "server", runs)
    finally:
        running.stop(timeout_s=30)


def anchor(folder: Path, runs: int) -> str:
    """``her2gc evaluate EXAMPLE --format html`` in process, the knowledge base loaded once before."""
    import her2gc
    from her2gc.cli import main

    her2gc.load_kb()
    out = folder / "report.html"
    arguments = ["evaluate", str(EXAMPLE), "--format", "html", "--output", str(out)]
    for _ in range(WARM):
        if main(arguments) != 0:
            raise SystemExit("her2gc evaluate failed")
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        main(arguments)
        times.append((time.perf_counter() - started) * 1000)
    return summary("anchor: her2gc evaluate --format html", times)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--transport", choices=("asgi", "server", "both"), default="both")
    options = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="her2gc-bench-page-") as name:
        folder = Path(name)
        if options.transport in ("asgi", "both"):
            rows += asyncio.run(asgi(folder, options.runs))
        if options.transport in ("server", "both"):
            rows += asyncio.run(server(folder, options.runs))
        rows.append(anchor(folder, options.runs))
    print(f"{'':<44} {'runs':>4} {'median':>9} {'p90':>9}   (ms, after {WARM} warm-up calls each)")
    print("\n".join(rows))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
