"""Find import cycles between the modules of each layer: the Python package (module-level
imports, not those under ``if TYPE_CHECKING:``, which never run) and each Rust crate (``use
crate::...`` and ``crate::`` paths, resolved to the file of the deepest module named).

    python scripts/import_cycles.py      # prints the cycles, exits 1 if there are any

``tests/test_import_cycles.py`` runs it in the test suite.
"""

from __future__ import annotations

import ast
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def python_graph(package: Path) -> dict[str, set[str]]:
    """Module -> modules of the same package it imports when it is imported."""
    name = package.name
    modules = {
        f"{name}.{p.stem}" if p.stem != "__init__" else name: p for p in package.glob("*.py")
    }
    graph: dict[str, set[str]] = {m: set() for m in modules}
    # Extension modules (known by their stubs) import nothing of the package.
    known = set(modules) | {f"{name}.{p.stem}" for p in package.glob("*.pyi")}
    for module, path in modules.items():
        tree = ast.parse(path.read_text(), str(path))
        for node in tree.body:  # module level only: imports inside functions run later
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                # `from pkg import mod` imports mod; `from pkg import name` imports pkg itself.
                base = node.module
                for alias in node.names:
                    full = f"{base}.{alias.name}"
                    targets.append(full if full in known else base)
            graph[module].update(t for t in targets if t in modules and t != module)
    return graph


def deferred_imports(package: Path) -> list[str]:
    """Imports of the package's own modules made inside functions (a cycle hidden from the
    graph above), as ``file:line``; imports under ``if TYPE_CHECKING:`` never run and pass."""
    name = package.name
    found = []
    for path in sorted(package.glob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for func in ast.walk(tree):
            if not isinstance(func, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            for node in ast.walk(func):
                if isinstance(node, ast.ImportFrom):
                    modules = [node.module or ""]
                elif isinstance(node, ast.Import):
                    modules = [a.name for a in node.names]
                else:
                    continue
                if any(m.startswith(name) for m in modules):
                    found.append(f"{path.name}:{node.lineno}")
    return found


def rust_graph(src: Path) -> dict[str, set[str]]:
    """Module file -> module files of the same crate it names with ``crate::``."""
    files = {p.relative_to(src).with_suffix("").as_posix(): p for p in src.rglob("*.rs")}
    modules = {k.removesuffix("/mod"): k for k in files}
    graph: dict[str, set[str]] = {k: set() for k in files}
    for key, path in files.items():
        text = re.sub(r"//.*", "", path.read_text())
        text = text.split("#[cfg(test)]")[0]  # unit tests may use anything
        paths = re.findall(r"crate((?:::\w+)+)", text)
        for group in re.findall(r"use crate::(\w+(?:::\w+)*)::\{([^}]*)\}", text):
            paths += [f"::{group[0]}::{item.strip()}" for item in group[1].split(",")]
        for found in paths:
            parts = found.strip(":").split("::")
            for n in range(len(parts), 0, -1):
                target = modules.get("/".join(parts[:n]))
                if target is not None:
                    if target != key:
                        graph[key].add(target)
                    break
    return graph


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def layers() -> dict[str, dict[str, set[str]]]:
    return {
        "python/zarrbridge": python_graph(ROOT / "python" / "zarrbridge"),
        "crates/zarrbridge-core": rust_graph(ROOT / "crates" / "zarrbridge-core" / "src"),
        "crates/zarrbridge-python": rust_graph(ROOT / "crates" / "zarrbridge-python" / "src"),
    }


def main() -> int:
    bad = 0
    for layer, graph in layers().items():
        for cycle in cycles(graph):
            bad += 1
            print(f"{layer}: import cycle between {', '.join(cycle)}")
    for where in deferred_imports(ROOT / "python" / "zarrbridge"):
        bad += 1
        print(f"python/zarrbridge: import inside a function (a hidden cycle?) at {where}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
