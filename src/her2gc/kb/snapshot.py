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

from her2gc import __version__
from her2gc.kb import schema, schema_genomics, schema_resistance, schema_rules

FORMAT = 2
_TAG = "__model__"


def _registry(modules: tuple[ModuleType, ...]) -> dict[str, type[BaseModel]]:
    """The only classes a snapshot may name: the schema classes of the knowledge base."""
    return {
        f"{cls.__module__}:{cls.__qualname__}": cls
        for module in modules
        for cls in vars(module).values()
        if isinstance(cls, type) and issubclass(cls, BaseModel) and cls.__module__ == module.__name__
    }


CLASSES = _registry((schema, schema_rules, schema_resistance, schema_genomics))


def _schema_fingerprint() -> str:
    """Changes whenever a schema class gains, loses or renames a field."""
    text = ";".join(f"{name}:{','.join(cls.model_fields)}" for name, cls in sorted(CLASSES.items()))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _header(sha256: str) -> dict[str, Any]:
    return {"format": FORMAT, "package_version": __version__, "schema": _schema_fingerprint(), "kb_sha256": sha256}


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
        {"__dict__": entry, "__pydantic_fields_set__": set(entry), "__pydantic_extra__": None, "__pydantic_private__": None}
    )
    return instance


def _path(sha256: str) -> Path | None:
    directory = cache_dir()
    return None if directory is None else directory / f"kb-{__version__}-{sha256[:32]}.json"


def read(sha256: str) -> dict[str, Any] | None:
    """The entries of the snapshot for these files, or None (absent, stale or unreadable).

    The first line is the header; the entries are only parsed when it matches.
    """
    path = _path(sha256)
    if path is None or not path.is_file():
        return None
    try:
        with path.open(encoding="utf-8") as handle:
            if json.loads(handle.readline()) != _header(sha256):
                return None
            parts = json.loads(handle.read(), object_hook=_restore)
    except (OSError, ValueError, KeyError, TypeError):
        return None
    return parts if isinstance(parts, dict) else None


def write(sha256: str, parts: Mapping[str, Any]) -> None:
    """Write the snapshot atomically; a read-only or full disk only costs speed."""
    path = _path(sha256)
    if path is None:
        return
    import tempfile

    header = json.dumps(_header(sha256))
    entries = _encode(dict(parts))
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with tempfile.NamedTemporaryFile("w", encoding="utf-8", dir=path.parent, delete=False, suffix=".tmp") as handle:
            handle.write(header + "\n")
            json.dump(entries, handle, ensure_ascii=False, separators=(",", ":"))
        os.replace(handle.name, path)
    except OSError:
        return
