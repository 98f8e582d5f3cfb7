"""Measure the async figures of issue 3, each case in a fresh Python process:

- cancellation latency (p50/p99) of reads stalled on a server that accepts connections and
  never answers (``tests/stalling.py``), under asyncio and trio;
- peak threads, file descriptors and RSS while 10,000 ``read_chunk`` awaits run at once on a
  file store and on a memory store (asyncio).

Usage: ``PYTHONPATH=python python scripts/measure_async.py [--cancellations N]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import numpy as np


def cancel_latency(backend: str, count: int) -> dict[str, float]:
    import anyio
    import zarrbridge as zb

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
    from stalling import StallingServer, stalled_array

    server = StallingServer()
    array = stalled_array(server.url)

    async def main() -> list[float]:
        latencies = []
        for i in range(count):
            async with anyio.create_task_group() as tg:
                tg.start_soon(zb.read_chunk, array, (0,))
                await anyio.sleep(0.002 + (i % 5) * 0.002)
                start = time.perf_counter()
                tg.cancel_scope.cancel()
            latencies.append(time.perf_counter() - start)
        return latencies

    lat = anyio.run(main, backend=backend)
    q = statistics.quantiles(lat, n=100, method="inclusive")
    return {"n": count, "p50_ms": q[49] * 1e3, "p99_ms": q[98] * 1e3, "max_ms": max(lat) * 1e3}


def proc_threads() -> int:
    with open("/proc/self/status") as f:
        return next(int(line.split()[1]) for line in f if line.startswith("Threads:"))


def many_reads(kind: str, n: int) -> dict[str, float]:
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    store = tempfile.mkdtemp() if kind == "file" else f"memory://m-{uuid.uuid4().hex}"
    array = zbs.create_array(store, "a", shape=(n, 16), dtype="int32", chunks=(1, 16))
    coords = [(i, 0) for i in range(n)]
    zbs.write_chunks(array, coords, [np.full((1, 16), i, "int32") for i in range(n)])
    base = {"threads": proc_threads(), "fds": len(os.listdir("/proc/self/fd"))}
    peak = dict(base)
    stop = threading.Event()

    def sample() -> None:
        while not stop.wait(0.002):
            peak["threads"] = max(peak["threads"], proc_threads())
            peak["fds"] = max(peak["fds"], len(os.listdir("/proc/self/fd")))

    sampler = threading.Thread(target=sample)
    sampler.start()
    start = time.perf_counter()

    async def main() -> list[np.ndarray]:
        return await asyncio.gather(*(zb.read_chunk(array, c) for c in coords))

    results = asyncio.run(main())
    elapsed = time.perf_counter() - start
    stop.set()
    sampler.join()
    assert all((r == i).all() for i, r in enumerate(results))
    return {
        "n": n,
        "seconds": elapsed,
        "threads_before": base["threads"],
        "peak_threads": peak["threads"] - 1,  # without the sampler itself
        "fds_before": base["fds"],
        "peak_fds": peak["fds"],
        "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def in_child(*args: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, __file__, "--case", *args], check=True, capture_output=True, text=True
    )
    result: dict[str, float] = json.loads(out.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cancellations", type=int, default=500)
    parser.add_argument("--reads", type=int, default=10_000)
    parser.add_argument("--case", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.case:
        what, which = args.case
        if what == "cancel":
            print(json.dumps(cancel_latency(which, args.cancellations)))
        else:
            print(json.dumps(many_reads(which, args.reads)))
        return
    for backend in ("asyncio", "trio"):
        r = in_child("cancel", backend, "--cancellations", str(args.cancellations))
        print(
            f"cancel latency {backend:7}: n={r['n']} p50 {r['p50_ms']:.3f} ms  "
            f"p99 {r['p99_ms']:.3f} ms  max {r['max_ms']:.3f} ms"
        )
    for kind in ("file", "memory"):
        r = in_child("reads", kind, "--reads", str(args.reads))
        print(
            f"{r['n']} concurrent read_chunk, {kind:6}: {r['seconds']:.2f} s  threads "
            f"{r['threads_before']} -> peak {r['peak_threads']}  fds {r['fds_before']} -> "
            f"peak {r['peak_fds']}  peak RSS {r['peak_rss_mib']:.0f} MiB"
        )


if __name__ == "__main__":
    main()
