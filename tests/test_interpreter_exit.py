"""The interpreter exits cleanly (status 0, within seconds, no "Fatal Python error", no
"Exception ignored") while zarrbridge operations are still in flight: async reads and writes
left pending by an event loop, and blocking calls in daemon threads. Ten runs per event loop,
since what is in flight at the moment of exit differs from run to run."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

CHILD = """
import asyncio, sys, threading
import numpy as np
import zarrbridge as zb
from zarrbridge import sync as zbs

mode, root = sys.argv[1], sys.argv[2]
arrays = []
for store in (root, "memory://exit"):
    a = zbs.create_array(store, "a", shape=(256, 256), dtype="float64", chunks=(16, 16),
                         overwrite=True)
    zbs.write_region(a, ..., 1.5)
    arrays.append(a)

def ops():
    for i in range(200):
        a = arrays[i % 2]
        yield zb.read_region(a) if i % 3 else zb.write_region(a, (slice(0, 100), i), float(i))

# Blocking calls on daemon threads, still running when the interpreter exits.
def blocking(a):
    while True:
        zbs.read_region(a)
        zbs.write_chunk(a, (0, 0), 2.0)
for a in arrays:
    threading.Thread(target=blocking, args=(a,), daemon=True).start()

if mode == "asyncio":
    # A loop that is stopped, not closed, with its tasks still pending: their callbacks arrive
    # on a loop nobody runs, or after the interpreter began to exit.
    loop = asyncio.new_event_loop()
    tasks = [loop.create_task(op) for op in ops()]
    loop.run_until_complete(asyncio.sleep(0.02))
    # Tasks still pending at exit are the user's business; asyncio reports them, not us.
    for t in tasks:
        t.add_done_callback(lambda t: None)
        t._log_destroy_pending = False
else:
    import trio
    async def main():
        async with trio.open_nursery() as nursery:
            for op in ops():
                async def run(op=op):
                    await op
                nursery.start_soon(run)
            await trio.sleep(0.02)
            nursery.cancel_scope.cancel()
    trio.run(main)
print("leaving", flush=True)
"""


@pytest.mark.parametrize("mode", ["asyncio", "trio"])
def test_exit_with_operations_in_flight_is_clean(mode: str, tmp_path: Path) -> None:
    env = {**os.environ, "PYTHONDEVMODE": "1"}  # dev mode reports unraisable exceptions loudly
    for run in range(10):
        start = time.perf_counter()
        child = subprocess.run(
            [sys.executable, "-c", CHILD, mode, str(tmp_path / f"store{run}")],
            capture_output=True,
            text=True,
            timeout=60,
            env=env,
        )
        elapsed = time.perf_counter() - start
        assert child.returncode == 0, child.stderr
        assert child.stdout.strip() == "leaving", child.stderr
        for bad in ("Fatal Python error", "Exception ignored", "panicked", "Traceback"):
            assert bad not in child.stderr, child.stderr
        assert elapsed < 10, f"run {run} took {elapsed:.1f} s"
