#!/usr/bin/env python3
"""The scaling curve of issue 16: the whole read of case (a) and the ``asyncio.gather`` of its
512 single-chunk awaits (case (d)), against the number of cores, for zarrbridge and its peers.

    python benches/scaling.py [--cores 1,2,4,8,16] [--libs zarrbridge,tensorstore,zarrista]
                              [--runs 3] [--json out.json] [--md out.md] [--workdir DIR]

For every core count k (those the machine has), every library runs in a fresh process pinned
to cores 0..k-1 with ``taskset``, so its pools size themselves to k (zarrbridge's follow the
affinity, see ``zarrbridge._native.pool_sizes()``); the process reads (a) whole and gathers
the 512 chunk reads, warm-up first, then ``--runs`` timed runs of each, and reports the medians.
Libraries take turns for each k. The bound is zstd decoding the very chunk files on k threads
(the ``zstandard`` package, as in ``run.py``), in a process pinned the same way.

Made for a 16-core machine (the issue's curve); it runs anywhere and skips core counts the
machine lacks. The data are (a)'s: 512^3 uint16, random-ish 10 bits, chunks 64^3, zstd 1,
written once by zarr-python (``--n 256`` for a quick run).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from typing import Any

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

LIBS = ["zarrbridge", "tensorstore", "zarrista"]


def child(lib_key: str, path: str, n: int, runs: int) -> dict[str, Any]:
    """In the pinned process: time the whole read and the gather of every chunk."""
    from libs import ArraySpec, Location, all_libs

    spec = ArraySpec((n, n, n), "uint16", (64, 64, 64))
    loc = Location(kind="file", path=path)
    coords = spec.chunk_coords()
    if lib_key == "bound":
        from bounds import Pool, chunk_objects, decode_bound

        pool = Pool(len(os.sched_getaffinity(0)))
        chunks = chunk_objects(path, spec)
        chunk_nbytes = 64**3 * 2
        decode_bound(pool, chunks, chunk_nbytes)
        times = [decode_bound(pool, chunks, chunk_nbytes) for _ in range(runs)]
        return {"whole": statistics.median(times), "gather": statistics.median(times)}
    lib = {x.key: x for x in all_libs()}[lib_key]
    loop = asyncio.new_event_loop()
    out: dict[str, Any] = {}
    with lib.context():
        h = lib.open(loc)

        def whole() -> float:
            t0 = time.perf_counter()
            lib.read(h)
            return time.perf_counter() - t0

        async def gather() -> float:
            t0 = time.perf_counter()
            await lib.read_all_chunks_async(h, coords, spec)
            return time.perf_counter() - t0

        whole()
        loop.run_until_complete(gather())
        out["whole"] = statistics.median(whole() for _ in range(runs))
        out["gather"] = statistics.median(loop.run_until_complete(gather()) for _ in range(runs))
    if lib_key == "zarrbridge":
        from zarrbridge import _native

        out["pool_sizes"] = _native.pool_sizes()
    return out


def pinned(k: int, args: list[str]) -> dict[str, Any]:
    prefix = ["taskset", "-c", f"0-{k - 1}"] if shutil.which("taskset") else []
    proc = subprocess.run(
        [*prefix, sys.executable, __file__, *args], capture_output=True, text=True, timeout=1800
    )
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or ["?"])[-1]}
    result: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return result


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--cores", default="1,2,4,8,16")
    p.add_argument("--libs", default=",".join(LIBS))
    p.add_argument("--runs", type=int, default=3)
    p.add_argument("--n", type=int, default=512)
    p.add_argument("--json", default=None)
    p.add_argument("--md", default=None)
    p.add_argument("--workdir", default=None)
    p.add_argument("--child", nargs=2, metavar=("LIB", "PATH"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        print(json.dumps(child(args.child[0], args.child[1], args.n, args.runs)))
        return 0

    from libs import ArraySpec, Location, ZarrPython
    from run import random_ish

    usable = len(os.sched_getaffinity(0))
    cores = [k for k in (int(c) for c in args.cores.split(",")) if k <= usable]
    skipped = [k for k in (int(c) for c in args.cores.split(",")) if k > usable]
    libs = args.libs.split(",")
    work = args.workdir or tempfile.mkdtemp(prefix="zarrbridge-scaling-")
    loc = Location(kind="file", path=os.path.join(work, "a"))
    spec = ArraySpec((args.n,) * 3, "uint16", (64, 64, 64))
    writer = ZarrPython()
    with writer.context():
        writer.write(writer.create(loc, spec), random_ish(spec.shape, "uint16", bits=10))
    results: dict[int, dict[str, dict[str, Any]]] = {}
    for k in cores:
        results[k] = {}
        for key in [*libs, "bound"]:
            child_args = ["--child", key, loc.path, "--n", str(args.n), "--runs", str(args.runs)]
            results[k][key] = pinned(k, child_args)
            print(f"{k} cores, {key}: {results[k][key]}", file=sys.stderr, flush=True)
    nbytes = spec.nbytes

    def mbs(r: dict[str, Any], what: str) -> str:
        return "error" if "error" in r else f"{nbytes / r[what] / 1e6:,.0f}"

    names = " / ".join(libs)
    lines = [
        f"| cores | whole read MB/s: {names} | gather of {len(spec.chunk_coords())} awaits MB/s: "
        f"{names} | zstd decode bound MB/s | zarrbridge whole, gather / bound |",
        "|---|---|---|---|---|",
    ]
    for k in cores:
        r = results[k]
        bound = r["bound"]
        zb = r.get("zarrbridge", {})
        share = (
            f"{bound['whole'] / zb['whole']:.0%}, {bound['whole'] / zb['gather']:.0%}"
            if "whole" in zb and "whole" in bound
            else ""
        )
        lines.append(
            f"| {k} | {' / '.join(mbs(r[x], 'whole') for x in libs)} | "
            f"{' / '.join(mbs(r[x], 'gather') for x in libs)} | {mbs(bound, 'whole')} | {share} |"
        )
    if skipped:
        lines.append(f"\nSkipped (this machine has {usable} usable cores): {skipped}")
    md = "\n".join(lines) + "\n"
    print(md)
    if args.md:
        with open(args.md, "w") as f:
            f.write(md)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"usable_cores": usable, "n": args.n, "results": results}, f, indent=1)
    if not args.workdir:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
