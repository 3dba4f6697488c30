"""YAML reading for the knowledge base: libyaml's C loader when present (about ten
times faster than the pure-Python one), safe either way. PyYAML is imported on first
use: a process that starts from the validated snapshot never needs it."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

DATA_DIR = Path(str(resources.files("her2gc.kb") / "data"))  # the packaged knowledge base


class YamlSyntaxError(ValueError):
    """Malformed YAML; ``line`` is 1-based when the parser knows it."""

    def __init__(self, problem: str, line: int | None) -> None:
        super().__init__(problem if line is None else f"line {line}: {problem}")
        self.problem = problem
        self.line = line


def safe_loader() -> Any:
    import yaml

    return getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def parse_yaml(text: str) -> Any:
    """Parse YAML text with the safe loader; YamlSyntaxError when malformed."""
    import yaml

    try:
        return yaml.load(text, Loader=safe_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlSyntaxError(
            str(getattr(exc, "problem", None) or exc), mark.line + 1 if mark is not None else None
        ) from None


class PrintedFloat(float):
    """A float that remembers how the file wrote it (``0.70`` stays ``0.70`` in what users read)."""

    printed: str

    def __new__(cls, value: float, printed: str) -> PrintedFloat:
        number = super().__new__(cls, value)
        number.printed = printed
        return number


def _knowledge_loader() -> Any:
    """The safe loader, with floats that keep their printed text (for knowledge-base files)."""
    base = safe_loader()

    class KnowledgeLoader(base):  # type: ignore[misc,valid-type]
        pass

    def construct_float(loader: Any, node: Any) -> PrintedFloat:
        return PrintedFloat(loader.construct_yaml_float(node), str(node.value))

    KnowledgeLoader.add_constructor("tag:yaml.org,2002:float", construct_float)
    return KnowledgeLoader


def read_yaml(path: Path) -> Any:
    """Parse one knowledge-base YAML file with the safe loader; YamlSyntaxError when malformed."""
    import yaml

    try:
        return yaml.load(path.read_text(encoding="utf-8"), Loader=_knowledge_loader())
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise YamlSyntaxError(
            str(getattr(exc, "problem", None) or exc), mark.line + 1 if mark is not None else None
        ) from None
