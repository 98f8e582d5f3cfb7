"""Libraries that need another interpreter: the newest zarr-python (Python >= 3.12) and its
fused codec pipeline, run in a persistent child process of its own virtualenv.

Parent side: :func:`find_py312` / :func:`ensure_env` build the virtualenv (PyPI, ordinary pip,
``requirements-py312.txt``) under ``~/.cache/zarrbridge-bench`` and :class:`RemoteLib` drives
the child one timed run at a time, so it takes part in the same interleaved rounds as the
in-process libraries. Child side (``python remote.py``): reads one JSON request per line on
stdin, runs ``reps.OPS[op]`` with its local adapter, answers one JSON line.

The arrays a run needs (reference data) are handed over as ``.npy`` files in the work dir.
"""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from libs import Lib, Unsupported  # noqa: E402

CACHE = os.environ.get(
    "ZARRBRIDGE_BENCH_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "zarrbridge-bench")
)
REQUIREMENTS = os.path.join(HERE, "requirements-py312.txt")


def _version_of(python: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [python, "-c", "import sys; sys.stdout.write('%d %d' % sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    try:
        major, minor = out.stdout.split()
        return int(major), int(minor)
    except ValueError:
        return None


def find_py312() -> tuple[str | None, str]:
    """A Python >= 3.12 interpreter (PATH, then pyenv versions), and what was looked at."""
    import shutil

    candidates: list[str] = []
    for name in ("python3.12", "python3.13", "python3.14"):
        p = shutil.which(name)
        if p:
            candidates.append(p)
    pyenv = os.path.join(os.path.expanduser("~"), ".pyenv", "versions")
    if os.path.isdir(pyenv):
        for v in sorted(os.listdir(pyenv)):
            candidates.append(os.path.join(pyenv, v, "bin", "python"))
    for c in candidates:
        if os.path.exists(c):
            v = _version_of(c)
            if v is not None and v >= (3, 12):
                return c, f"{c} (Python {v[0]}.{v[1]})"
    return None, "no Python >= 3.12 found (python3.12/3.13/3.14 on PATH, ~/.pyenv/versions/*)"


def ensure_env(log: Any = print) -> tuple[str | None, str]:
    """The virtualenv's python with the newest zarr-python installed, or (None, reason)."""
    base, where = find_py312()
    if base is None:
        return None, where
    venv = os.path.join(CACHE, "venv-py312")
    python = os.path.join(venv, "bin", "python")
    with open(REQUIREMENTS, "rb") as f:
        want = hashlib.sha256(f.read() + base.encode()).hexdigest()
    stamp = os.path.join(venv, ".requirements-sha256")
    try:
        if not os.path.exists(python):
            log(f"creating {venv} with {where}")
            subprocess.run([base, "-m", "venv", venv], check=True, capture_output=True, timeout=300)
        have = ""
        if os.path.exists(stamp):
            with open(stamp) as f:
                have = f.read().strip()
        if have != want:
            log(f"installing {REQUIREMENTS} into {venv}")
            subprocess.run(
                [
                    python,
                    "-m",
                    "pip",
                    "install",
                    "--quiet",
                    "--disable-pip-version-check",
                    "--upgrade",
                    "-r",
                    REQUIREMENTS,
                ],
                check=True,
                capture_output=True,
                text=True,
                timeout=900,
            )
            with open(stamp, "w") as f:
                f.write(want)
    except subprocess.CalledProcessError as e:
        tail = (e.stderr or "").strip().splitlines()[-1:] if isinstance(e.stderr, str) else []
        return None, f"setting up {venv} failed: {' '.join(tail) or e}"
    except (OSError, subprocess.SubprocessError) as e:
        return None, f"setting up {venv} failed: {e}"
    return python, where


class RemoteLib(Lib):
    """The parent's handle on a library adapter living in the child interpreter."""

    def __init__(
        self,
        key: str,
        python: str | None,
        reason: str | None,
        *,
        child_key: str | None = None,
        env: dict[str, str] | None = None,
        tag: str = "fused child",
    ) -> None:
        """``child_key``: the adapter the child runs (default ``key``); ``env``: added to the
        child's environment (e.g. ``PYTHONPATH`` of another zarrbridge build); ``tag`` names
        the child in labels and versions."""
        self.key = key
        self.label = key
        self.python = python
        self.reason = reason
        self.child_key = child_key or key
        self.env = env
        self.tag = tag
        self.proc: subprocess.Popen[str] | None = None
        self.info: dict[str, Any] = {}
        if python and not reason:
            self._start()

    def _start(self) -> None:
        assert self.python
        self.proc = subprocess.Popen(
            [self.python, os.path.abspath(__file__), self.child_key],
            env={**os.environ, **self.env} if self.env else None,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            bufsize=1,
        )
        try:
            self.info = self._request({"op": "hello"})
        except Exception as e:
            self.reason = f"child failed to start: {e}"
            self.close()
            return
        self.label = self.info.get("label", self.key)
        if self.child_key != self.key:
            self.label = f"{self.label} ({self.tag})"
        if self.info.get("unavailable"):
            self.reason = self.info["unavailable"]

    def _request(self, req: dict[str, Any]) -> dict[str, Any]:
        if self.proc is None or self.proc.stdin is None or self.proc.stdout is None:
            raise Unsupported(self.reason or "child not running")
        self.proc.stdin.write(json.dumps(req) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"child exited (code {self.proc.poll()})")
        answer: dict[str, Any] = json.loads(line)
        if "unsupported" in answer:
            raise Unsupported(answer["unsupported"])
        if "error" in answer:
            raise RuntimeError(f"in child: {answer['error']}")
        return answer

    def call(self, op: str, **params: Any) -> float:
        return float(self._request({"op": op, **params})["t"])

    def unavailable(self) -> str | None:
        return self.reason

    def versions(self) -> dict[str, str]:
        return {f"{k} [{self.tag}]": v for k, v in self.info.get("versions", {}).items()}

    def close(self) -> None:
        if self.proc is not None:
            try:
                if self.proc.stdin:
                    self.proc.stdin.close()
                self.proc.wait(timeout=30)
            except (OSError, subprocess.SubprocessError):
                self.proc.kill()
            self.proc = None


# --- child ---------------------------------------------------------------------------------------


def _child(key: str) -> int:
    import asyncio
    import platform

    import numpy as np
    from libs import ArraySpec, Location, all_libs
    from reps import OPS

    # Keep the protocol channel clean of anything a library prints.
    proto = os.fdopen(os.dup(sys.stdout.fileno()), "w", buffering=1)
    os.dup2(sys.stderr.fileno(), sys.stdout.fileno())

    lib = {x.key: x for x in all_libs(local_only=True)}[key]
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    arrays: dict[str, np.ndarray] = {}

    def answer(d: dict[str, Any]) -> None:
        proto.write(json.dumps(d) + "\n")
        proto.flush()

    for line in sys.stdin:
        req = json.loads(line)
        op = req.pop("op")
        try:
            if op == "hello":
                reason = lib.unavailable()
                versions = {} if reason else lib.versions()
                versions["python (child)"] = platform.python_version()
                label = lib.label
                if not reason and key == "zarr-fused":
                    import zarr

                    label = (
                        f"zarr-python {zarr.__version__} fused pipeline "
                        f"(Python {platform.python_version()})"
                    )
                answer({"label": label, "unavailable": reason, "versions": versions})
                continue
            path = req.pop("data")
            if path not in arrays:
                arrays.clear()
                arrays[path] = np.load(path)
            s = req.pop("spec")
            spec = ArraySpec(
                shape=tuple(s["shape"]),
                dtype=s["dtype"],
                chunks=tuple(s["chunks"]),
                shards=tuple(s["shards"]) if s["shards"] else None,
                zstd_level=s["zstd_level"],
            )
            loc = Location(**req.pop("loc"))
            t = OPS[op](lib, loop=loop, data=arrays[path], spec=spec, loc=loc, **req)
            answer({"t": t})
        except Unsupported as e:
            answer({"unsupported": str(e)})
        except Exception as e:
            import traceback

            traceback.print_exc()
            answer({"error": f"{type(e).__name__}: {e}"})
    return 0


if __name__ == "__main__":
    sys.exit(_child(sys.argv[1]))
