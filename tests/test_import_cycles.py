"""No layer has an import cycle: the Python package (module-level imports, and no imports of its
own modules hidden inside functions) and both Rust crates (``crate::`` paths between module
files). The check is ``scripts/import_cycles.py``; here it runs against this tree, and against
small made-up trees to show it finds what it looks for."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "scripts" / "import_cycles.py"


def load_checker() -> ModuleType:
    spec = importlib.util.spec_from_file_location("import_cycles", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_no_layer_has_an_import_cycle() -> None:
    proc = subprocess.run(
        [sys.executable, str(SCRIPT)], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, f"import cycles found:\n{proc.stdout}{proc.stderr}"


def test_the_checker_finds_a_python_cycle_and_a_hidden_one(tmp_path: Path) -> None:
    checker = load_checker()
    pkg = tmp_path / "pkg"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from pkg import b\n")
    (pkg / "b.py").write_text("from pkg.a import thing\n")
    (pkg / "c.py").write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg import a\n"
        "def f():\n    from pkg import b\n"
    )
    assert checker.cycles(checker.python_graph(pkg)) == [["pkg.a", "pkg.b"]]
    assert checker.deferred_imports(pkg) == ["c.py:5"]


def test_the_checker_finds_a_rust_cycle(tmp_path: Path) -> None:
    checker = load_checker()
    src = tmp_path / "src"
    (src / "store").mkdir(parents=True)
    (src / "lib.rs").write_text("mod io; mod store;\n")
    (src / "io.rs").write_text("use crate::store::{Store, raw::Key};\n")
    (src / "store" / "mod.rs").write_text("pub mod raw;\n")
    (src / "store" / "raw.rs").write_text("fn f() { crate::io::read(); }\n")
    graph = checker.rust_graph(src)
    assert graph["io"] == {"store/mod", "store/raw"}
    assert checker.cycles(graph) == [["io", "store/raw"]]
