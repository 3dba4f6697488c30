"""The runtime: what it keeps between evaluations never changes a report."""

from __future__ import annotations

import json
from pathlib import Path

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.render import to_json
from her2gc.runtime import Runtime
from support import kb

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "her2_positive_second_line.yaml"


def _report(runtime: Runtime) -> str:
    case = her2gc.read_case(EXAMPLE, kb())
    return to_json(her2gc.evaluate(case, kb(), EvaluationOptions(), runtime=runtime))


def test_model_screens_kept_on_disk_give_the_same_report(tmp_path: Path) -> None:
    first = _report(Runtime(disk_cache=tmp_path))
    [stored] = list(tmp_path.glob("*.json"))
    again = _report(Runtime(disk_cache=tmp_path))  # a new process would start here: read from disk
    assert again == first == _report(Runtime())
    assert stored.stat().st_size > 0


def test_an_edited_stored_screen_is_ignored_and_rewritten(tmp_path: Path) -> None:
    first = _report(Runtime(disk_cache=tmp_path))
    [stored] = list(tmp_path.glob("*.json"))
    wrapper = json.loads(stored.read_text())
    wrapper["data"]["summary"] = "edited"  # by hand: the digest no longer matches
    stored.write_text(json.dumps(wrapper))
    assert _report(Runtime(disk_cache=tmp_path)) == first
    assert json.loads(stored.read_text())["data"]["summary"] != "edited"  # rewritten


def test_a_screen_stored_by_other_model_code_is_not_reused(tmp_path: Path, monkeypatch) -> None:
    """The disk key carries a digest of the model step's and the network library's code: a
    development build with the same version string never reads another build's screens."""
    import her2gc.model as model_step

    _report(Runtime(disk_cache=tmp_path))
    monkeypatch.setattr(model_step, "_screen_code", lambda runtime: "other-build")
    runtime = Runtime(disk_cache=tmp_path)
    _report(runtime)
    assert runtime.computed["model_section"] == 1  # screened again, not read from the first file
    assert len(list(tmp_path.glob("*.json"))) == 2


def test_a_runtime_serves_two_knowledge_bases_apart() -> None:
    runtime = Runtime()
    assert runtime.memo(("x", "kb-a"), lambda: 1) == 1
    assert runtime.memo(("x", "kb-b"), lambda: 2) == 2
    assert runtime.memo(("x", "kb-a"), lambda: 3) == 1
