"""The README's set-up block is what `.ci/run` executes: keep it parseable and pointing at
Makefile targets that install into the project environment from the lock file."""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))

from readme_commands import setup_commands  # noqa: E402


def test_readme_setup_block_has_the_main_job_and_the_test_command() -> None:
    commands = setup_commands((ROOT / "README.md").read_text(encoding="utf-8"))
    assert commands == ["make example", "make test"], commands


def test_readme_commands_are_makefile_targets_that_sync_from_the_lock() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    for target in ("example", "test"):
        rule = re.search(rf"^{target}:(.*)$", makefile, flags=re.MULTILINE)
        assert rule is not None, f"Makefile has no '{target}' target"
        assert "deps-" in rule.group(1), f"'{target}' does not install its locked deps first"
    assert makefile.count("sync --locked") >= 2, "deps targets must install with uv sync --locked"


def test_ci_runs_the_readme_commands_in_a_pristine_copy() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert "readme_commands.py" in ci
    assert "UV_CACHE_DIR" in ci and "PIP_NO_CACHE_DIR=1" in ci
