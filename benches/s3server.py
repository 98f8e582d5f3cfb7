"""A local S3 server for case (e), in its own process, started and stopped by the harness.

Two servers, the faster first:

* ``s3s-fs`` (Rust, crates.io ``s3s-fs``, built with ``cargo install s3s-fs --features binary``):
  objects are files under a temp dir; multi-threaded (tokio). Found on PATH, in
  ``~/.cargo/bin``, at ``$ZB_BENCH_S3S_FS`` or ``/tmp/s3sfs/install/bin``.
* ``moto`` (``python -m moto.server``, what the test suite uses): pure Python, objects in
  memory, one interpreter (the GIL): at most about one core however many requests are in
  flight, so on big transfers the server is the limit.

``S3Server.cpu_seconds()`` is the server process's CPU time (user + system, children
included), read with psutil, so a case can say whether the server or the client was busy.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from typing import Any

ACCESS_KEY = "AKIABENCHKEY0000"
SECRET_KEY = "bench-secret-key"
REGION = "us-east-1"

__all__ = ["ACCESS_KEY", "REGION", "SECRET_KEY", "S3Server", "find_s3s_fs", "start"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def find_s3s_fs() -> str | None:
    cands = [
        os.environ.get("ZB_BENCH_S3S_FS", ""),
        shutil.which("s3s-fs") or "",
        os.path.expanduser("~/.cargo/bin/s3s-fs"),
        "/tmp/s3sfs/install/bin/s3s-fs",
    ]
    for c in cands:
        if c and os.path.isfile(c) and os.access(c, os.X_OK):
            return c
    return None


class S3Server:
    def __init__(self, kind: str, proc: subprocess.Popen[bytes], endpoint: str, root: str | None):
        self.kind = kind
        self.proc = proc
        self.endpoint = endpoint
        self.root = root
        self.version = ""

    @property
    def label(self) -> str:
        return f"{self.kind} {self.version}".strip()

    def client(self) -> Any:
        import boto3

        return boto3.client(
            "s3",
            endpoint_url=self.endpoint,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name=REGION,
        )

    def new_bucket(self, prefix: str = "zb-bench") -> str:
        name = f"{prefix}-{uuid.uuid4().hex[:12]}"
        self.client().create_bucket(Bucket=name)
        return name

    def cpu_seconds(self) -> float:
        import psutil

        p = psutil.Process(self.proc.pid)
        t = p.cpu_times()
        total = t.user + t.system
        for c in p.children(recursive=True):
            try:
                ct = c.cpu_times()
                total += ct.user + ct.system
            except psutil.Error:
                pass
        return total

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)


def _wait_up(url: str, proc: subprocess.Popen[bytes], timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"S3 server exited with {proc.returncode}")
        try:
            urllib.request.urlopen(url, timeout=2).close()
            return
        except urllib.error.HTTPError:
            return  # it answered
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"S3 server at {url} did not come up in {timeout} s")


def start(kind: str = "auto", workdir: str | None = None) -> S3Server:
    """Start ``s3s-fs`` (``kind="s3s-fs"``), moto (``"moto"``) or the first available."""
    port = _free_port()
    endpoint = f"http://127.0.0.1:{port}"
    exe = find_s3s_fs() if kind in ("auto", "s3s-fs") else None
    if kind == "s3s-fs" and exe is None:
        raise RuntimeError("s3s-fs not found (cargo install s3s-fs --features binary)")
    if exe:
        root = tempfile.mkdtemp(prefix="zb-bench-s3s-", dir=workdir)
        proc = subprocess.Popen(
            [
                exe,
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--access-key",
                ACCESS_KEY,
                "--secret-key",
                SECRET_KEY,
                root,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = S3Server("s3s-fs", proc, endpoint, root)
        try:
            out = subprocess.run([exe, "--version"], capture_output=True, text=True, timeout=10)
            server.version = out.stdout.strip().split()[-1] if out.stdout.strip() else ""
        except (OSError, subprocess.SubprocessError):
            pass
    else:
        proc = subprocess.Popen(
            [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        server = S3Server("moto", proc, endpoint, None)
        try:
            import importlib.metadata

            server.version = importlib.metadata.version("moto")
        except Exception:
            pass
    try:
        _wait_up(endpoint, proc)
    except Exception:
        server.stop()
        raise
    return server
