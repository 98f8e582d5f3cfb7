#!/usr/bin/env python3
"""Run one zarrbridge scenario in a loop, for a profiler to watch.

    python benches/profile.py SCENARIO [--seconds S] [--n 512] [--workdir DIR]

Scenarios: a-read-sync, a-read-async, a-write-sync, a-write-async, b-read-sync,
b-write-sync, c-sync, c-async, d-gather (every chunk of (a) read with one ``read_chunk`` per
chunk under ``asyncio.gather``). Examples:

    perf record -F 2000 -g -o perf.data python benches/profile.py a-read-sync --seconds 20
    perf report -i perf.data --no-children --sort comm,dso,sym
    py-spy record --native -o c.svg -- python benches/profile.py c-sync --seconds 20

The data are the benchmark's (random-ish uint16, zstd level 1), written once by zarrbridge
into the work dir (default: a temp dir).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

import zarrbridge as zb  # noqa: E402

ZSTD1 = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__)
    p.add_argument("scenario")
    p.add_argument("--seconds", type=float, default=15.0)
    p.add_argument("--n", type=int, default=512, help="edge of the cubic array of (a)/(b)")
    p.add_argument("--workdir", default=None)
    args = p.parse_args()
    work = args.workdir or tempfile.mkdtemp(prefix="zarrbridge-profile-")
    case, _, mode = args.scenario.rpartition("-")
    rng = np.random.default_rng(0)
    if case == "c":
        shape, chunks, shards, dtype, bits = (160, 160, 320), (16, 16, 16), None, "uint8", 6
    else:
        n = args.n
        shape, dtype, bits = (n, n, n), "uint16", 10
        chunks, shards = ((32,) * 3, (128,) * 3) if case.startswith("b") else ((64,) * 3, None)
    if case == "d":
        case, mode = "a", "gather"
    data = rng.integers(0, 2**bits, size=shape, dtype=dtype)
    path = os.path.join(work, case)
    kw = {"shape": shape, "dtype": dtype, "chunks": chunks, "shards": shards}
    arr = zb.sync.create_array(path, compressors=ZSTD1, overwrite=True, **kw)
    zb.sync.write_region(arr, ..., data)
    coords = [tuple(int(i) for i in c) for c in np.ndindex(*arr.grid_shape)]
    loop = asyncio.new_event_loop()

    def once() -> None:
        if mode == "gather":

            async def gather() -> None:
                await asyncio.gather(*(zb.read_chunk(arr, c) for c in coords))

            loop.run_until_complete(gather())
        elif case.endswith("read"):
            if mode == "sync":
                zb.sync.read_region(arr)
            else:
                loop.run_until_complete(zb.read_region(arr))
        elif case.endswith("write"):
            if mode == "sync":
                zb.sync.write_region(arr, ..., data)
            else:
                loop.run_until_complete(zb.write_region(arr, ..., data))
        elif mode == "sync":
            for c in coords:
                zb.sync.read_chunk(arr, c)
        else:

            async def chunks_one_by_one() -> None:
                for c in coords:
                    await zb.read_chunk(arr, c)

            loop.run_until_complete(chunks_one_by_one())

    once()
    runs, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < args.seconds:
        once()
        runs += 1
    per = (time.perf_counter() - t0) / runs
    unit = f"{per / len(coords) * 1e6:.1f} us/call" if case == "c" else f"{per:.3f} s/run"
    print(f"{args.scenario}: {runs} runs, {unit}", file=sys.stderr)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
