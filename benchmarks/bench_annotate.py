"""Benchmark: annotate the whole TCGA STAD cohort (MAF, 178,508 rows, plus segments).

Reports the median over ``--runs`` of: MAF rows per second after the file is read (the
compute half of the reader: classes, genes, protein changes, hotspots, VAF), MAF read
seconds (decompress + parse), segment seconds, annotate seconds and end-to-end seconds
(both files read, called and annotated), and the peak resident memory of the process.

    PYTHONPATH=src python benchmarks/bench_annotate.py --runs 5

Reads ../shared/data (beside the repository); exits with a message when it is absent.
"""

from __future__ import annotations

import argparse
import platform
import resource
import statistics
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
DATA = REPO.parent / "shared" / "data" / "tcga_stad"


def one_run(maf_path: Path, seg_path: Path) -> dict[str, float]:
    from her2gc.formats.annotate import annotate_results
    from her2gc.formats.maf import maf_alterations, read_maf_table
    from her2gc.formats.seg import read_seg
    from her2gc.formats.tabular import ReadReport

    start = time.perf_counter()
    report = ReadReport()
    raw = read_maf_table(maf_path, report)
    read_done = time.perf_counter()
    maf = maf_alterations(raw, report)
    maf_done = time.perf_counter()
    seg = read_seg(seg_path)
    seg_done = time.perf_counter()
    table = annotate_results([maf, seg], warnings=[])
    end = time.perf_counter()
    return {
        "maf_input_rows": float(raw.table.num_rows),
        "maf_read_s": read_done - start,
        "maf_compute_s": maf_done - read_done,
        "seg_s": seg_done - maf_done,
        "annotate_s": end - seg_done,
        "end_to_end_s": end - start,
        "output_rows": float(table.num_rows),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    maf_path, seg_path = DATA / "data_mutations.txt.gz", DATA / "data_cna_hg19.seg.gz"
    if not maf_path.is_file() or not seg_path.is_file():
        print(f"TCGA STAD data not found under {DATA}; nothing to benchmark", file=sys.stderr)
        return 1
    imported = time.perf_counter()
    one_run(maf_path, seg_path)  # warm-up: imports, knowledge-base YAML, pyarrow kernels
    warm_up = time.perf_counter() - imported
    runs = [one_run(maf_path, seg_path) for _ in range(args.runs)]
    median = {key: statistics.median(run[key] for run in runs) for key in runs[0]}
    rows = median["maf_input_rows"]
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux
    print(
        f"machine: {platform.processor() or platform.machine()}, Python {platform.python_version()}, runs: {args.runs} (median)"
    )
    print(f"MAF data rows                      {rows:,.0f}")
    print(f"MAF rows/s after read              {rows / median['maf_compute_s']:,.0f}")
    print(f"MAF read (gunzip + parse) s        {median['maf_read_s']:.3f}")
    print(f"MAF compute s                      {median['maf_compute_s']:.3f}")
    print(f"segments (read + gene calls) s     {median['seg_s']:.3f}")
    print(f"annotate (mechanisms + concat) s   {median['annotate_s']:.3f}")
    print(f"end to end s                       {median['end_to_end_s']:.3f}")
    print(f"first run incl. warm-up s          {warm_up:.3f}")
    print(f"output rows                        {median['output_rows']:,.0f}")
    print(f"peak RSS MiB                       {peak_mib:.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
