"""YAML reading for the knowledge base: libyaml's C loader when present (about ten
times faster than the pure-Python one, which matters for cold start), safe either way."""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

SAFE_LOADER: type[yaml.SafeLoader] = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
DATA_DIR = Path(str(resources.files("her2gc.kb") / "data"))  # the packaged knowledge base


def read_yaml(path: Path) -> Any:
    """Parse one YAML file with the safe loader."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=SAFE_LOADER)  # noqa: S506 - a safe loader
