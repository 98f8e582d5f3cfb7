#!/usr/bin/env python3
"""Orthogonal, vectorized and strided reads: zarrbridge against zarr-python and tensorstore,
the same data in the same run, interleaved.

    python benches/fancy.py [--repeat N] [--quick] [--json out.json] [--md out.md]

Two arrays, written once by zarr-python (the neutral writer) to local files: 4096x4096
float32 (64 MiB; random values, zstd level 1 stores them at ~0.93 of their size), chunks
256x256; and the same sharded (shards 1024x1024, inner chunks 128x128). Cases:

* ``oindex``: 400 random rows x 400 random columns (unsorted, with repeats), ``a.oindex[r, c]``;
* ``oindex-mask``: a boolean mask of every 5th row x columns 1000:3000;
* ``vindex``: 20,000 random points, ``a.vindex[r, c]``;
* ``vindex-clustered``: 20,000 points in a 300x300 window (a few chunks, many points each);
* ``strided``: ``a[::64, ::64]`` (one element of every 64x64 block).

Each library opens the array untimed; only the read is timed (blocking calls: zarrbridge's
``a.oindex[...]``, zarr-python's, tensorstore's ``.read().result()``). One warm-up run per
entry checks the result against numpy; then ``--repeat`` rounds run every entry once each, in
turn, so drift on a shared machine hits all alike. Tables give the median, min and max, and
each library's median over zarrbridge's (> 1: zarrbridge is faster).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

import numpy as np


def write_arrays(root: str, side: int) -> np.ndarray:
    import zarr
    from zarr.codecs import ZstdCodec

    rng = np.random.default_rng(7)
    data = rng.random((side, side), dtype=np.float32)
    store = zarr.storage.LocalStore(root)
    for name, kw in (
        ("plain", {"chunks": (256, 256)}),
        ("sharded", {"chunks": (128, 128), "shards": (1024, 1024)}),
    ):
        z = zarr.create_array(
            store,
            name=name,
            shape=data.shape,
            dtype=data.dtype,
            compressors=ZstdCodec(level=1),
            **kw,
        )
        z[:] = data
    return data


def cases(side: int) -> dict[str, tuple[str, Any]]:
    rng = np.random.default_rng(11)
    rows, cols = rng.integers(0, side, 400), rng.integers(0, side, 400)
    mask = np.zeros(side, dtype=bool)
    mask[::5] = True
    points = (rng.integers(0, side, 20_000), rng.integers(0, side, 20_000))
    window = (rng.integers(500, 800, 20_000), rng.integers(1200, 1500, 20_000))
    return {
        "oindex": ("o", (rows, cols)),
        "oindex-mask": ("o", (mask, slice(side // 4, 3 * side // 4))),
        "vindex": ("v", points),
        "vindex-clustered": ("v", window),
        "strided": ("b", (slice(None, None, 64), slice(None, None, 64))),
    }


def expected(data: np.ndarray, kind: str, sel: Any) -> np.ndarray:
    if kind == "o":
        index = [
            np.arange(data.shape[d])[s] if isinstance(s, slice) else np.asarray(s)
            for d, s in enumerate(sel)
        ]
        index = [np.nonzero(i)[0] if i.dtype == bool else i for i in index]
        return data[np.ix_(*index)]
    return data[sel]


def opener(lib: str, path: str) -> Callable[[], Any]:
    if lib == "zarrbridge":
        import zarrbridge as zb

        return lambda: zb.sync.open_array(path)
    if lib == "zarr-python":
        import zarr

        return lambda: zarr.open_array(path, mode="r")
    import tensorstore as ts

    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": path}}
    return lambda: ts.open(spec, read=True).result()


def reader(lib: str, kind: str, sel: Any) -> Callable[[Any], Any]:
    if lib == "tensorstore":
        if kind == "o":
            return lambda a: a.oindex[sel].read().result()
        if kind == "v":
            return lambda a: a.vindex[sel].read().result()
        return lambda a: a[sel].read().result()
    if kind == "o":
        return lambda a: a.oindex[sel]
    if kind == "v":
        return lambda a: a.vindex[sel]
    return lambda a: a[sel]


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=7)
    p.add_argument("--quick", action="store_true", help="2048x2048, 3 rounds")
    p.add_argument("--libs", default="zarrbridge,zarr-python,tensorstore")
    p.add_argument("--json")
    p.add_argument("--md")
    args = p.parse_args()
    side = 2048 if args.quick else 4096
    repeat = 3 if args.quick else args.repeat
    libs = args.libs.split(",")
    with tempfile.TemporaryDirectory(prefix="zb-fancy-") as root:
        data = write_arrays(root, side)
        entries = []
        for layout in ("plain", "sharded"):
            path = os.path.join(root, layout)
            for name, (kind, sel) in cases(side).items():
                want = expected(data, kind, sel)
                for lib in libs:
                    entries.append(
                        (layout, name, lib, opener(lib, path), reader(lib, kind, sel), want)
                    )
        times: dict[tuple[str, str, str], list[float]] = {}
        for round_ in range(repeat + 1):
            for layout, name, lib, open_, read, want in entries:
                handle = open_()
                t0 = time.perf_counter()
                got = read(handle)
                t = time.perf_counter() - t0
                if round_ == 0:
                    np.testing.assert_array_equal(np.asarray(got), want, err_msg=f"{lib} {name}")
                else:
                    times.setdefault((layout, name, lib), []).append(t)
    results = []
    lines = [
        f"fancy-indexing reads, {side}x{side} float32, {repeat} rounds "
        f"({platform.machine()}, {os.cpu_count()} CPUs, shared machine)",
        "",
    ]
    for layout in ("plain", "sharded"):
        lines += [
            f"### {layout}",
            "",
            "| case | library | median s | min | max | x zarrbridge |",
            "|---|---|---|---|---|---|",
        ]
        for name in cases(side):
            base = statistics.median(times[(layout, name, libs[0])])
            for lib in libs:
                ts_ = times[(layout, name, lib)]
                med = statistics.median(ts_)
                results.append(
                    {"layout": layout, "case": name, "lib": lib, "times": ts_, "median": med}
                )
                lines.append(
                    f"| {name} | {lib} | {med:.4f} | {min(ts_):.4f} | {max(ts_):.4f} | "
                    f"{med / base:.2f} |"
                )
        lines.append("")
    report = "\n".join(lines)
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"side": side, "repeat": repeat, "results": results}, f, indent=1)
    if args.md:
        with open(args.md, "w") as f:
            f.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
