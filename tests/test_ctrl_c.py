"""Ctrl-C during a long blocking call raises KeyboardInterrupt within 0.5 s, and the process
can call zarrbridge again afterwards. Each case runs in a child Python process that the test
sends SIGINT."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

SETUP = {
    # A large region read: half a million small compressed chunks in memory (seconds of work).
    "large-region": """
        a = zbs.create_array("memory://big", "a", shape=(4096, 8192), dtype="float32",
                             chunks=(8, 8), compressors={"name": "gzip",
                             "configuration": {"level": 1}})
        zbs.write_region(a, ..., np.arange(8192, dtype="float32"))
        def long_call():
            zbs.read_region(a)
        def next_call():
            assert zbs.read_region(a, (0, slice(0, 3))).tolist() == [0, 1, 2]
    """,
    # A read that never ends: its server accepts the connection and never answers (a FIFO
    # chunk once served here; the file store now refuses FIFOs at once).
    "stalled-server": """
        sys.path.insert(0, TESTS)
        from stalling import StallingServer, stalled_array
        server = StallingServer()
        a = stalled_array(server.url, read_timeout="600s", timeout="600s")
        b = zbs.create_array(sys.argv[1], "b", shape=(4,), dtype="uint8")
        def long_call():
            zbs.read_chunk(a, (0,))
        def next_call():
            zbs.write_chunk(b, (0,), 9)
            assert zbs.read_chunk(b, (0,)).tolist() == [9] * 4
            server.release()
            assert zbs.read_chunk(a, (0,)).tolist() == [0] * 4
    """,
}

CHILD = """
import os, sys, time
import numpy as np
from zarrbridge import sync as zbs
TESTS = {tests!r}
{setup}
print("ready", flush=True)
try:
    long_call()
    print("finished-before-interrupt", flush=True)
except KeyboardInterrupt:
    print("interrupted", flush=True)
next_call()
print("next-call-ok", flush=True)
"""


@pytest.mark.parametrize("case", sorted(SETUP))
def test_ctrl_c_interrupts_a_long_blocking_call(case: str, tmp_path: Path) -> None:
    code = CHILD.format(setup=textwrap.dedent(SETUP[case]), tests=str(Path(__file__).parent))
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    child = subprocess.Popen(
        [sys.executable, "-c", code, str(tmp_path / "store")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert child.stdout is not None
        assert child.stdout.readline().strip() == "ready"
        time.sleep(0.3)
        sent = time.perf_counter()
        child.send_signal(signal.SIGINT)
        line = child.stdout.readline().strip()
        latency = time.perf_counter() - sent
        # Read the rest through the same buffered streams: `readline` may already have buffered
        # it, and `communicate` reads the raw pipes past that buffer (dropping those lines).
        child.wait(timeout=60)
        assert child.stderr is not None
        rest, err = child.stdout.read(), child.stderr.read()
    finally:
        child.kill()
    print(f"\n{case}: KeyboardInterrupt {latency * 1e3:.0f} ms after SIGINT")
    assert line == "interrupted", err
    assert latency < 0.5
    assert rest.split() == ["next-call-ok"], err
    assert child.returncode == 0, err
