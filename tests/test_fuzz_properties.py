"""Property tests with the fuzz run's mutations (bounded): a mutated case file or sequencing
file is read, or refused with one short line naming it; a file that is read accounts for
every row (read = used + skipped)."""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path
from typing import Any

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import her2gc
from her2gc.readers import read_cna, read_ctdna, read_maf, read_seg, read_vcf
from support import kb

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
import fuzz

SEEDS = [json.loads(json.dumps(yaml.safe_load(p.read_text()), default=str)) for p in fuzz.SEED_CASES[:8]]
READERS: dict[str, Any] = {"maf": read_maf, "vcf": read_vcf, "cna": read_cna, "seg": read_seg, "ctdna": read_ctdna}


def _refused_well(exc: her2gc.InputError, name: str) -> bool:
    line = exc.one_line()
    return "\n" not in line and len(line) <= fuzz.MAX_LINE and name in line


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False))
def test_mutated_case_files_are_read_or_refused_in_one_line(rng: random.Random, tmp_path_factory: Any) -> None:
    data, suffix = fuzz.mutate_case(rng, rng.choice(SEEDS))
    path = tmp_path_factory.mktemp("fuzz") / f"case{suffix}"
    path.write_bytes(data)
    try:
        her2gc.read_case(path, kb())
    except her2gc.InputError as exc:
        assert _refused_well(exc, path.name), exc.one_line()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rng=st.randoms(use_true_random=False), kind=st.sampled_from(sorted(k for k, v in fuzz.SEQUENCING.items() if v)))
def test_mutated_sequencing_files_lose_no_row(rng: random.Random, kind: str, tmp_path_factory: Any) -> None:
    seed = rng.choice(fuzz.SEQUENCING[kind])
    path = tmp_path_factory.mktemp("fuzz") / f"mutated_{seed.name}"
    path.write_bytes(fuzz.mutate_table(rng, seed.read_bytes()))
    try:
        result = READERS[kind](path, kb().genomics)
    except her2gc.InputError as exc:
        assert _refused_well(exc, path.name), exc.one_line()
        return
    used = result.report.rows_read - result.report.skipped_total
    assert used >= 0
    if kind == "maf":
        assert result.table.num_rows == used
