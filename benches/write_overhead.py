"""Per-chunk overhead of writes, where it shows most: many one-element chunks in a memory store
(no codec, no disk), written with one ``write_chunks`` call, with concurrent ``write_chunk``
awaits, and with concurrent one-element ``write_region`` awaits (each a read-modify-write of
its chunk). Compare builds by running it under each build's ``PYTHONPATH``, interleaved::

    for r in 1 2 3 4 5; do for b in /tmp/zb_before python; do
        PYTHONPATH=$b python benches/write_overhead.py --label $b; done; done

Prints one JSON line per run: median seconds per case over ``--repeat`` runs.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid

import numpy as np


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--chunks", type=int, default=20_000)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--label", default="")
    args = p.parse_args()
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    n = args.chunks
    coords = [(i,) for i in range(n)]
    data = [np.full(1, 7, dtype="int32")] * n
    times: dict[str, list[float]] = {"write_chunks": [], "write_chunk x n": [], "region x n": []}
    for _ in range(args.repeat):
        a = zbs.create_array(
            f"memory://overhead-{uuid.uuid4().hex}",
            "a",
            shape=(n,),
            dtype="int32",
            chunks=(1,),
            compressors=None,
        )
        start = time.perf_counter()
        zbs.write_chunks(a, coords, data)
        times["write_chunks"].append(time.perf_counter() - start)

        async def chunks(a: zb.Array = a) -> float:
            start = time.perf_counter()
            await asyncio.gather(
                *(zb.write_chunk(a, c, d) for c, d in zip(coords, data, strict=True))
            )
            return time.perf_counter() - start

        times["write_chunk x n"].append(asyncio.run(chunks()))
        b = zbs.create_array(
            f"memory://overhead-{uuid.uuid4().hex}",
            "b",
            shape=(2 * n,),
            dtype="int32",
            chunks=(2,),
            compressors=None,
        )

        async def regions(b: zb.Array = b) -> float:
            start = time.perf_counter()
            await asyncio.gather(
                *(zb.write_region(b, slice(2 * i, 2 * i + 1), 5) for i in range(n))
            )
            return time.perf_counter() - start

        times["region x n"].append(asyncio.run(regions()))
    print(
        json.dumps(
            {"label": args.label, "chunks": n} | {k: statistics.median(v) for k, v in times.items()}
        )
    )


if __name__ == "__main__":
    main()
