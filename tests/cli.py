"""Running the installed ``zarrbridge`` console script in a child process, as a user would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sysconfig
from pathlib import Path
from typing import Any

from servers import S3Server


def script() -> str:
    """The console script installed beside this interpreter (``[project.scripts]``)."""
    path = Path(sysconfig.get_path("scripts")) / "zarrbridge"
    if path.exists():
        return str(path)
    found = shutil.which("zarrbridge")
    assert found, "the zarrbridge console script is not installed (make build installs it)"
    return found


def env(**extra: str) -> dict[str, str]:
    """The environment of a child: this one, without cloud credentials that could leak in."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "GOOGLE_", "AZURE_"))}
    return {**base, "PYTHONUNBUFFERED": "1", **extra}


def run(*args: str, timeout: float = 120, **kw: Any) -> subprocess.CompletedProcess[str]:
    """``zarrbridge ARGS...``: its exit code, stdout and stderr."""
    return subprocess.run(
        [script(), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=kw.pop("env", env()),
        **kw,
    )


def s3_args(server: S3Server, endpoint: str | None = None) -> list[str]:
    """``--option``s that reach the moto server (or a proxy in front of it)."""
    options = server.options()
    config = {**options["config"], "endpoint": endpoint or server.endpoint}
    out: list[str] = []
    for key, value in config.items():
        out += ["--option", f"{key}={str(value).lower() if isinstance(value, bool) else value}"]
    for key, value in options["client_options"].items():
        out += ["--client-option", f"{key}={str(value).lower()}"]
    return out


__all__ = ["env", "run", "s3_args", "script"]
