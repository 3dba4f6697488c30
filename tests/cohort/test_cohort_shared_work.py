"""What a cohort run shares between patients changes no byte: report lines, therapy facts,
model screens by node settings, and the merge of partitions that are not in id order."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import orjson

import her2gc
from her2gc.cohort.report_lines import ReportLines
from her2gc.runtime import Runtime

from .conftest import small_case, write_jsonl


def _json(report: Any) -> bytes:
    return orjson.dumps(report.to_json_dict(), option=orjson.OPT_SORT_KEYS)


def _variants() -> list[dict[str, Any]]:
    """Cases that share facts with one another, and cases that differ from them in a detail."""
    base = small_case(3)  # HER2 IHC 3+, CPS 10
    cases = [copy.deepcopy(base) for _ in range(2)]
    cases[1]["patient_id"] = "P-SAME-FACTS"
    zero, negative_zero = copy.deepcopy(base), copy.deepcopy(base)
    zero["patient_id"], zero["pdl1"] = "P-CPS-ZERO", {"cps": 0.0}
    negative_zero["patient_id"], negative_zero["pdl1"] = "P-CPS-NEG-ZERO", {"cps": -0.0}
    # CDH1 and ARID1A mutations are not represented in the logical model: the model's screen
    # is shared with the case without them, the trace still names them.
    unmapped = copy.deepcopy(base)
    unmapped["patient_id"] = "P-UNMAPPED"
    unmapped["alterations"] = [
        {"gene": "CDH1", "kind": "mut", "protein_change": "p.D254Y", "vaf": 0.2, "source": "tissue"},
        {"gene": "ARID1A", "kind": "mut", "protein_change": "p.Q372*", "vaf": 0.3, "source": "tissue"},
    ]
    others = [small_case(i) for i in range(12)]
    return [*cases, zero, negative_zero, unmapped, *others, *cases]


def test_a_shared_runtime_gives_each_report_of_a_fresh_one(kb: Any) -> None:
    options = her2gc.EvaluationOptions(region="US")
    shared = Runtime()
    lines = ReportLines()
    for data in _variants():
        case = her2gc.Case.model_validate(data)
        alone = her2gc.evaluate(case, kb, options, runtime=Runtime())
        together = her2gc.evaluate(case, kb, options, runtime=shared)
        assert _json(together) == _json(alone), data["patient_id"]
        assert lines.line(together) == _json(alone), "a report line is the report's JSON, compact, keys sorted"


def test_negative_zero_cps_is_written_as_given(kb: Any) -> None:
    options = her2gc.EvaluationOptions(region="US")
    shared = Runtime()
    texts = {}
    for data in _variants()[2:4]:
        report = her2gc.evaluate(her2gc.Case.model_validate(data), kb, options, runtime=shared)
        texts[data["patient_id"]] = json.dumps([t.inputs for t in report.trace if "pdl1_cps" in t.inputs])
    assert '"pdl1_cps": 0.0' in texts["P-CPS-ZERO"]
    assert '"pdl1_cps": -0.0' in texts["P-CPS-NEG-ZERO"]


def test_profiles_that_set_the_model_alike_share_one_screen(kb: Any) -> None:
    options = her2gc.EvaluationOptions(region="US")
    shared = Runtime()
    base, unmapped = _variants()[0], _variants()[4]
    first = her2gc.evaluate(her2gc.Case.model_validate(base), kb, options, runtime=shared)
    second = her2gc.evaluate(her2gc.Case.model_validate(unmapped), kb, options, runtime=shared)
    assert shared.computed["model_section"] == 1, "one screen for both profiles"
    inputs = second.model.trace[0].inputs
    assert inputs["not_in_model"] == ["ARID1A mut", "CDH1 mut"]
    assert first.model.trace[0].inputs["not_in_model"] == []
    assert second.model.predictions == first.model.predictions


def _case_folder(folder: Path, count: int) -> Path:
    """Case files named so that path order is the reverse of patient-id order."""
    folder.mkdir()
    cases = sorted((small_case(i) for i in range(count)), key=lambda c: c["patient_id"], reverse=True)
    for position, case in enumerate(cases):
        (folder / f"case_{position:03d}.json").write_text(json.dumps(case), encoding="utf-8")
    return folder


def test_partitions_out_of_id_order_are_merged_in_id_order(tmp_path: Path, run) -> None:
    folder = run(_case_folder(tmp_path / "cases", 80), tmp_path / "folder", region="US", workers=2).outdir
    jsonl = run(write_jsonl(tmp_path / "cases.jsonl", 80), tmp_path / "jsonl", region="US", workers=2).outdir
    assert json.loads((folder / "run.json").read_text())["execution"]["merge"] == "k-way merge"
    assert json.loads((jsonl / "run.json").read_text())["execution"]["merge"] == "concatenated"
    assert (folder / "reports.jsonl").read_bytes() == (jsonl / "reports.jsonl").read_bytes()
    ids = [line.split("\t")[0] for line in (folder / "patients.tsv").read_text(encoding="utf-8").splitlines()[1:]]
    assert ids == sorted(ids) and len(ids) == 80
