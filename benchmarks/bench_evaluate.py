"""Single-case speed: warm ``evaluate`` latency and cold start (import + KB load).

Run: python benchmarks/bench_evaluate.py [--n 10000] [--cold-runs 15]
Cases: every golden case under tests/cases (core and molecular), cycled to --n calls.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
COLD = "import time; t=time.perf_counter(); import her2gc; her2gc.load_kb(); print(time.perf_counter()-t)"
# The same start-up, timed in phases: pydantic itself, the schema classes, then the snapshot.
PHASES = """
import time
t0 = time.perf_counter()
import pydantic.fields, pydantic.functional_validators
t1 = time.perf_counter()
import her2gc
from her2gc.kb import loader
t2 = time.perf_counter()
her2gc.load_kb()
t3 = time.perf_counter()
print(t1 - t0, t2 - t1, t3 - t2)
"""


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def _one_cold(env: dict[str, str]) -> tuple[float, float]:
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-c", COLD], capture_output=True, text=True, check=True, env=env)
    return float(out.stdout.strip()) * 1000, (time.perf_counter() - start) * 1000


def compile_package() -> Path:
    """Write the package's bytecode, as installing a wheel does. An editable install under
    PYTHONDONTWRITEBYTECODE=1 otherwise recompiles every module in every process, which
    measures the compiler, not the start-up."""
    import compileall
    import importlib.util

    spec = importlib.util.find_spec("her2gc")
    assert spec is not None and spec.origin is not None
    package = Path(spec.origin).parent
    compileall.compile_dir(package, quiet=1)
    return package


def cold_phases(runs: int) -> list[float]:
    """Median ms of: importing pydantic, importing the schema classes and loader, loading."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HER2GC_CACHE_DIR": cache}
        subprocess.run([sys.executable, "-c", PHASES], capture_output=True, check=True, env=env)
        rows = [
            [float(x) * 1000 for x in subprocess.run([sys.executable, "-c", PHASES], capture_output=True, text=True, check=True, env=env).stdout.split()]
            for _ in range(runs)
        ]
    return [statistics.median(column) for column in zip(*rows)]


def cold_start(runs: int) -> tuple[float, list[float], list[float]]:
    """First load (validates the files, writes the snapshot), then the in-process
    import+load times and whole-process wall times of later processes, in ms."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HER2GC_CACHE_DIR": cache}
        first, _ = _one_cold(env)
        timings = [_one_cold(env) for _ in range(runs)]
    return first, [t[0] for t in timings], [t[1] for t in timings]


def warm(n: int, with_model: bool) -> list[float]:
    import her2gc
    from her2gc.engine import EvaluationOptions

    kb = her2gc.load_kb()
    paths = sorted(p for p in (REPO / "tests" / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
    cases = [her2gc.read_case(p) for p in paths]
    options = EvaluationOptions(with_model=with_model)
    for case in cases:  # first call per profile fills the model cache; not timed
        her2gc.evaluate(case, kb, options)
    timings = []
    for i in range(n):
        case = cases[i % len(cases)]
        start = time.perf_counter()
        her2gc.evaluate(case, kb, options)
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--cold-runs", type=int, default=15)
    args = parser.parse_args()
    package = compile_package()
    print(f"package: {package} (bytecode compiled); python {sys.version.split()[0]}")
    first, inner, outer = cold_start(args.cold_runs)
    print(f"first load ever (validate every file, write the snapshot): {first:.1f} ms in-process")
    print(
        f"cold start (import her2gc + load_kb), {args.cold_runs} processes: median {statistics.median(inner):.1f} ms in-process "
        f"(quartiles {_percentile(inner, 0.25):.1f}-{_percentile(inner, 0.75):.1f}); {statistics.median(outer):.1f} ms whole interpreter"
    )
    pydantic_ms, schema_ms, load_ms = cold_phases(args.cold_runs)
    print(f"  phases (medians): pydantic {pydantic_ms:.1f} ms, schema classes + loader {schema_ms:.1f} ms, snapshot load {load_ms:.1f} ms")
    for with_model in (True, False):
        timings = warm(args.n, with_model)
        label = "with model section (cached profiles)" if with_model else "without model section"
        print(f"warm evaluate {label}, {args.n} calls: median {statistics.median(timings):.3f} ms, p99 {_percentile(timings, 0.99):.3f} ms")


if __name__ == "__main__":
    main()
