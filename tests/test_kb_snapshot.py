"""The validated snapshot: the same knowledge base as the files, and never trusted when it
does not match them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from pydantic import ValidationError

import her2gc
from her2gc.engine import EvaluationOptions
from her2gc.formats.render import to_json
from her2gc.kb import loader, snapshot
from her2gc.kb.yamlio import DATA_DIR

CASES = sorted(p for p in (Path(__file__).parent / "cases").rglob("*.yaml") if not p.name.endswith(".expected.yaml"))
KINDS = ("sources", "drugs", "regimens", "trials", "genes")


@pytest.fixture()
def cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv("HER2GC_CACHE_DIR", str(tmp_path))
    return tmp_path


def _fresh_and_snapshot(cache: Path) -> tuple[Any, Any]:
    fresh, parts = loader._load_checked(DATA_DIR)
    snapshot.write(fresh.sha256, parts)
    restored = snapshot.read(fresh.sha256)
    assert restored is not None
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
        assert to_json(her2gc.evaluate(case, fresh, options)) == to_json(her2gc.evaluate(case, from_snapshot, options)), path.name


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
    assert snapshot.read(fresh.sha256) is None


def test_cache_can_be_switched_off(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HER2GC_CACHE_DIR", "off")
    assert snapshot.cache_dir() is None
