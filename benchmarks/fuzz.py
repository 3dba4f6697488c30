"""A fuzz run of the product's inputs: mutated case files and mutated sequencing files.

    python benchmarks/fuzz.py [--cases 10000] [--sequencing 3000] [--seed 1]

Every mutated input must end in one of two ways: a report (or a reader's table), or a
refusal with exit code 2 and ONE line of at most ~300 characters naming the file. Anything
else is a crash. For sequencing files that are read, every data row must be accounted for
(rows read = rows used + rows skipped by reason) and, for MAF files, every used row must be
an alteration. Prints the counts; exits 1 if anything crashed or was lost.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))

import yaml  # noqa: E402

import her2gc  # noqa: E402
from her2gc.engine import EvaluationOptions  # noqa: E402

SEED_CASES = [
    REPO / "examples" / "her2_positive_second_line.yaml",
    *sorted((REPO / "tests" / "cases" / "core").glob("*[!d].yaml")),
]
DATA = REPO / "tests" / "readers" / "data"
SEQUENCING = {
    "maf": [DATA / "tumour.maf"],
    "vcf": sorted(DATA.glob("*.vcf")),
    "cna": [DATA / "tiny_cna.txt"],
    "seg": [DATA / "tiny.seg"],
    "ctdna": sorted(DATA.glob("ctdna_*.csv")),
}
MAX_LINE = 320

WEIRD_VALUES: list[Any] = [
    True, False, None, 0, -1, 1e308, float("inf"), "", "x" * 5000, 10**70, [], {}, [[[]]], "2025-13-45",
    "2025-02-30", "T-DXd", "HER2", "3+", 101, -0.0, "nan", {"a": 1}, ["lol"] * 50,
]  # fmt: skip


def _walk_paths(data: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    paths = [prefix]
    if isinstance(data, dict):
        for key, value in data.items():
            paths += _walk_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            paths += _walk_paths(value, (*prefix, index))
    return paths


def _set(data: Any, path: tuple[Any, ...], value: Any) -> Any:
    if not path:
        return value
    head, rest = path[0], path[1:]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _set(copy[head], rest, value)
    return copy


def _delete(data: Any, path: tuple[Any, ...]) -> Any:
    if len(path) == 1:
        copy = dict(data) if isinstance(data, dict) else list(data)
        del copy[path[0]]
        return copy
    head = path[0]
    copy = dict(data) if isinstance(data, dict) else list(data)
    copy[head] = _delete(copy[head], path[1:])
    return copy


def mutate_case(rng: random.Random, data: dict[str, Any]) -> tuple[bytes, str]:
    """One mutated case file: (bytes, suffix). Structural, value, text and byte mutations."""
    kind = rng.random()
    paths = [p for p in _walk_paths(data) if p]
    if kind < 0.45 and paths:
        path = rng.choice(paths)
        mutated = _set(data, path, rng.choice(WEIRD_VALUES))
        return json.dumps(mutated, default=str).encode(), ".json"
    if kind < 0.6 and paths:
        return yaml.safe_dump(_delete(data, rng.choice(paths)), sort_keys=False).encode(), ".yaml"
    text = yaml.safe_dump(data, sort_keys=False)
    if kind < 0.7:  # a key repeated at the top level
        key = rng.choice(list(data))
        return (text + f"{key}: {json.dumps(data[key], default=str)}\n").encode(), ".yaml"
    if kind < 0.78:  # aliases
        return (text + "extra: &a [1, 2, 3]\nmore: [*a, *a, *a]\n").encode(), ".yaml"
    raw = bytearray(text.encode())
    if kind < 0.88 and raw:  # byte flips
        for _ in range(rng.randint(1, 8)):
            raw[rng.randrange(len(raw))] = rng.randrange(256)
        return bytes(raw), ".yaml"
    if kind < 0.94:  # cut short, possibly inside gzip
        cut = bytes(raw[: rng.randrange(max(1, len(raw)))])
        return (gzip.compress(cut)[: rng.randrange(10, 200)], ".yaml.gz") if rng.random() < 0.5 else (cut, ".yaml")
    deep = "[" * rng.randint(10, 3000) + "]" * rng.randint(0, 3000)
    return json.dumps({**data, "region": "US"}).replace('"US"', deep, 1).encode(), ".json"


def mutate_table(rng: random.Random, raw: bytes) -> bytes:
    lines = raw.split(b"\n")
    kind = rng.random()
    if kind < 0.2 and len(lines) > 2:
        del lines[rng.randrange(1, len(lines))]
    elif kind < 0.35:
        i = rng.randrange(len(lines))
        lines.insert(i, lines[i])
    elif kind < 0.5:
        i = rng.randrange(len(lines))
        lines[i] = lines[i].replace(b"\t", b'\t"', 1)
    elif kind < 0.6:
        i = rng.randrange(len(lines))
        lines[i] = lines[i][: rng.randrange(len(lines[i]) + 1)]
    elif kind < 0.7:
        lines[0] = lines[0].replace(b"\t", b" \t", 1)
    elif kind < 0.78:
        return b"\xef\xbb\xbf" + raw
    elif kind < 0.86:
        data = bytearray(raw)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    elif kind < 0.93:
        return gzip.compress(raw)[: rng.randrange(10, max(11, len(raw)))]
    else:
        i = rng.randrange(len(lines))
        lines[i] = lines[i] + b"\tnotanumber"
    return b"\n".join(lines)


def _outcome(call: Callable[[], Any], file_name: str) -> tuple[str, Any]:
    try:
        return "valid", call()
    except her2gc.InputError as exc:
        line = exc.one_line()
        if "\n" in line or len(line) > MAX_LINE or file_name not in line:
            return "bad_refusal", line
        return "refused", line
    except Exception as exc:
        return "crashed", f"{type(exc).__name__}: {exc}"[:300]


def run_cases(n: int, rng: random.Random, kb: Any, folder: Path) -> Counter[str]:
    seeds = [yaml.safe_load(p.read_text()) for p in SEED_CASES]
    seeds = [json.loads(json.dumps(s, default=str)) for s in seeds if isinstance(s, dict)]
    counts: Counter[str] = Counter()
    options = EvaluationOptions(with_model=False)
    for i in range(n):
        data, suffix = mutate_case(rng, rng.choice(seeds))
        path = folder / f"case{i}{suffix}"
        path.write_bytes(data)

        def evaluate(path: Path = path) -> Any:
            case = her2gc.read_case(path, kb)
            return her2gc.evaluate(
                case, kb, options if case.region else EvaluationOptions(with_model=False, region="US")
            )

        outcome, detail = _outcome(evaluate, path.name)
        counts[outcome] += 1
        if outcome in ("crashed", "bad_refusal") and counts[outcome] <= 5:
            print(f"  {outcome}: {path.name}: {detail}")
        path.unlink()
    return counts


def run_sequencing(n: int, rng: random.Random, kb: Any, folder: Path) -> tuple[Counter[str], Counter[str]]:
    from her2gc.readers import read_cna, read_ctdna, read_maf, read_seg, read_vcf

    readers = {"maf": read_maf, "vcf": read_vcf, "cna": read_cna, "seg": read_seg, "ctdna": read_ctdna}
    counts: Counter[str] = Counter()
    rows: Counter[str] = Counter()
    kinds = [k for k, paths in SEQUENCING.items() if paths]
    for i in range(n):
        kind = rng.choice(kinds)
        seed = rng.choice(SEQUENCING[kind])
        path = folder / f"seq{i}_{seed.name}"
        path.write_bytes(mutate_table(rng, seed.read_bytes()))
        outcome, result = _outcome(lambda p=path, k=kind: readers[k](p, kb.genomics), path.name)
        if outcome == "valid":
            report = result.report
            used = report.rows_read - report.skipped_total
            rows["read"] += report.rows_read
            rows["used"] += used
            rows["skipped"] += report.skipped_total
            if used < 0 or (kind == "maf" and result.table.num_rows != used):
                outcome = "lost_rows"
        counts[outcome] += 1
        if outcome in ("crashed", "bad_refusal", "lost_rows") and counts[outcome] <= 5:
            print(f"  {outcome}: {path.name} ({kind}): {result}")
        path.unlink()
    return counts, rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=10_000)
    parser.add_argument("--sequencing", type=int, default=3_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    kb = her2gc.load_kb()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        start = time.perf_counter()
        cases = run_cases(args.cases, rng, kb, folder)
        middle = time.perf_counter()
        sequencing, rows = run_sequencing(args.sequencing, rng, kb, folder)
        end = time.perf_counter()
    print(
        f"case mutations: {args.cases} in {middle - start:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(cases.items()))
    )
    print(
        f"sequencing mutations: {args.sequencing} in {end - middle:.1f} s: "
        + ", ".join(f"{k} {v}" for k, v in sorted(sequencing.items()))
    )
    print(f"rows of the files read: {rows['read']} read = {rows['used']} used + {rows['skipped']} skipped")
    bad = (
        cases["crashed"]
        + cases["bad_refusal"]
        + sequencing["crashed"]
        + sequencing["bad_refusal"]
        + sequencing["lost_rows"]
    )
    print("internal errors, malformed refusals and silent drops:", bad)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
