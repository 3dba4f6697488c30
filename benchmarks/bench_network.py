"""Speed of the mechanistic model, and its AGS screen side by side with pydruglogics.

    python benchmarks/bench_network.py [--peers PYTHON ...] [--runs 7]

Sections (wall seconds by time.perf_counter, CPU seconds by time.process_time or, for
whole processes, getrusage of the children; "cold" = a new SolverCache, imports done;
medians, printed as a Markdown table):
  1. AGS (Flobak 2015) 7-drug screen via screen_bnet: 7 singles + 21 pairs (+ untreated).
  2. HER2 model, one patient, all 27 singles + 351 pairs: cold and cached.
  3. Every ERBB2-amplified TCGA-STAD tumour in ../shared/data/tcga_stad:
     profile from segments (log2 ratio >= 1.0 amplification, <= -1.0 deletion,
     hg19 gene spans below) and non-silent MAF mutations; one screen each.
  4. Peers on the AGS model, each run by an interpreter given with --peers (its own
     virtualenv; nothing of theirs is imported here): pydruglogics 0.1.10 (GPL-3.0) and
     MaBoSS. pydruglogics runs as PYDRUGLOGICS_SCRIPT explains (the original rules, a
     fresh model per condition). Before any timing, both tools' outputs for the 28
     conditions and their synergy calls are compared; the run stops if they differ.
     Then, interleaved: one screen in a warm process (each tool serial, then each with
     2 worker processes), and a whole process per screen (`her2gc model screen --bnet`
     against the script's `once`), each with the ratio her2gc / pydruglogics.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import csv
import functools
import gzip
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = next(
    (p for p in (REPO.parent / "shared" / "data", Path("/work/shared/data")) if p.exists()),
    REPO.parent / "shared" / "data",
)
AGS = SHARED / "networks" / "ags_flobak2015"
TCGA = SHARED / "tcga_stad"
sys.path.insert(0, str(REPO / "src"))
AGS_FILES = (AGS / "ags_flobak2015.bnet", AGS / "flobak2015_drugpanel", AGS / "flobak2015_modeloutputs")

# hg19 spans (chromosome, start, end) of the model's genes read from copy number.
GENE_SPANS_HG19 = {
    "ERBB2": ("17", 37844167, 37886679), "EGFR": ("7", 55086725, 55275031), "MET": ("7", 116312459, 116438440),
    "FGFR2": ("10", 123237844, 123357972), "CCNE1": ("19", 30302805, 30315215), "CDK6": ("7", 92234235, 92465908),
    "KRAS": ("12", 25357723, 25403870), "PIK3CA": ("3", 178866145, 178952152), "CDK4": ("12", 58141510, 58149796),
    "PTEN": ("10", 89622870, 89731687), "RB1": ("13", 48877883, 49056026), "ATM": ("11", 108093211, 108239829),
}  # fmt: skip
SILENT = {"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA"}


def _fresh_model():  # type: ignore[no-untyped-def]
    """The HER2 model with empty caches (a new runtime): "cold" = engines imported, nothing solved."""
    from her2gc.kb.loader import load_kb
    from her2gc.model import annotated_model
    from her2gc.runtime import Runtime

    return annotated_model(load_kb(), Runtime())


def _timed(run: Callable[[], object], runs: int) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` calls."""
    walls, cpus = [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        run()
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    return statistics.median(walls), statistics.median(cpus)


@functools.cache
def _screen_limits():  # type: ignore[no-untyped-def]
    """The screen limits of the packaged model.yaml, as `her2gc model screen --bnet` applies them."""
    return _fresh_model().annotations.screen


def ags_screen(executor: concurrent.futures.Executor | None = None, cache: object = None, workers: int = 2) -> list:  # type: ignore[type-arg]
    """her2gc's AGS screen; a new cache (cold) unless one is given."""
    from her2gc.network import SolverCache, screen_bnet

    limits = _screen_limits()
    return screen_bnet(*AGS_FILES, limits, cache=cache or SolverCache(), executor=executor, workers=workers)  # type: ignore[arg-type]


def bench_ags(runs: int) -> dict[str, float]:
    from her2gc.network import SolverCache

    _screen_limits()
    start = time.perf_counter()
    ags_screen()
    first = time.perf_counter() - start
    wall, cpu = _timed(ags_screen, runs)
    warm_cache = SolverCache()
    ags_screen(cache=warm_cache)
    warm, _ = _timed(lambda: ags_screen(cache=warm_cache), runs)
    return {"ags_first_in_process_s": first, "ags_cold_s": wall, "ags_cold_cpu_s": cpu, "ags_warm_s": warm}


def bench_patient() -> dict[str, float]:
    model = _fresh_model()
    profile = [("ERBB2", "amp"), ("PIK3CA", "mut"), ("MET", "amp")]
    start = time.perf_counter()
    rows = model.screen_profile(profile)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    model.screen_profile(profile)
    return {
        "patient_cold_s": cold,
        "patient_cached_s": time.perf_counter() - start,
        "patient_drug_sets": float(len(rows)),
    }


def _segments() -> dict[str, list[tuple[str, int, int, float]]]:
    by_sample: dict[str, list[tuple[str, int, int, float]]] = defaultdict(list)
    with gzip.open(TCGA / "data_cna_hg19.seg.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            barcode = row["ID"]
            if barcode[13:15] != "01":
                continue
            by_sample[barcode[:12]].append(
                (row["chrom"], int(row["loc.start"]), int(row["loc.end"]), float(row["seg.mean"]))
            )
    return by_sample


def _gene_level(segments: list[tuple[str, int, int, float]], span: tuple[str, int, int]) -> float | None:
    chrom, start, end = span
    values = [mean for c, s, e, mean in segments if c == chrom and s <= end and e >= start]
    return max(values, key=abs) if values else None


def tcga_profiles() -> dict[str, list[tuple[str, str]]]:
    """ERBB2-amplified tumours -> alteration profile (what the model maps)."""
    maps_alteration = _fresh_model().maps_alteration

    profiles: dict[str, list[tuple[str, str]]] = {}
    for patient, segments in _segments().items():
        erbb2 = _gene_level(segments, GENE_SPANS_HG19["ERBB2"])
        if erbb2 is None or erbb2 < 1.0:
            continue
        profile = [("ERBB2", "amp")]
        for gene, span in GENE_SPANS_HG19.items():
            level = _gene_level(segments, span)
            if gene != "ERBB2" and level is not None and level >= 1.0 and maps_alteration(gene, "amp"):
                profile.append((gene, "amp"))
            if level is not None and level <= -1.0 and maps_alteration(gene, "del"):
                profile.append((gene, "del"))
        profiles[patient] = profile
    with gzip.open(TCGA / "data_mutations.txt.gz", "rt") as handle:
        for row in csv.DictReader(handle, delimiter="\t"):
            patient = row["Tumor_Sample_Barcode"][:12]
            if (
                patient in profiles
                and row["Variant_Classification"] not in SILENT
                and maps_alteration(row["Hugo_Symbol"], "mut")
            ):
                profiles[patient].append((row["Hugo_Symbol"], "mut"))
    return {p: sorted(set(v)) for p, v in profiles.items()}


def bench_tcga() -> dict[str, float]:
    start = time.perf_counter()
    profiles = tcga_profiles()
    parse = time.perf_counter() - start
    model = _fresh_model()
    start = time.perf_counter()
    for profile in profiles.values():
        model.screen_profile(profile)
    screen = time.perf_counter() - start
    distinct = len({tuple(p) for p in profiles.values()})
    return {
        "tcga_tumours": float(len(profiles)),
        "tcga_distinct_profiles": float(distinct),
        "tcga_parse_s": parse,
        "tcga_screen_s": screen,
    }


PYDRUGLOGICS_SCRIPT = r'''"""pydruglogics (GPL-3.0) on the AGS model, run by bench_network.py in its own interpreter.

    PYTHON -c SCRIPT verify AGS_DIR          -> JSON: global output of each condition, fair and as shipped
    PYTHON -c SCRIPT time AGS_DIR RUNS CORES -> JSON: first, median wall and CPU seconds of a screen
    PYTHON -c SCRIPT once AGS_DIR            -> one screen, its synergies printed (a whole process)

Two problems of pydruglogics 0.1.10 are worked around, with its own API:
  * its .bnet reader keeps each rule as "(activators) link !(inhibitors)", which rewrites
    most AGS rules; it writes an equation back as its activators joined by "|", so an
    equation whose one activator is the whole original rule is written back verbatim;
  * run_simulations(parallel=False) reuses each drugged copy of the model for the next
    condition (drugs pile up); its joblib path clones the undrugged model for every
    condition, and with one job joblib runs in this process, one condition after another.
"""
import json, logging, os, statistics, sys, time

logging.disable(logging.CRITICAL)
from pydruglogics.input.ModelOutputs import ModelOutputs
from pydruglogics.input.Perturbations import Perturbation
from pydruglogics.model.BooleanModel import BooleanModel
from pydruglogics.model.ModelPredictions import ModelPredictions

mode, AGS = sys.argv[1], sys.argv[2]


def rows(name):
    lines = (line.split("#", 1)[0].split() for line in open(os.path.join(AGS, name)))
    return [fields for fields in lines if fields]


def screen(fair=True, cores=1):
    bnet = os.path.join(AGS, "ags_flobak2015.bnet")
    model = BooleanModel(file=bnet, attractor_tool="mpbn", attractor_type="trapspaces", model_name="ags")
    if fair:
        rules = [line.split(",", 1) for line in open(bnet) if "," in line and not line.startswith(("#", "targets"))]
        model.boolean_equations = [(node.strip(), {f"({rule.strip()})": 1}, {}, "") for node, rule in rules]
    drugs = [[name, targets, effect] for name, effect, targets in rows("flobak2015_drugpanel")]
    outputs = ModelOutputs(input_dictionary={node: float(weight) for node, weight in rows("flobak2015_modeloutputs")})
    predictions = ModelPredictions(boolean_models=[model], perturbations=Perturbation(drug_data=drugs),
                                   model_outputs=outputs, synergy_method="hsa")
    predictions.run_simulations(parallel=True, cores=cores)
    return predictions, outputs


def outputs_of(predictions):
    return {"-".join(d["name"] for d in drugs): output for _, output, drugs in predictions._model_predictions}


if mode == "verify":
    fair, outputs = screen()
    shipped, _ = screen(fair=False)
    print(json.dumps({"fair": outputs_of(fair), "fair_synergy": dict(fair.predicted_synergy_scores),
                      "shipped": outputs_of(shipped), "shipped_synergy": dict(shipped.predicted_synergy_scores),
                      "min_output": outputs.min_output, "max_output": outputs.max_output}))
elif mode == "time":
    runs, cores = int(sys.argv[3]), int(sys.argv[4])
    start = time.perf_counter()
    screen(cores=cores)
    first, walls, cpus = time.perf_counter() - start, [], []
    for _ in range(runs):
        start, cpu = time.perf_counter(), time.process_time()
        screen(cores=cores)
        walls.append(time.perf_counter() - start)
        cpus.append(time.process_time() - cpu)
    print(json.dumps({"first_s": first, "wall_s": statistics.median(walls), "cpu_s": statistics.median(cpus)}))
else:
    predictions, _ = screen()
    for name, score in predictions.predicted_synergy_scores:
        print(f"{name}\t{score:+.6f}")
'''


def _peer(python: str, *args: str) -> dict[str, object]:
    command = [python, "-c", PYDRUGLOGICS_SCRIPT, args[0], str(AGS), *args[1:]]
    completed = subprocess.run(command, check=False, capture_output=True, text=True, timeout=1800)
    if completed.returncode != 0:
        raise SystemExit(f"pydruglogics ({python}) failed: {completed.stderr.strip()[-400:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def roc_auc(scores: list[float], labels: list[bool]) -> float:
    """Mann-Whitney estimate, ties one half (as tests/network/test_ags_validation.py)."""
    positives = [s for s, y in zip(scores, labels, strict=True) if y]
    negatives = [s for s, y in zip(scores, labels, strict=True) if not y]
    return sum(1.0 if p > n else 0.5 if p == n else 0.0 for p in positives for n in negatives) / (
        len(positives) * len(negatives)
    )


def compare_with_pydruglogics(python: str) -> dict[str, object]:
    """Both tools' 28 condition outputs and synergy calls must agree; stop the run if not.

    pydruglogics reports the mean weighted output g of each condition (lower = less growth)
    and HSA synergy g(pair) - min g(single); her2gc reports 1 - (g - min) / (max - min)
    and the gain over the best single drug. So her2gc's score and synergy follow from
    pydruglogics' by that map, and a pair is synergistic in both or in neither.
    """
    peer = _peer(python, "verify")
    low, high = float(peer["min_output"]), float(peer["max_output"])  # type: ignore[arg-type]
    span = high - low
    ours = {"-".join(row.drugs): row for row in ags_screen()}
    theirs: dict[str, float] = peer["fair"]  # type: ignore[assignment]
    synergy: dict[str, float] = peer["fair_synergy"]  # type: ignore[assignment]
    problems = [f"{name}: only in {'her2gc' if name in ours else 'pydruglogics'}" for name in set(ours) ^ set(theirs)]
    for name in sorted(set(ours) & set(theirs)):
        expected = 1.0 - (theirs[name] - low) / span
        if abs(ours[name].score - expected) > 1e-6:
            problems.append(
                f"{name}: her2gc score {ours[name].score} vs pydruglogics output {theirs[name]} (score {expected:.6f})"
            )
        if name in synergy:
            if abs((ours[name].synergy or 0.0) + synergy[name] / span) > 1e-6:
                problems.append(f"{name}: her2gc synergy {ours[name].synergy} vs pydruglogics {synergy[name]}")
            if bool(ours[name].synergistic) != (synergy[name] < 0):
                problems.append(f"{name}: synergistic in one tool only")
    if len(ours) != 28 or problems:
        raise SystemExit(
            "her2gc and pydruglogics disagree on the AGS screen:\n  "
            + "\n  ".join(problems or [f"{len(ours)} conditions"])
        )
    observed = {frozenset(line.split("~")) for line in (AGS / "cascade1_observed_synergies").read_text().split()}
    pairs = sorted(synergy)
    labels = [frozenset(name.split("-")) in observed for name in pairs]
    shipped: dict[str, float] = peer["shipped_synergy"]  # type: ignore[assignment]
    return {
        "agreement": f"28 of 28 conditions, {sum(synergy[p] < 0 for p in pairs)} synergistic pairs in both",
        "ags_roc_auc_her2gc": roc_auc([ours[p].synergy or 0.0 for p in pairs], labels),
        "ags_roc_auc_pydruglogics": roc_auc([-synergy[p] for p in pairs], labels),
        "ags_roc_auc_pydruglogics_as_shipped": roc_auc([-shipped[p] for p in pairs], labels),
    }


def _whole_process(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall and CPU (user + system) seconds of one process, output discarded."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env, timeout=600)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def bench_pydruglogics(python: str, runs: int, workers: int) -> dict[str, object]:
    """One screen in a warm process and a whole process per screen, each tool, with ratios."""
    import compileall

    results: dict[str, object] = {}
    # her2gc's medians before and after the peer's, averaged: load drifts on a shared machine.
    before = _timed(ags_screen, runs)
    peer = _peer(python, "time", str(runs), "1")
    after = _timed(ags_screen, runs)
    wall, cpu = (before[0] + after[0]) / 2, (before[1] + after[1]) / 2
    results |= {
        "her2gc_screen_s": wall,
        "pydruglogics_screen_s": peer["wall_s"],
        "ratio_screen": wall / peer["wall_s"],
        "her2gc_screen_cpu_s": cpu,
        "pydruglogics_screen_cpu_s": peer["cpu_s"],
        "ratio_screen_cpu": cpu / peer["cpu_s"],
        "pydruglogics_first_s": peer["first_s"],
    }
    with concurrent.futures.ProcessPoolExecutor(workers) as pool:
        ags_screen(executor=pool, workers=workers)  # workers started
        pooled, _ = _timed(lambda: ags_screen(executor=pool, workers=workers), runs)
    peer = _peer(python, "time", str(runs), str(workers))
    results |= {
        f"her2gc_screen_{workers}_workers_s": pooled,
        f"pydruglogics_screen_{workers}_workers_s": peer["wall_s"],
        f"ratio_screen_{workers}_workers": pooled / peer["wall_s"],
    }
    compileall.compile_dir(REPO / "src" / "her2gc", quiet=1)  # as a wheel install does
    env = {**os.environ, "PYTHONPATH": str(REPO / "src")}
    her2gc_command = [sys.executable, "-m", "her2gc.cli", "model", "screen", "--bnet", str(AGS_FILES[0]),
                      "--drug-panel", str(AGS_FILES[1]), "--outputs", str(AGS_FILES[2]), "--format", "json"]  # fmt: skip
    peer_command = [python, "-c", PYDRUGLOGICS_SCRIPT, "once", str(AGS)]
    _whole_process(her2gc_command, env), _whole_process(peer_command, env)  # file caches warm
    samples: dict[str, list[tuple[float, float]]] = {"her2gc": [], "pydruglogics": []}
    for _ in range(runs):  # interleaved
        samples["her2gc"].append(_whole_process(her2gc_command, env))
        samples["pydruglogics"].append(_whole_process(peer_command, env))
    for tool, values in samples.items():
        results[f"{tool}_whole_process_s"] = statistics.median(w for w, _ in values)
        results[f"{tool}_whole_process_cpu_s"] = statistics.median(c for _, c in values)
    for cpu in ("", "_cpu"):
        mine, theirs = results[f"her2gc_whole_process{cpu}_s"], results[f"pydruglogics_whole_process{cpu}_s"]
        results[f"ratio_whole_process{cpu}"] = mine / theirs  # type: ignore[operator]
    return results


MABOSS_SCRIPT = r"""
import json, os, sys, tempfile, time
import cmaboss
AGS = sys.argv[1]
drugs = [line.split() for line in open(AGS + "/flobak2015_drugpanel") if line.strip() and not line.startswith("#")]
conditions = [(d,) for d in drugs] + [(a, b) for i, a in enumerate(drugs) for b in drugs[i + 1:]]
rules = [line.split(",", 1) for line in open(AGS + "/ags_flobak2015.bnet").read().splitlines()[1:] if line.strip()]
folder, times = tempfile.mkdtemp(), []
for condition in conditions:
    off = {d[2] for d in condition}
    nodes = []
    for name, rule in rules:
        name = name.strip()
        logic = "0" if name in off else rule.replace("!", " NOT ").replace("&", " AND ").replace("|", " OR ")
        nodes.append(f"Node {name} {{ logic = ({logic}); rate_up = @logic ? 1.0 : 0.0; rate_down = @logic ? 0.0 : 1.0; }}")
    names = [name.strip() for name, _ in rules]
    config = [f"[{n}].istate = 0.5 [0], 0.5 [1];" for n in names] + [f"{n}.is_internal = {0 if 'survival' in n else 1};" for n in names]
    config += ["sample_count = 10000;", "max_time = 50;", "time_tick = 1;", "thread_count = 2;"]
    open(os.path.join(folder, "m.bnd"), "w").write("\n".join(nodes) + "\n")
    open(os.path.join(folder, "m.cfg"), "w").write("\n".join(config) + "\n")
    start = time.perf_counter()
    cmaboss.MaBoSSSim(network=os.path.join(folder, "m.bnd"), config=os.path.join(folder, "m.cfg")).run()
    times.append(time.perf_counter() - start)
print(json.dumps({"maboss_per_condition_s": [min(times), max(times)], "maboss_screen_s": sum(times)}))
"""


def bench_maboss(python: str) -> dict[str, object]:
    """MaBoSS (10,000 trajectories per condition), where the interpreter has cmaboss."""
    completed = subprocess.run(
        [python, "-c", MABOSS_SCRIPT, str(AGS)], check=False, capture_output=True, text=True, timeout=1800
    )
    if completed.returncode != 0:
        return {"maboss": f"not run: {(completed.stderr.strip().splitlines() or ['?'])[-1][:160]}"}
    return json.loads(completed.stdout.strip().splitlines()[-1])  # type: ignore[no-any-return]


def _has(python: str, module: str) -> bool:
    found = subprocess.run([python, "-c", f"import importlib.util as u; print(bool(u.find_spec({module!r})))"],
                           check=True, capture_output=True, text=True)  # fmt: skip
    return found.stdout.strip() == "True"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peers", action="append", default=[], help="a Python interpreter with pydruglogics or maboss/cmaboss"
    )
    parser.add_argument("--runs", type=int, default=7, help="timed repeats of each measure (median reported)")
    parser.add_argument("--workers", type=int, default=2, help="worker processes for the parallel screens")
    options = parser.parse_args()
    start = time.perf_counter()
    import her2gc.network  # noqa: F401

    results: dict[str, object] = {"import_s": time.perf_counter() - start}
    results.update(bench_ags(options.runs))
    results.update(bench_patient())
    if TCGA.exists():
        results.update(bench_tcga())
    for python in options.peers:
        if _has(python, "pydruglogics"):
            results.update(compare_with_pydruglogics(python))
            results.update(bench_pydruglogics(python, options.runs, options.workers))
        if _has(python, "cmaboss"):
            results.update(bench_maboss(python))
    print("| measure | value |\n|---|---|")
    for key, value in results.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"| {key} | {shown} |")


if __name__ == "__main__":
    main()
