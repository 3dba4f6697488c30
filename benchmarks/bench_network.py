"""Speed of the mechanistic model, side by side with peer tools.

    python benchmarks/bench_network.py [--peers PYTHON_WITH_PEERS ...]

Sections (each timed with time.perf_counter; "cold" = engine caches emptied,
imports done; numbers are measured, printed as a Markdown table):
  1. AGS (Flobak 2015) 7-drug screen: 7 singles + 21 pairs via screen_bnet.
  2. HER2 model, one patient, all 27 singles + 351 pairs: cold and cached.
  3. Every ERBB2-amplified TCGA-STAD tumour in ../shared/data/tcga_stad:
     profile from segments (log2 ratio >= 1.0 amplification, <= -1.0 deletion,
     hg19 gene spans below) and non-silent MAF mutations; one screen each.
  4. Peers on the AGS model, run in another interpreter given by --peers (a
     virtualenv with maboss+cmaboss and/or pydruglogics+pyboolnet): MaBoSS
     (10,000 trajectories per condition) and pydruglogics' prediction step
     (GPL; only ever run here, never imported by the product).
"""

from __future__ import annotations

import argparse
import csv
import gzip
import subprocess
import sys
import statistics
import time
from collections import defaultdict
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "data"
AGS = SHARED / "networks" / "ags_flobak2015"
TCGA = SHARED / "tcga_stad"
sys.path.insert(0, str(REPO / "src"))

# hg19 spans (chromosome, start, end) of the model's genes read from copy number.
GENE_SPANS_HG19 = {
    "ERBB2": ("17", 37844167, 37886679),
    "EGFR": ("7", 55086725, 55275031),
    "MET": ("7", 116312459, 116438440),
    "FGFR2": ("10", 123237844, 123357972),
    "CCNE1": ("19", 30302805, 30315215),
    "CDK6": ("7", 92234235, 92465908),
    "KRAS": ("12", 25357723, 25403870),
    "PIK3CA": ("3", 178866145, 178952152),
    "CDK4": ("12", 58141510, 58149796),
    "PTEN": ("10", 89622870, 89731687),
    "RB1": ("13", 48877883, 49056026),
    "ATM": ("11", 108093211, 108239829),
}
SILENT = {"Silent", "Intron", "3'UTR", "5'UTR", "3'Flank", "5'Flank", "IGR", "RNA"}


def _clear_caches() -> None:
    from her2gc.network import engine, her2

    engine._remainder_cache.items.clear()
    engine._percolation_cache.items.clear()
    engine._compiled_models.clear()
    her2._cached_screen.cache_clear()


def bench_ags() -> dict[str, float]:
    from her2gc.network import screen_bnet

    args = (AGS / "ags_flobak2015.bnet", AGS / "flobak2015_drugpanel", AGS / "flobak2015_modeloutputs")
    _clear_caches()
    start = time.perf_counter()
    screen_bnet(*args)
    first = time.perf_counter() - start
    # Cold = every cache cleared, engines already imported: the cost of one screen.
    colds = []
    for _ in range(7):
        _clear_caches()
        start = time.perf_counter()
        screen_bnet(*args)
        colds.append(time.perf_counter() - start)
    start = time.perf_counter()
    screen_bnet(*args)
    return {
        "ags_first_in_process_s": first,
        "ags_cold_s": statistics.median(colds),
        "ags_warm_s": time.perf_counter() - start,
    }


def bench_patient() -> dict[str, float]:
    from her2gc.network import her2_model, screen_profile

    her2_model()
    _clear_caches()
    profile = [("ERBB2", "amp"), ("PIK3CA", "mut"), ("MET", "amp")]
    start = time.perf_counter()
    rows = screen_profile(profile)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    screen_profile(profile)
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
    from her2gc.network import maps_alteration

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
    from her2gc.network import screen_profile

    start = time.perf_counter()
    profiles = tcga_profiles()
    parse = time.perf_counter() - start
    _clear_caches()
    start = time.perf_counter()
    for profile in profiles.values():
        screen_profile(profile)
    screen = time.perf_counter() - start
    distinct = len({tuple(p) for p in profiles.values()})
    return {
        "tcga_tumours": float(len(profiles)),
        "tcga_distinct_profiles": float(distinct),
        "tcga_parse_s": parse,
        "tcga_screen_s": screen,
    }


PEER_SCRIPT = r"""
import itertools, json, sys, time
AGS = sys.argv[1]
drugs = {"PI": "v_PI3K", "PD": "v_MEK", "CT": "v_GSK3", "BI": "v_p38alpha", "PK": "v_betacatenin", "AK": "v_AKT", "5Z": "v_TAK1"}
conditions = [(d,) for d in drugs] + list(itertools.combinations(drugs, 2))
out = {}
try:
    import cmaboss, os, tempfile
    rules = [line.split(",", 1) for line in open(AGS + "/ags_flobak2015.bnet").read().splitlines()[1:] if line.strip()]
    folder = tempfile.mkdtemp()
    times = []
    for condition in conditions:
        off = {drugs[d] for d in condition}
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
    out["maboss_per_condition_s"] = [min(times), max(times)]
    out["maboss_screen_s"] = sum(times)
except Exception as error:
    out["maboss_error"] = repr(error)[:200]
try:
    import logging
    logging.disable(logging.CRITICAL)
    from pydruglogics.input.ModelOutputs import ModelOutputs
    from pydruglogics.input.Perturbations import Perturbation
    from pydruglogics.model.BooleanModel import BooleanModel
    from pydruglogics.model.ModelPredictions import ModelPredictions
    weights = {f"v_Prosurvival_b{i}": 1 for i in (1, 2, 3)} | {f"v_Antisurvival_b{i}": -1 for i in (1, 2, 3)}
    model = BooleanModel(file=AGS + "/ags_flobak2015.bnet", attractor_tool="mpbn", attractor_type="trapspaces", model_name="ags")
    start = time.perf_counter()
    predictions = ModelPredictions(boolean_models=[model], perturbations=Perturbation(drug_data=[[d, t, "inhibits"] for d, t in drugs.items()]),
                                   model_outputs=ModelOutputs(input_dictionary=weights), synergy_method="hsa")
    predictions.run_simulations(parallel=False)
    out["pydruglogics_predict_s"] = time.perf_counter() - start
except Exception as error:
    out["pydruglogics_error"] = repr(error)[:200]
print(json.dumps(out))
"""


def bench_peers(python: str) -> dict[str, object]:
    import json

    completed = subprocess.run(
        [python, "-c", PEER_SCRIPT, str(AGS)], check=False, capture_output=True, text=True, timeout=1800
    )
    return (
        json.loads(completed.stdout.strip().splitlines()[-1])
        if completed.stdout.strip()
        else {"peer_error": completed.stderr[-300:]}
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--peers",
        action="append",
        default=[],
        help="a Python interpreter with maboss/cmaboss or pydruglogics installed",
    )
    options = parser.parse_args()
    start = time.perf_counter()
    import her2gc.network  # noqa: F401

    results: dict[str, object] = {"import_s": time.perf_counter() - start}
    results.update(bench_ags())
    results.update(bench_patient())
    if TCGA.exists():
        results.update(bench_tcga())
    for python in options.peers:
        results.update(bench_peers(python))
    print("| measure | value |\n|---|---|")
    for key, value in results.items():
        shown = f"{value:.4f}" if isinstance(value, float) else str(value)
        print(f"| {key} | {shown} |")


if __name__ == "__main__":
    main()
