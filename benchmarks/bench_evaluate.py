"""Single-case speed: warm ``evaluate`` latency and cold start (import + KB load).

Run: python benchmarks/bench_evaluate.py [--n 10000] [--cold-runs 21]
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
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


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


def _timed_processes(code: str, runs: int) -> tuple[list[float], list[list[float]]]:
    """Run ``code`` in fresh processes sharing one empty cache: the first run validates the
    files and writes the snapshot; the next ``runs`` start from it. Each prints seconds.
    Returns the first run's figures and, per later run, its figures then its wall time, in ms."""
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HER2GC_CACHE_DIR": cache}

        def one() -> list[float]:
            start = time.perf_counter()
            out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env)
            return [float(x) * 1000 for x in out.stdout.split()] + [(time.perf_counter() - start) * 1000]

        first = one()[:-1]
        return first, [one() for _ in range(runs)]


EXAMPLE = REPO / "examples" / "her2_positive_second_line.yaml"


def _wall(argv: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, capture_output=True, check=True, env=env)
    return time.perf_counter() - start


def command_line(runs: int) -> None:
    """``her2gc evaluate`` on the shipped example as a whole process, interleaved with the
    anchor the issue names (``python -c "import pydantic, yaml"``), both with a warm snapshot."""
    import shutil

    # The console script beside this interpreter, as a virtual environment installs it: a
    # version manager's shim found on PATH first (pyenv's is a shell script) would be timed too.
    beside = Path(sys.executable).parent / "her2gc"
    her2gc = str(beside) if beside.is_file() else shutil.which("her2gc")
    argv = [her2gc] if her2gc else [sys.executable, "-m", "her2gc.cli"]
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "HER2GC_CACHE_DIR": cache}
        subprocess.run(
            [*argv, "evaluate", str(EXAMPLE)], capture_output=True, check=True, env=env
        )  # writes the snapshot
        anchor, full, no_model = [], [], []
        for _ in range(runs):
            anchor.append(_wall([sys.executable, "-c", "import pydantic, yaml"], env))
            full.append(_wall([*argv, "evaluate", str(EXAMPLE)], env))
            no_model.append(_wall([*argv, "evaluate", "--no-model", str(EXAMPLE)], env))
    base = statistics.median(anchor)
    print(f'anchor python -c "import pydantic, yaml": median {base * 1000:.0f} ms ({runs} runs, interleaved)')
    for label, values in (("her2gc evaluate EXAMPLE", full), ("her2gc evaluate --no-model EXAMPLE", no_model)):
        median = statistics.median(values)
        print(f"{label}: median {median * 1000:.0f} ms, {median / base:.2f} x the anchor")


def warm(n: int, with_model: bool, read_with_kb: bool = True) -> list[float]:
    """Warm ``evaluate`` over the golden cases. The command line, the service and cohort runs
    read each case with the knowledge base's vocabulary (``read_case(path, kb)``); a case
    built without it (``read_with_kb=False``) is validated again by every ``evaluate``."""
    import her2gc
    from her2gc.engine import EvaluationOptions

    kb = her2gc.load_kb()
    paths = sorted(p for p in (REPO / "tests" / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
    cases = [her2gc.read_case(p, kb if read_with_kb else None) for p in paths]
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
    parser.add_argument("--cold-runs", type=int, default=21)
    parser.add_argument("--cli-runs", type=int, default=11, help="whole-process runs of her2gc evaluate")
    args = parser.parse_args()
    package = compile_package()
    print(f"package: {package} (bytecode compiled); python {sys.version.split()[0]}")
    [first], runs = _timed_processes(COLD, args.cold_runs)
    inner, outer = [run[0] for run in runs], [run[1] for run in runs]
    print(f"first load ever (validate every file, write the snapshot): {first:.1f} ms in-process")
    print(
        f"cold start (import her2gc + load_kb), {args.cold_runs} processes: median {statistics.median(inner):.1f} ms in-process "
        f"(quartiles {_percentile(inner, 0.25):.1f}-{_percentile(inner, 0.75):.1f}); {statistics.median(outer):.1f} ms whole interpreter"
    )
    _, phase_runs = _timed_processes(PHASES, args.cold_runs)
    pydantic_ms, schema_ms, load_ms = (statistics.median(run[i] for run in phase_runs) for i in range(3))
    print(
        f"  phases (medians): pydantic {pydantic_ms:.1f} ms, schema classes + loader {schema_ms:.1f} ms, snapshot load {load_ms:.1f} ms"
    )
    command_line(args.cli_runs)
    for with_model, read_with_kb in ((True, True), (False, True), (True, False)):
        timings = warm(args.n, with_model, read_with_kb)
        label = "with model section (cached profiles)" if with_model else "without model section"
        label += "" if read_with_kb else ", cases read without the knowledge base (validated again per call)"
        print(
            f"warm evaluate {label}, {args.n} calls: median {statistics.median(timings):.3f} ms, p99 {_percentile(timings, 0.99):.3f} ms"
        )


if __name__ == "__main__":
    main()
