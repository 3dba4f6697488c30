"""Shared pieces of the cohort tests: the real data folder, small cohorts, a run helper."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
DATA_CANDIDATES = (REPO / ".." / "shared" / "data", Path("/work/shared/data"))


def real_data_folder() -> Path | None:
    for candidate in DATA_CANDIDATES:
        if candidate.is_dir():
            return candidate.resolve()
    return None


@pytest.fixture(scope="session")
def real_data() -> Path:
    folder = real_data_folder()
    if folder is None:
        pytest.skip(
            f"real data not found at {DATA_CANDIDATES[0]} (../shared/data beside the repo) nor at {DATA_CANDIDATES[1]}"
        )
    return folder


# Three alteration profiles only, so that the model step screens a handful of profiles.
PROFILES: list[list[dict[str, Any]]] = [
    [],
    [{"gene": "MET", "kind": "amp", "copy_number": 12, "source": "tissue"}],
    [{"gene": "PIK3CA", "kind": "mut", "protein_change": "p.H1047R", "vaf": 0.2, "source": "tissue"}],
]


def small_case(index: int) -> dict[str, Any]:
    """A valid case whose id does not follow input order (so the outputs must be sorted)."""
    score = ["0", "1+", "2+", "3+"][index % 4]
    test: dict[str, Any] = {"specimen": "biopsy", "setting": "diagnosis", "ihc": {"score": score}}
    if score == "2+":
        test["ish"] = {"ratio": 2.5 if index % 8 == 2 else 1.4}
    case: dict[str, Any] = {
        "schema": "her2gc.case/1",
        "patient_id": f"P{(index * 7919) % 100003:06d}",
        "tumour": {"site": "stomach", "histology": "adenocarcinoma"},
        "her2_tests": [test],
        "pdl1": {"cps": [0, 1, 5, 10][index % 4]},
        "msi": "MSS",
        "alterations": PROFILES[index % len(PROFILES)],
    }
    if index % 5 == 0:
        case["treatment_history"] = [
            {
                "line": 1,
                "drugs": ["trastuzumab", "capecitabine", "oxaliplatin"],
                "best_response": "PR",
                "stop_reason": "progression",
            }
        ]
    return case


def write_jsonl(path: Path, count: int, bad: dict[int, str] | None = None) -> Path:
    """``count`` cases, one per line; ``bad`` replaces some lines by the text given."""
    with path.open("w", encoding="utf-8") as handle:
        for index in range(count):
            text = (bad or {}).get(index)
            handle.write((text if text is not None else json.dumps(small_case(index))) + "\n")
    return path


@pytest.fixture(scope="session")
def kb() -> Any:
    import her2gc

    return her2gc.load_kb()


@pytest.fixture
def run(kb: Any) -> Callable[..., Any]:
    """``run(input, outdir, **options)``: run_cohort in this process, quietly."""
    from her2gc.cohort.runner import RunOptions, run_cohort

    def go(input_path: Path, outdir: Path, **options: Any) -> Any:
        messages: list[str] = []
        options.setdefault("progress", False)
        result = run_cohort(RunOptions(input=input_path, outdir=outdir, **options), kb, echo=messages.append)
        result.messages = messages
        return result

    return go


def read_bytes(folder: Path) -> dict[str, bytes]:
    return {name: (folder / name).read_bytes() for name in ("patients.tsv", "reports.jsonl")}


@pytest.fixture
def no_dask_warnings() -> Iterator[None]:
    import logging

    logger = logging.getLogger("distributed")
    level = logger.level
    logger.setLevel(logging.ERROR)
    yield
    logger.setLevel(level)


@pytest.fixture(scope="session")
def genomics(kb: Any) -> Any:
    return kb.genomics
