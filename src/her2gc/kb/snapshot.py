"""A validated snapshot of the packaged knowledge base, to start fast.

Loading the YAML files and validating every entry costs about as much as everything
else a command does. After a full, validated load (schemas and cross-references), the
entries are written as JSON to the user's cache directory under the knowledge base's
sha256; later processes with the same files rebuild the same objects from it without
re-validating. Any mismatch (other files, other package version, unreadable or foreign
content) falls back to the full load. The snapshot is plain JSON, only ever turned into
instances of the knowledge-base schema classes, never executed.

``HER2GC_CACHE_DIR`` chooses the directory; ``HER2GC_CACHE_DIR=off`` disables it.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Mapping
from pathlib import Path
from types import ModuleType
from typing import Any

from pydantic import BaseModel

from her2gc._version import __version__
from her2gc.kb import schema, schema_fhir, schema_genomics, schema_model, schema_resistance, schema_rules

FORMAT = 3
_TAG = "__model__"


def _registry(modules: tuple[ModuleType, ...]) -> dict[str, type[BaseModel]]:
    """The only classes a snapshot may name: the schema classes of the knowledge base."""
    return {
        f"{cls.__module__}:{cls.__qualname__}": cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__
    }


CLASSES = _registry((schema, schema_rules, schema_resistance, schema_genomics, schema_model, schema_fhir))


def _schema_fingerprint() -> str:
    """Changes whenever a schema class gains, loses or renames a field."""
    text = ";".join(f"{name}:{','.join(cls.model_fields)}" for name, cls in sorted(CLASSES.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _header(sha256: str, body_sha256: str) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "package_version": __version__,
        "schema": _schema_fingerprint(),
        "kb_sha256": sha256,
        "body_sha256": body_sha256,
    }


def cache_dir() -> Path | None:
    """Where snapshots live, or None when caching is off."""
    chosen = os.environ.get("HER2GC_CACHE_DIR")
    if chosen is not None:
        return None if chosen.strip().lower() in ("", "off", "0", "none") else Path(chosen)
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "her2gc"


def _encode(value: Any) -> Any:
    if isinstance(value, BaseModel):
        encoded = {_TAG: f"{type(value).__module__}:{type(value).__qualname__}"}
        encoded.update({name: _encode(getattr(value, name)) for name in type(value).model_fields})
        return encoded
    if isinstance(value, (list, tuple)):
        return [_encode(item) for item in value]
    if isinstance(value, dict):
        return {key: _encode(item) for key, item in value.items()}
    return value


def _restore(entry: dict[str, Any]) -> Any:
    """json's object hook: a tagged object becomes an instance of its schema class.

    It was validated before it was written, so it is restored without validating again,
    through the pickle protocol pydantic keeps stable (``__setstate__``); unlike
    ``model_construct`` it does not look at each field again.
    """
    tag = entry.pop(_TAG, None)
    if tag is None:
        return entry
    cls = CLASSES[tag]
    instance = cls.__new__(cls)
    instance.__setstate__(
        {
            "__dict__": entry,
            "__pydantic_fields_set__": set(entry),
            "__pydantic_extra__": None,
            "__pydantic_private__": None,
        }
    )
    return instance


def _path(sha256: str) -> Path | None:
    directory = cache_dir()
    return None if directory is None else directory / f"kb-{__version__}-{sha256[:32]}.json"


def read(sha256: str) -> tuple[dict[str, Any] | None, str | None]:
    """(the entries of the snapshot for these files, or None; why an existing one was refused).

    The first line is the header; it carries the sha256 of the body, which is checked
    before anything is parsed, so a snapshot edited by hand or cut short is refused
    (and then rebuilt from the validated files by the caller).
    """
    path = _path(sha256)
    if path is None or not path.is_file():
        return None, None
    try:
        data = path.read_bytes()
    except OSError:
        return None, None
    newline = data.find(b"\n")
    if newline < 0:
        return None, f"{path}: no header"
    body = data[newline + 1 :]
    try:
        header = json.loads(data[:newline])
    except ValueError:
        return None, f"{path}: unreadable header"
    expected = _header(sha256, "")
    if not isinstance(header, dict) or any(header.get(k) != v for k, v in expected.items() if k != "body_sha256"):
        return None, None  # another version's or schema's snapshot: not ours to judge, just replaced
    if header.get("body_sha256") != hashlib.sha256(body).hexdigest():
        return None, f"{path}: content does not match its digest (edited or damaged)"
    try:
        parts = json.loads(body, object_hook=_restore)
    except (ValueError, KeyError, TypeError, AttributeError):
        return None, f"{path}: wrongly shaped content"
    if not isinstance(parts, dict):
        return None, f"{path}: wrongly shaped content"
    return parts, None


def write(sha256: str, parts: Mapping[str, Any]) -> None:
    """Write the snapshot atomically; a read-only or full disk only costs speed."""
    path = _path(sha256)
    if path is None:
        return
    import tempfile

    body = json.dumps(_encode(dict(parts)), ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    header = json.dumps(_header(sha256, hashlib.sha256(body).hexdigest())).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("wb", dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(header + b"\n" + body)
        os.replace(handle.name, path)
    except OSError:
        return
