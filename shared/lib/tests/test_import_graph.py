"""The library's place in the import graph: it imports nothing above it, and no project module
takes part in an import circle (lazy and type-checking imports count: they hide circles)."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
SOURCE_ROOTS = [
    REPO / "shared" / "lib" / "src",
    REPO / "shared" / "ops" / "src",
    REPO / "expectations" / "src",
    *sorted((REPO / "services").glob("*/src")),
]
LIBRARY = "ftm_shared"


def project_modules() -> dict[str, Path]:
    modules = {}
    for root in SOURCE_ROOTS:
        for path in root.rglob("*.py"):
            parts = list(path.relative_to(root).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts.pop()
            modules[".".join(parts)] = path
    return modules


def imported_names(module: str, path: Path) -> Iterator[str]:
    is_package = path.name == "__init__.py"
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = module.split(".")[: len(module.split(".")) - node.level + is_package]
                base = ".".join([*anchor, *([base] if base else [])])
            yield base
            yield from (f"{base}.{alias.name}" for alias in node.names)


def import_graph() -> dict[str, set[str]]:
    modules = project_modules()
    return {
        module: {name for name in imported_names(module, path) if name in modules} - {module}
        for module, path in modules.items()
    }


def test_the_library_imports_nothing_above_it() -> None:
    upward = {
        (module, target)
        for module, targets in import_graph().items()
        if module.split(".")[0] == LIBRARY
        for target in targets
        if target.split(".")[0] != LIBRARY
    }
    assert not upward


def test_no_project_module_is_in_an_import_circle() -> None:
    graph = import_graph()
    circles = []
    for start in graph:
        # A package's __init__ re-exporting its own submodules is not a circle between
        # modules, so edges into a module's own parent package are left out.
        seen, stack = set(), [(start, [start])]
        while stack:
            node, path = stack.pop()
            for target in graph[node]:
                if start.startswith(target + "."):
                    continue
                if target == start:
                    circles.append(" -> ".join([*path, target]))
                elif target not in seen:
                    seen.add(target)
                    stack.append((target, [*path, target]))
    assert not circles
