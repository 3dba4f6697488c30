"""The report's plots: time to render each of the three for the shipped example, warm.

Run: python benchmarks/bench_plots.py [--runs 21] [--case examples/her2_positive_second_line.yaml]

Warm means matplotlib is imported, its font cache built and the model loaded, as in a
running service: the first render of each plot is timed apart ("first") and excluded
from the medians. The network picture includes the Graphviz ``dot`` process it starts.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))


def _timed(render: Callable[[], object]) -> float:
    start = time.perf_counter()
    render()
    return (time.perf_counter() - start) * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--case", type=Path, default=REPO / "examples" / "her2_positive_second_line.yaml")
    args = parser.parse_args()

    import her2gc
    from her2gc.network.bnet import load_bnet
    from her2gc.render.plots import ctdna_trend_svg, network_svg, treatment_timeline_svg

    kb = her2gc.load_kb()
    case = her2gc.read_case(args.case, kb)
    report = her2gc.evaluate(case, kb)
    model = load_bnet(kb.model_bnet)
    plots: dict[str, Callable[[], object]] = {
        "ctDNA trend": lambda: ctdna_trend_svg(case, report),
        "treatment timeline": lambda: treatment_timeline_svg(case, report),
        "network picture": lambda: network_svg(report, case, model=model, annotations=kb.model),
    }
    sizes = {
        "ctDNA trend": len(ctdna_trend_svg(case, report) or ""),
        "treatment timeline": len(treatment_timeline_svg(case, report) or ""),
        "network picture": len(network_svg(report, case, model=model, annotations=kb.model).svg or ""),
    }
    first = {name: _timed(render) for name, render in plots.items()}
    times: dict[str, list[float]] = {name: [] for name in plots}
    totals = []
    for _ in range(args.runs):
        total = 0.0
        for name, render in plots.items():
            elapsed = _timed(render)
            times[name].append(elapsed)
            total += elapsed
        totals.append(total)
    print(f"case: {args.case.name}; {args.runs} warm runs; Python {sys.version.split()[0]}")
    print(f"{'plot':<20} {'median ms':>10} {'min ms':>8} {'max ms':>8} {'first ms':>9} {'bytes':>8}")
    for name in plots:
        values = times[name]
        print(
            f"{name:<20} {statistics.median(values):>10.1f} {min(values):>8.1f} {max(values):>8.1f}"
            f" {first[name]:>9.1f} {sizes[name]:>8}"
        )
    print(f"{'all three':<20} {statistics.median(totals):>10.1f} {min(totals):>8.1f} {max(totals):>8.1f}")


if __name__ == "__main__":
    main()
