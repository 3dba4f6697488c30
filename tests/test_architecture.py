"""The layers of docs/architecture.md, checked from the import graph (ast), so they stay true.

- no import circle among the package's modules;
- only the edges (command line, cohort, service) load the knowledge base;
- no process pool, fork or process start below the edges;
- steps import neither each other nor the engine, the edges or the package face;
- the knowledge base and the network library import nothing above them;
- no module-level caches (``functools.cache``) or ``global`` state outside ``runtime.py``.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "src" / "her2gc"
EDGES = ("her2gc.cli", "her2gc.cohort", "her2gc.service")
STEPS = ("her2gc.her2", "her2gc.therapy", "her2gc.safety", "her2gc.model", "her2gc.resistance")
PROCESS_NAMES = {"multiprocessing", "ProcessPoolExecutor", "fork", "Popen", "subprocess"}
# Graphviz is a program: drawing runs `dot` (an external tool, not a worker process).
PROCESS_ALLOWED = {"her2gc.network.draw"}


@dataclass
class Module:
    name: str
    path: Path
    tree: ast.Module
    imports: set[str] = field(default_factory=set)  # her2gc modules imported (outside TYPE_CHECKING)


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _type_checking_lines(tree: ast.Module) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def _resolve(module: str, names: list[str], known: set[str]) -> Iterator[str]:
    """``from her2gc.x import y``: y is a module when one of that name exists."""
    for name in names:
        candidate = f"{module}.{name}"
        yield candidate if candidate in known else module


def _modules() -> dict[str, Module]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        name = _module_name(path)
        found[name] = Module(name, path, ast.parse(path.read_text(encoding="utf-8")))
    known = set(found)
    for module in found.values():
        skip = _type_checking_lines(module.tree)
        for node in ast.walk(module.tree):
            if getattr(node, "lineno", None) in skip:
                continue
            if isinstance(node, ast.Import):
                module.imports.update(a.name for a in node.names if a.name.startswith("her2gc"))
            elif (
                isinstance(node, ast.ImportFrom)
                and node.module
                and node.module.startswith("her2gc")
                and node.level == 0
            ):
                module.imports.update(_resolve(node.module, [a.name for a in node.names], known))
    return found


MODULES = _modules()


def _under(name: str, prefixes: tuple[str, ...]) -> bool:
    return any(name == p or name.startswith(p + ".") for p in prefixes)


def _parents(name: str) -> set[str]:
    parts = name.split(".")
    return {".".join(parts[:i]) for i in range(1, len(parts))}


def test_no_import_circle() -> None:
    graph = {
        name: {i for i in m.imports if i in MODULES and i != name and i not in _parents(name)}
        for name, m in MODULES.items()
    }
    state: dict[str, int] = {}

    def visit(node: str, path: list[str]) -> None:
        state[node] = 1
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                cycle = [*path[path.index(nxt) :], nxt] if nxt in path else [node, nxt]
                pytest.fail("import circle: " + " -> ".join(cycle))
            if nxt not in state:
                visit(nxt, [*path, nxt])
        state[node] = 2

    for name in sorted(graph):
        if name not in state:
            visit(name, [name])


def test_only_edges_load_the_knowledge_base() -> None:
    allowed = ("her2gc", "her2gc.kb.loader", *EDGES)
    offenders = []
    for name, module in MODULES.items():
        if name in allowed or _under(name, EDGES):
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Name) and node.id == "load_kb":
                offenders.append(f"{name}:{node.lineno}")
            if isinstance(node, ast.alias) and node.name == "load_kb":
                offenders.append(f"{name}: imports load_kb")
    assert offenders == []


def test_no_process_pool_below_the_edges() -> None:
    offenders = []
    for name, module in MODULES.items():
        if _under(name, EDGES) or name in PROCESS_ALLOWED:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, (ast.Import, ast.ImportFrom)):
                names = [a.name for a in node.names] + (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module else []
                )
                hits = [n for n in names if n.split(".")[0] in PROCESS_NAMES or n in PROCESS_NAMES]
                offenders += [f"{name}:{node.lineno} imports {h}" for h in hits]
            elif isinstance(node, ast.Attribute) and node.attr in PROCESS_NAMES:
                offenders.append(f"{name}:{node.lineno} uses {node.attr}")
    assert offenders == []


def test_steps_stay_in_their_layer() -> None:
    offenders = []
    for name, module in MODULES.items():
        if not _under(name, STEPS):
            continue
        own = next(step for step in STEPS if _under(name, (step,)))
        for imported in module.imports:
            other_step = _under(imported, STEPS) and not _under(imported, (own,))
            upward = _under(imported, (*EDGES, "her2gc.engine", "her2gc.readers", "her2gc.render"))
            if other_step or upward or imported == "her2gc":
                offenders.append(f"{name} imports {imported}")
    assert offenders == []


@pytest.mark.parametrize(
    ("layer", "may_import"),
    [
        (
            "her2gc.kb",
            ("her2gc.kb", "her2gc.errors", "her2gc._version", "her2gc._gc", "her2gc.protein", "her2gc.terms"),
        ),
        ("her2gc.network", ("her2gc.network", "her2gc.errors", "her2gc.input_files")),
        ("her2gc.report", ()),
        ("her2gc.case", ("her2gc.kb.vocabulary", "her2gc.terms")),
        ("her2gc.terms", ()),
    ],
)
def test_lower_layers_import_nothing_above(layer: str, may_import: tuple[str, ...]) -> None:
    offenders = [
        f"{name} imports {imported}"
        for name, module in MODULES.items()
        if _under(name, (layer,))
        for imported in module.imports
        if not _under(imported, may_import)
    ]
    assert offenders == []


# A worker process's own state, set once by its pool's initializer (a forked cohort worker):
# per process by nature, and only at an edge.
WORKER_STATE_ALLOWED = {"her2gc.cohort.executors"}


def test_no_module_level_state_outside_runtime() -> None:
    offenders = []
    for name, module in MODULES.items():
        if name == "her2gc.runtime" or name in WORKER_STATE_ALLOWED:
            continue
        for node in ast.walk(module.tree):
            if isinstance(node, ast.Global):
                offenders.append(f"{name}:{node.lineno} global {', '.join(node.names)}")
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                for decorator in node.decorator_list:
                    text = ast.unparse(decorator)
                    if "cache" in text and "cached_property" not in text:
                        offenders.append(f"{name}:{node.lineno} @{text} on {node.name}")
    assert offenders == []


def test_no_file_over_500_lines() -> None:
    long = {m.name: len(m.path.read_text(encoding="utf-8").splitlines()) for m in MODULES.values()}
    assert {name: n for name, n in long.items() if n > 500} == {}
