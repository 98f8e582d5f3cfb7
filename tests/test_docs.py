"""The documentation runs and links: every docstring example of the package passes as a doctest
(each once), every ``python`` block of the user pages runs, and the site builds with
``mkdocs build --strict`` (a broken link or anchor fails it) with every link of the built pages
resolving (``scripts/check_docs_links.py``)."""

from __future__ import annotations

import doctest
import importlib
import os
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest
import zarrbridge

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
sys.path.insert(0, str(ROOT / "scripts"))

from check_docs_links import broken_links  # noqa: E402

# A fenced block right after such a comment is shown, not run (it needs a cloud account).
BLOCK = re.compile(r"(<!--\s*not run:[^>]*-->\s*\n)?```python\n(.*?)```", re.S)
USER_PAGES = sorted(p for p in DOCS.glob("*.md") if p.name != "API.md")


def _modules() -> list[str]:
    found = [m.name for m in pkgutil.walk_packages(zarrbridge.__path__, "zarrbridge.")]
    return ["zarrbridge", *sorted(n for n in found if n != "zarrbridge._native")]


def test_every_docstring_example_passes() -> None:
    finder = doctest.DocTestFinder()
    runner = doctest.DocTestRunner(optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    seen: set[tuple[str, ...]] = set()
    ran = 0
    for name in _modules():
        for test in finder.find(importlib.import_module(name)):
            # The blocking twins in zarrbridge.sync carry their coroutine's examples: run once
            # (memory stores live as long as the process, so a second run would find the nodes).
            key = tuple(e.source for e in test.examples)
            if not test.examples or key in seen:
                continue
            seen.add(key)
            ran += 1
            runner.run(test)
    result = runner.summarize(verbose=False)
    assert result.failed == 0, f"{result.failed} of {result.attempted} docstring examples failed"
    assert ran >= 60, f"only {ran} docstrings with examples found"


@pytest.mark.parametrize("page", USER_PAGES, ids=[p.name for p in USER_PAGES])
def test_the_python_blocks_of_a_page_run(page: Path, tmp_path: Path) -> None:
    # Each page in its own interpreter, its blocks in order (later ones may use earlier names),
    # as a reader would paste them: nothing it starts (memory stores, dask's thread pool)
    # outlives it or meets another page.
    blocks = BLOCK.findall(page.read_text(encoding="utf-8"))
    code = "\n\n".join(code for skipped, code in blocks if not skipped)
    done = subprocess.run(
        [sys.executable, "-W", "ignore:Consolidated metadata", "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"{page.name}:\n{done.stderr[-4000:]}"


def test_the_user_pages_have_examples_to_run() -> None:
    runnable = {
        p.name: sum(1 for s, _ in BLOCK.findall(p.read_text()) if not s) for p in USER_PAGES
    }
    for name in ("quickstart.md", "async.md", "stores.md", "protocols.md", "xarray-dask.md"):
        assert runnable[name] >= 1, f"{name} has no python block that runs"


@pytest.mark.slow
def test_the_site_builds_strict_and_every_link_resolves(tmp_path: Path) -> None:
    site = tmp_path / "site"
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(site)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
    )
    assert done.returncode == 0, done.stderr[-4000:]
    broken, internal, _ = broken_links(site)
    assert not broken, "\n".join(broken)
    assert internal > 500
    # The pages the docstrings become, and the private contract on its developer page.
    reference = (site / "reference.html").read_text()
    assert 'id="zarrbridge.copy"' in reference and "Copy an array, or a group" in reference
    assert "callback=None" in (site / "dev" / "native-contract.html").read_text()
    assert "Latest results" in (site / "performance.html").read_text()
