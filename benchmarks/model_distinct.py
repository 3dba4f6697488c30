"""How much the model's hypotheses depend on the patient: distinct top-5 lists among the
ERBB2-amplified TCGA STAD tumours, before (absolute score, every drug pair) and after
(effect relative to the untreated tumour and the HER2-positive reference, no two drugs of one
class or target).

    python benchmarks/model_distinct.py     # reads ../shared/data/tcga_stad
"""

from __future__ import annotations

import sys
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from bench_network import TCGA, tcga_profiles


def main() -> int:
    if not TCGA.exists():
        print(f"TCGA STAD data not found at {TCGA}; nothing measured")
        return 0
    from her2gc.kb.loader import load_kb
    from her2gc.model import _profile_section, annotated_model
    from her2gc.runtime import Runtime

    kb = load_kb()
    runtime = Runtime()
    model = annotated_model(kb, runtime)
    profiles = tcga_profiles()
    before: Counter[tuple[tuple[str, ...], ...]] = Counter()
    after: Counter[tuple[tuple[str, ...], ...]] = Counter()
    summaries: Counter[str] = Counter()
    for profile in profiles.values():
        rows = sorted(model.screen_profile(profile), key=lambda r: (-r.score, len(r.drugs), list(r.drugs)))
        before[tuple(r.drugs for r in rows[:5])] += 1
        section = _profile_section(tuple(sorted(profile)), 5, kb, runtime)
        listed = [*section.predictions, *section.predicted_losses]
        after[tuple(tuple(p["drugs"]) for p in listed)] += 1
        summaries[(section.summary or "").split(" (e.g.")[0].split(": ")[0]] += 1
    print(f"tumours: {len(profiles)}; distinct alteration profiles: {len({tuple(p) for p in profiles.values()})}")
    print(f"distinct top-5 lists, before (absolute score): {len(before)}")
    print(f"distinct hypothesis lists, after (relative effect, restoring pairs, predicted losses): {len(after)}")
    for text, count in summaries.most_common():
        print(f"  {count:3d}  {text}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
