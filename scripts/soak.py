"""Soak: run a mixed workload for a while and report the slopes of resident memory, open file
descriptors and threads (least squares over samples, per minute). Not run in CI; the figures
are in docs/dev/reliability-faults.md.

    .venv/bin/python scripts/soak.py [--seconds 300] [--interval 2]

The workload, round after round, on a memory store, a file store and a sync Python store, from
the blocking and the asyncio API: create arrays (plain and sharded), write and read regions,
read chunks, list, delete nodes, and bad calls that fail typed (missing nodes, out-of-grid
chunks, hostile metadata, a malformed Python-store result). A leak shows as a positive slope
that does not flatten; the first ``--warmup`` seconds (pools and caches filling) are left out.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

import zarrbridge as zb
from pystores import DictStore
from zarrbridge import sync as zbs
from zarrbridge.errors import ZarrBridgeError


def sample() -> tuple[float, int, int]:
    pages = int(Path("/proc/self/statm").read_text().split()[1])
    rss_mb = pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    # Every thread of the process (Rust's too), not only Python's.
    return rss_mb, len(os.listdir("/proc/self/fd")), len(os.listdir("/proc/self/task"))


def slope(xs: list[float], ys: list[float]) -> float:
    n = len(xs)
    mx, my = sum(xs) / n, sum(ys) / n
    den = sum((x - mx) ** 2 for x in xs) or 1.0
    return sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True)) / den


class Bad(DictStore):
    def head(self, path: str) -> Any:
        return None


def round_sync(store: zb.Store, i: int) -> int:
    errors = 0
    data = np.arange(64 * 64, dtype="int32").reshape(64, 64) + i
    arr = zbs.create_array(
        store, f"a{i % 4}", shape=(64, 64), chunks=(16, 16), dtype="int32", overwrite=True
    )
    zbs.write_region(arr, ..., data)
    assert np.array_equal(zbs.read_region(arr, ...), data)
    sh = zbs.create_array(
        store,
        f"s{i % 4}",
        shape=(64, 64),
        chunks=(8, 8),
        shards=(32, 32),
        dtype="int32",
        overwrite=True,
    )
    zbs.write_region(sh, (slice(3, 40), slice(5, 60)), data[3:40, 5:60])
    zbs.read_chunk(sh, (1, 1))
    zbs.list_children(store, use_consolidated=False)
    for bad in (
        lambda: zbs.open_array(store, "missing"),
        lambda: zbs.read_chunk(arr, (9, 9)),
        lambda: zbs.create_array(store, "x", metadata={"zarr_format": 3, "node_type": "array"}),
    ):
        try:
            bad()
        except ZarrBridgeError:
            errors += 1
    zbs.delete_node(store, f"a{(i + 2) % 4}") if i > 2 else None
    return errors


async def round_async(store: zb.Store, i: int) -> None:
    arr = await zb.create_array(
        store, f"b{i % 4}", shape=(32, 32), chunks=(8, 8), dtype="f8", overwrite=True
    )
    await asyncio.gather(
        *(zb.write_chunk(arr, (r, c), float(i)) for r in range(4) for c in range(4))
    )
    await asyncio.gather(*(zb.read_chunk(arr, (r, c)) for r in range(4) for c in range(4)))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=300)
    parser.add_argument("--interval", type=float, default=2)
    parser.add_argument("--warmup", type=float, default=30)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        stores = [
            zb.Store.from_url("memory://soak"),
            zb.Store.from_url(tmp),
            zb.store.python_store(DictStore()),
        ]
        bad = zb.store.python_store(Bad())
        start = time.monotonic()
        times: list[float] = []
        rss: list[float] = []
        fds: list[float] = []
        threads: list[float] = []
        rounds = errors = 0
        next_sample = start
        while (now := time.monotonic()) - start < args.seconds:
            for store in stores:
                errors += round_sync(store, rounds)
                asyncio.run(round_async(store, rounds))
            try:
                bad.head("k")
            except ZarrBridgeError:
                errors += 1
            rounds += 1
            if now >= next_sample:
                r, f, t = sample()
                times.append((now - start) / 60)
                rss.append(r)
                fds.append(f)
                threads.append(t)
                next_sample = now + args.interval
        kept = [i for i, t in enumerate(times) if t * 60 >= args.warmup] or list(range(len(times)))
        pick = lambda ys: [ys[i] for i in kept]  # noqa: E731
        print(
            f"rounds: {rounds}, typed errors: {errors}, samples: {len(kept)} "
            f"(after {args.warmup:.0f} s of warm-up), {args.seconds:.0f} s"
        )
        print(
            f"RSS: {rss[kept[0]]:.1f} -> {rss[-1]:.1f} MiB, "
            f"slope {slope(pick(times), pick(rss)):+.2f} MiB/min"
        )
        print(
            f"fds: {fds[kept[0]]:.0f} -> {fds[-1]:.0f}, "
            f"slope {slope(pick(times), pick(fds)):+.2f} /min"
        )
        print(
            f"threads: {threads[kept[0]]:.0f} -> {threads[-1]:.0f}, "
            f"slope {slope(pick(times), pick(threads)):+.2f} /min"
        )


if __name__ == "__main__":
    main()
