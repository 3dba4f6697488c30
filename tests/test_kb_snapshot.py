"""The validated snapshot: the same knowledge base as the files, and never trusted when it
does not match them."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.kb import loader, snapshot
from her2gc.kb.yamlio import DATA_DIR
from her2gc.render import to_json

CASES = sorted(p for p in (Path(__file__).parent / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
KINDS = ("sources", "drugs", "regimens", "trials", "genes")


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HER2GC_CACHE_DIR", str(tmp_path))
    return tmp_path


def _fresh_and_snapshot(cache: Path) -> tuple[Any, Any]:
    fresh, parts = loader._load_checked(DATA_DIR)
    snapshot.write(fresh.sha256, parts)
    restored, refused = snapshot.read(fresh.sha256)
    assert restored is not None and refused is None
    return fresh, loader._assemble(restored, DATA_DIR, fresh.sha256)


def test_snapshot_rebuilds_the_same_entries(cache: Path) -> None:
    fresh, from_snapshot = _fresh_and_snapshot(cache)
    for kind in KINDS:
        assert getattr(fresh, kind) == getattr(from_snapshot, kind), kind
    assert fresh.resistance.mechanisms == from_snapshot.resistance.mechanisms
    assert fresh.her2_rules == from_snapshot.her2_rules and fresh.safety == from_snapshot.safety
    assert fresh.counts == from_snapshot.counts


def test_restored_entries_are_frozen_schema_instances(cache: Path) -> None:
    _, from_snapshot = _fresh_and_snapshot(cache)
    drug = from_snapshot.drugs["trastuzumab"]
    assert type(drug) is snapshot.CLASSES["her2gc.kb.schema:Drug"]
    assert drug.model_fields_set == set(type(drug).model_fields)
    with pytest.raises(ValidationError):
        drug.id = "other"  # type: ignore[misc]
    assert type(drug).model_validate(drug.model_dump()) == drug


def test_snapshot_gives_byte_identical_reports(cache: Path) -> None:
    fresh, from_snapshot = _fresh_and_snapshot(cache)
    options = EvaluationOptions(with_model=False)
    for path in CASES:
        case = her2gc.read_case(path)
        assert to_json(her2gc.evaluate(case, fresh, options)) == to_json(
            her2gc.evaluate(case, from_snapshot, options)
        ), path.name


def _with_header(header: dict[str, Any], entries: str) -> str:
    return json.dumps(header) + "\n" + entries


@pytest.mark.parametrize(
    "corrupt",
    [
        lambda header, entries: "not json {",
        lambda header, entries: _with_header(header, "not json {"),
        lambda header, entries: _with_header({**header, "kb_sha256": "0" * 64}, entries),
        lambda header, entries: _with_header({**header, "schema": "other"}, entries),
        lambda header, entries: _with_header({**header, "format": 1}, entries),
        lambda header, entries: _with_header(header, json.dumps({"sources": [{"__model__": "os:system"}]})),
        lambda header, entries: _with_header(header, "[]"),
        lambda header, entries: json.dumps({"header": header, "parts": json.loads(entries)}),
    ],
)
def test_foreign_or_stale_snapshot_is_ignored(cache: Path, corrupt: Any) -> None:
    fresh, parts = loader._load_checked(DATA_DIR)
    snapshot.write(fresh.sha256, parts)
    [path] = list(cache.glob("kb-*.json"))
    header_line, entries = path.read_text(encoding="utf-8").split("\n", 1)
    path.write_text(corrupt(json.loads(header_line), entries), encoding="utf-8")
    parts, _ = snapshot.read(fresh.sha256)
    assert parts is None


def _run(code: str, cache: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HER2GC_CACHE_DIR": str(cache)}
    return subprocess.run(
        [sys.executable, "-c", code], check=False, capture_output=True, text=True, env=env, timeout=120
    )


EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "her2_positive_second_line.yaml"
HER2_CALL = (
    "import her2gc; kb = her2gc.load_kb(); "
    f"r = her2gc.evaluate(her2gc.read_case({str(EXAMPLE)!r}, kb), kb, her2gc.EvaluationOptions(with_model=False)); "
    "print(r.her2.binary, r.generated_by.kb_sha256)"
)


def test_an_edited_number_in_the_snapshot_is_detected_and_repaired(cache: Path) -> None:
    """The reproducer: the ISH ratio threshold edited in the cached snapshot must not change a call."""
    first = _run(HER2_CALL, cache)
    assert first.returncode == 0, first.stderr
    [path] = list(cache.glob("kb-*.json"))
    text = path.read_text(encoding="utf-8")
    assert '"ratio_threshold":2.0' in text
    path.write_text(text.replace('"ratio_threshold":2.0', '"ratio_threshold":9.0'), encoding="utf-8")
    second = _run(HER2_CALL, cache)
    assert second.returncode == 0, second.stderr
    assert second.stdout == first.stdout  # still HER2 positive, same kb sha256
    assert "does not match its digest" in second.stderr and second.stderr.count("\n") == 1
    third = _run(HER2_CALL, cache)
    assert third.stderr == ""  # repaired: said once, then the rebuilt snapshot is used


def test_a_wrongly_shaped_snapshot_body_is_rebuilt_not_fatal(cache: Path) -> None:
    assert _run(HER2_CALL, cache).returncode == 0
    [path] = list(cache.glob("kb-*.json"))
    header_line, _ = path.read_text(encoding="utf-8").split("\n", 1)
    body = json.dumps({"sources": 1}).encode()
    header = {**json.loads(header_line), "body_sha256": hashlib.sha256(body).hexdigest()}
    path.write_bytes(json.dumps(header).encode() + b"\n" + body)
    again = _run(HER2_CALL, cache)
    assert again.returncode == 0, again.stderr
    assert "wrong shape" in again.stderr
    assert _run(HER2_CALL, cache).stderr == ""


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HER2GC_CACHE_DIR", "off")
    assert snapshot.cache_dir() is None
