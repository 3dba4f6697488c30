"""Schema validation of knowledge-base files: one place, one message shape."""

from __future__ import annotations

from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from her2gc.errors import KnowledgeBaseError
from her2gc.kb.yamlio import YamlSyntaxError, read_yaml

M = TypeVar("M", bound=BaseModel)


def read_file(path: Path) -> Any:
    """A knowledge-base YAML file, parsed; KnowledgeBaseError naming the file when unreadable."""
    try:
        return read_yaml(path)
    except (OSError, YamlSyntaxError) as exc:
        raise KnowledgeBaseError(f"{path.name}: cannot be read ({' '.join(str(exc).split())})") from None


def validate(model: type[M], data: Any, where: str) -> M:
    """``model`` validated from ``data``; KnowledgeBaseError ``where: field.path: problem``."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        raise KnowledgeBaseError(f"{where}: {loc}: {first['msg']}") from None


def validate_list(model: type[M], path: Path) -> list[M]:
    """Every entry of a YAML list file, validated."""
    return [validate(model, raw, f"{path.name}[{index}]") for index, raw in enumerate(read_file(path) or [])]
