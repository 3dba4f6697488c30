"""Cohort speed and memory: a synthetic JSON Lines cohort and the TCGA STAD study, end to end.

Run: python benchmarks/bench_cohort.py [--n 100000] [--small 10000] [--repeats 1] [--no-dask]

Measures, on this machine:
* the warm single-process rate of a full report (``evaluate`` + the report's JSON line),
  on synthetic cases whose model screens are already cached;
* ``her2gc cohort run`` on a synthetic cohort of --small and --n cases, embedded (local
  worker processes) and with ``--dask local:2``: full reports per second over the
  evaluation phase and end to end, peak memory (proportional set size: the whole process
  tree, the parent, the largest worker), and whether the two runs' patients.tsv and reports.jsonl
  are byte-identical;
* the TCGA STAD study folder end to end (with and without the model step).

Synthetic cases draw their alterations from PROFILES (a fixed list): cohorts share
alteration profiles, which is what the model step's per-profile cache relies on; the
number of distinct profiles is printed with the figures.
"""

from __future__ import annotations

import argparse
import filecmp
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
SHARED_FALLBACK = Path("/work/shared/data")

PROFILES: list[list[dict[str, Any]]] = [
    [],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 14}],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 9}, {"gene": "CCNE1", "kind": "amp", "copy_number": 7}],
    [{"gene": "PIK3CA", "kind": "mut", "protein_change": "p.H1047R", "vaf": 0.2}],
    [
        {"gene": "ERBB2", "kind": "amp", "copy_number": 11},
        {"gene": "PIK3CA", "kind": "mut", "protein_change": "p.E545K", "vaf": 0.15},
    ],
    [{"gene": "MET", "kind": "amp", "copy_number": 12}],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 10}, {"gene": "MET", "kind": "amp", "copy_number": 8}],
    [{"gene": "KRAS", "kind": "mut", "protein_change": "p.G12D", "vaf": 0.3}],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 12}, {"gene": "KRAS", "kind": "amp", "copy_number": 9}],
    [{"gene": "TP53", "kind": "mut", "protein_change": "p.R175H", "vaf": 0.4}],
    [
        {"gene": "ERBB2", "kind": "amp", "copy_number": 15},
        {"gene": "TP53", "kind": "mut", "protein_change": "p.R273H", "vaf": 0.5},
    ],
    [{"gene": "EGFR", "kind": "amp", "copy_number": 10}],
    [{"gene": "FGFR2", "kind": "amp", "copy_number": 13}],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 9}, {"gene": "CDK6", "kind": "amp", "copy_number": 6}],
    [{"gene": "PTEN", "kind": "del"}],
    [{"gene": "ERBB2", "kind": "mut", "protein_change": "p.S310F", "vaf": 0.2}],
    [
        {"gene": "TP53", "kind": "mut", "protein_change": "p.R248Q", "vaf": 0.3},
        {"gene": "CDH1", "kind": "mut", "protein_change": "p.D254Y", "vaf": 0.2},
    ],
    [{"gene": "ARID1A", "kind": "mut", "protein_change": "p.Q372*", "vaf": 0.25}],
    [{"gene": "ERBB2", "kind": "amp", "copy_number": 8}, {"gene": "EGFR", "kind": "amp", "copy_number": 7}],
    [{"gene": "CCNE1", "kind": "amp", "copy_number": 8}],
]
WEIGHTS = [1.0 / (rank + 1) ** 0.8 for rank in range(len(PROFILES))]  # common profiles first


def synthetic_case(index: int, rng: random.Random) -> dict[str, Any]:
    """One plausible case: HER2 tests, PD-L1, MSI, 0-2 lines of therapy, a shared alteration profile."""
    site, code = rng.choices([("stomach", "STAD"), ("gej", "GEJ"), ("oesophagus", "ESCA")], weights=[0.6, 0.25, 0.15])[
        0
    ]
    score = rng.choices(["0", "1+", "2+", "3+"], weights=[0.45, 0.2, 0.15, 0.2])[0]
    test: dict[str, Any] = {
        "date": "2025-01-10",
        "specimen": rng.choice(["biopsy", "resection"]),
        "setting": "diagnosis",
        "ihc": {"score": score},
    }
    if (score == "2+" and rng.random() < 0.7) or (score == "3+" and rng.random() < 0.2):
        test["ish"] = {"ratio": round(rng.uniform(1.1, 5.0), 1)}
    case: dict[str, Any] = {
        "schema": "her2gc.case/1",
        "patient_id": f"SYN-{rng.randrange(10**9):09d}-{index}",
        "tumour": {
            "site": site,
            "oncotree_code": code,
            "histology": "adenocarcinoma",
            "lauren": rng.choice(["intestinal", "diffuse", "mixed", "unknown"]),
        },
        "ecog": rng.choice([0, 1, 1, 2]),
        "her2_tests": [test],
        "msi": rng.choices(["MSS", "MSI-H", "unknown"], weights=[0.92, 0.04, 0.04])[0],
        "alterations": [dict(a, source="tissue") for a in rng.choices(PROFILES, weights=WEIGHTS)[0]],
    }
    if rng.random() < 0.7:
        case["pdl1"] = {"cps": rng.choice([0, 1, 3, 5, 10, 20]), "assay": "22C3"}
    lines = rng.choices([0, 1, 2], weights=[0.6, 0.3, 0.1])[0]
    positive = score == "3+" or ("ish" in test and test["ish"]["ratio"] >= 2)
    first = ["trastuzumab", "capecitabine", "oxaliplatin"] if positive else ["capecitabine", "oxaliplatin"]
    history = [
        {
            "line": 1,
            "drugs": first,
            "start": "2025-02-01",
            "end": "2025-09-01",
            "best_response": "PR",
            "stop_reason": "progression",
        }
    ]
    if lines == 2:
        history.append(
            {
                "line": 2,
                "drugs": ["ramucirumab", "paclitaxel"],
                "start": "2025-09-15",
                "end": "2026-02-01",
                "best_response": "SD",
                "stop_reason": "progression",
            }
        )
    case["treatment_history"] = history[:lines]
    if lines and positive and rng.random() < 0.3:
        case["ctdna"] = [
            {"date": "2025-02-01", "erbb2_copy_number": round(rng.uniform(4, 12), 1)},
            {"date": "2025-06-01", "erbb2_copy_number": round(rng.uniform(1, 12), 1)},
        ]
    return case


def write_cohort(path: Path, n: int, seed: int = 20250110) -> None:
    rng = random.Random(seed)
    with open(path, "w", encoding="utf-8") as handle:
        handle.writelines(json.dumps(synthetic_case(index, rng), separators=(",", ":")) + "\n" for index in range(n))


def warm_rate(cases: int = 2000) -> dict[str, float]:
    """Full reports per CPU-second in one process, the model screens already cached."""
    import orjson

    import her2gc

    kb = her2gc.load_kb()
    rng = random.Random(7)
    batch = [her2gc.Case.model_validate(synthetic_case(i, rng)) for i in range(cases)]
    options = her2gc.EvaluationOptions(region="US")
    for case in batch:  # warm: every profile screened once
        her2gc.evaluate(case, kb, options)
    # CPU time of this process: what the rate would be with a core to itself.
    started = time.process_time()
    for case in batch:
        her2gc.evaluate(case, kb, options)
    evaluate_only = time.process_time() - started
    started = time.process_time()
    for case in batch:
        orjson.dumps(her2gc.evaluate(case, kb, options).to_json_dict(), option=orjson.OPT_SORT_KEYS)
    full = time.process_time() - started
    return {"evaluate_per_s": cases / evaluate_only, "full_report_per_s": cases / full}


def _tree_memory(pid: int) -> tuple[int, int, int]:
    """Proportional set size (shared pages divided among the processes sharing them, so forked
    workers are not counted twice) of the whole process tree, of the parent, of the largest child."""
    import psutil

    def pss(process: psutil.Process) -> int:
        try:
            return int(process.memory_full_info().pss)
        except (psutil.Error, AttributeError):
            return 0

    try:
        parent = psutil.Process(pid)
        children = parent.children(recursive=True)
    except psutil.Error:
        return 0, 0, 0
    parent_pss = pss(parent)
    child_pss = [pss(child) for child in children]
    return parent_pss + sum(child_pss), parent_pss, max(child_pss, default=0)


def run_cli(args: list[str]) -> dict[str, Any]:
    """Run ``her2gc cohort run`` and sample the process tree's memory every 0.2 s."""
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    started = time.perf_counter()
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    process = subprocess.Popen(
        [sys.executable, "-m", "her2gc.cli", "cohort", "run", *args, "--no-progress"],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    peaks = [0, 0, 0]

    def sample() -> None:
        while process.poll() is None:
            for i, value in enumerate(_tree_memory(process.pid)):
                peaks[i] = max(peaks[i], value)
            time.sleep(0.2)

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    _, stderr = process.communicate()
    wall = time.perf_counter() - started
    sampler.join()
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (cpu_after.ru_utime - cpu_before.ru_utime) + (cpu_after.ru_stime - cpu_before.ru_stime)
    if process.returncode != 0:
        raise SystemExit(f"cohort run failed ({process.returncode}): {stderr[-2000:]}")
    outdir = Path(args[args.index("-o") + 1])
    run = json.loads((outdir / "run.json").read_text())
    mib = 1024 * 1024
    return {
        "wall_s": wall,
        "cpu_s": cpu,
        "run": run,
        "peak_tree_mib": peaks[0] / mib,
        "peak_parent_mib": peaks[1] / mib,
        "peak_worker_mib": peaks[2] / mib,
    }


def _cohort_figures(label: str, n: int, result: dict[str, Any]) -> str:
    seconds = result["run"]["seconds"]
    return (
        f"{label:<28} n={n:>7,}  evaluate {n / seconds['evaluate']:>7,.0f}/s  end-to-end {n / result['wall_s']:>7,.0f}/s "
        f"({result['wall_s']:.1f} s; read {seconds['read_input']:.1f}, evaluate {seconds['evaluate']:.1f}, write {seconds['write_outputs']:.1f}, summary {seconds.get('summary', 0):.1f})  "
        f"peak memory (PSS) tree {result['peak_tree_mib']:.0f} MiB, parent {result['peak_parent_mib']:.0f}, largest worker {result['peak_worker_mib']:.0f}; "
        f"model screens computed {result['run']['counts'].get('model_screens_computed')}; "
        f"CPU {result['cpu_s']:.0f} s for the whole run ({n / result['cpu_s']:,.0f} reports per CPU-second)"
    )


def _median_run(args: list[str], repeats: int) -> dict[str, Any]:
    results = [run_cli(args) for _ in range(repeats)]
    return sorted(results, key=lambda r: r["wall_s"])[len(results) // 2]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--repeats", type=int, default=1)
    parser.add_argument("--no-dask", action="store_true")
    parser.add_argument("--no-tcga", action="store_true")
    args = parser.parse_args()
    load = ", ".join(f"{v:.1f}" for v in os.getloadavg())
    print(
        f"cores: {len(os.sched_getaffinity(0))}; load average at start {load}; synthetic profiles: {len(PROFILES)} alteration templates"
    )
    rates = statistics.median_high([warm_rate()["full_report_per_s"] for _ in range(3)])
    warm = warm_rate()
    print(
        f"warm single process: evaluate {warm['evaluate_per_s']:,.0f}/s; full report (evaluate + JSON line) median {rates:,.0f}/s"
    )
    with tempfile.TemporaryDirectory(prefix="bench-cohort-") as tmp:
        root = Path(tmp)
        for n in sorted({args.small, args.n}):
            cohort = root / f"cohort_{n}.jsonl"
            write_cohort(cohort, n)
            embedded = _median_run([str(cohort), "-o", str(root / f"embedded_{n}"), "--region", "US"], args.repeats)
            print(_cohort_figures("embedded (2 processes)", n, embedded))
            evaluate_rate = n / embedded["run"]["seconds"]["evaluate"]
            print(f"{'':<28} ratio to the warm single-process full-report rate: {evaluate_rate / rates:.2f}")
            if not args.no_dask:
                dask = _median_run(
                    [str(cohort), "-o", str(root / f"dask_{n}"), "--region", "US", "--dask", "local:2"], args.repeats
                )
                print(_cohort_figures("dask local:2", n, dask))
                same = all(
                    filecmp.cmp(root / f"embedded_{n}" / k, root / f"dask_{n}" / k, shallow=False)
                    for k in ("patients.tsv", "reports.jsonl")
                )
                print(f"{'':<28} patients.tsv and reports.jsonl byte-identical to embedded: {same}")
            for name in (f"embedded_{n}", f"dask_{n}"):
                subprocess.run(["rm", "-rf", str(root / name)], check=False)
        data = SHARED if SHARED.is_dir() else SHARED_FALLBACK
        if not args.no_tcga and (data / "tcga_stad").is_dir():
            for flag in ([], ["--no-model"]):
                tcga = _median_run(
                    [str(data / "tcga_stad"), "-o", str(root / "tcga"), "--region", "US", *flag], args.repeats
                )
                print(
                    _cohort_figures(
                        "TCGA STAD " + (" ".join(flag) or "(full reports)"), tcga["run"]["counts"]["read"], tcga
                    )
                )
        elif not args.no_tcga:
            print(f"TCGA STAD skipped: {data / 'tcga_stad'} not found")
    print("load average at the end: " + ", ".join(f"{v:.1f}" for v in os.getloadavg()))


if __name__ == "__main__":
    main()
