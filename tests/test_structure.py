"""The project's shape, checked on its source: no import circle, one reader of the task mode, an ml
package that knows nothing of Django, and serving code that imports nothing from training.

Imports are read with `ast`, including the ones inside functions: a circle held together by a
function-level import is still a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("accounts", "analysis", "fer_site", "ml")
WEB_SIDE = {"django", "rest_framework", "channels", "celery", "accounts", "analysis", "fer_site"}


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    return {
        _module_name(path): path
        for package in PACKAGES
        for path in sorted((ROOT / package).rglob("*.py"))
        if "migrations" not in path.parts
    }


SOURCES = _sources()


def _resolve(name: str) -> str | None:
    """The project module that `import name` loads (a module, else its package), or None if not ours."""
    while name:
        if name in SOURCES:
            return name
        name = name.rpartition(".")[0]
    return None


def imports_of(module: str) -> set[str]:
    path = SOURCES[module]
    tree = ast.parse(path.read_text(), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            # `from pkg import mod` imports pkg.mod when it is a module, else a name of pkg.
            names = [f"{base}.{alias.name}" if f"{base}.{alias.name}" in SOURCES else base for alias in node.names]
        else:
            continue
        for name in names:
            target = _resolve(name)
            if target is not None and target != module and not module.startswith(f"{target}."):
                found.add(target)
    return found


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def test_the_import_reader_sees_function_level_imports():
    assert "analysis.core.services" in imports_of("analysis.core.dispatch")
    assert "analysis.core.tasks" in imports_of("analysis.core.dispatch")  # imported inside a function


def test_no_import_circle():
    graph = {module: imports_of(module) for module in SOURCES}
    assert _cycles(graph) == []


def test_the_cycle_finder_finds_a_planted_circle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_only_the_dispatch_module_reads_the_task_mode():
    readers = {module for module, path in SOURCES.items() if "FER_TASK_MODE" in path.read_text()}
    assert readers == {"analysis.core.dispatch", "fer_site.settings"}


def test_ml_imports_nothing_from_the_web_side():
    for module in (m for m in SOURCES if m.startswith("ml")):
        tree = ast.parse(SOURCES[module].read_text())
        roots = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        roots |= {(node.module or "").split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and not node.level}
        assert not roots & WEB_SIDE, module


@pytest.mark.parametrize("module", sorted(m for m in SOURCES if m.startswith("ml.serving")))
def test_serving_code_does_not_import_training_code(module):
    allowed = {"ml.serving.classifiers"}  # builds Keras models for weights not yet exported to ONNX
    if module in allowed:
        return
    assert not {m for m in imports_of(module) if m.startswith("ml.training")}, module
