"""One timed run of one operation with one library; used in-process and by ``remote.py``.

Each function sets up untimed (open / create the array), times only the data call, and checks
the result against ``data`` when ``check`` is set. All take the same keyword arguments, which are
JSON-able apart from ``lib``, ``loop`` and ``data``, so a remote interpreter can run them too.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from typing import Any

import numpy as np
from libs import ArraySpec, Lib, Location

__all__ = ["OPS", "check_equal"]


def check_equal(got: Any, want: np.ndarray, what: str) -> None:
    got = np.asarray(got)
    if got.shape != want.shape or got.dtype != want.dtype or not np.array_equal(got, want):
        raise AssertionError(f"{what}: wrong result (shape {got.shape}, dtype {got.dtype})")


async def _timed(coro: Any) -> tuple[float, Any]:
    t0 = time.perf_counter()
    result = await coro
    return time.perf_counter() - t0, result


def read_whole(
    lib: Lib,
    *,
    loop: asyncio.AbstractEventLoop,
    data: np.ndarray,
    check: bool,
    mode: str,
    loc: Location,
    spec: ArraySpec,
) -> float:
    with lib.context():
        h = lib.open(loc)
        if mode == "sync":
            t0 = time.perf_counter()
            out = lib.read(h)
            t = time.perf_counter() - t0
        else:
            t, out = loop.run_until_complete(_timed(lib.read_async(h)))
    if check:
        check_equal(out, data, f"{lib.label} {mode} read")
    return t


def write_whole(
    lib: Lib,
    *,
    loop: asyncio.AbstractEventLoop,
    data: np.ndarray,
    check: bool,
    mode: str,
    loc: Location,
    spec: ArraySpec,
) -> float:
    """Write ``data`` into a freshly created array (the caller verifies what was written)."""
    loc.clear()
    with lib.context():
        h = lib.create(loc, spec)
        if mode == "sync":
            t0 = time.perf_counter()
            lib.write(h, data)
            t = time.perf_counter() - t0
        else:
            t, _ = loop.run_until_complete(_timed(lib.write_async(h, data)))
    return t


def check_chunks(
    out: Sequence[Any], coords: Sequence[tuple[int, ...]], data: Any, spec: ArraySpec, what: str
) -> None:
    """Each chunk read equals its part of ``data``."""
    for o, c in zip(out, coords, strict=True):
        check_equal(o, data[spec.chunk_slices(c)], f"{what} chunk {c}")


def chunk_loop(
    lib: Lib,
    *,
    loop: asyncio.AbstractEventLoop,
    data: np.ndarray,
    check: bool,
    mode: str,
    loc: Location,
    spec: ArraySpec,
) -> float:
    """Read every stored chunk, one call (or one await) at a time."""
    coords = spec.chunk_coords()
    with lib.context():
        h = lib.open(loc)
        if mode == "sync":
            out = []
            t0 = time.perf_counter()
            for c in coords:
                out.append(lib.read_chunk(h, c, spec))
            t = time.perf_counter() - t0
        else:

            async def one_at_a_time() -> list[Any]:
                res = []
                for c in coords:
                    res.append(await lib.read_chunk_async(h, c, spec))
                return res

            t, out = loop.run_until_complete(_timed(one_at_a_time()))
    if check:
        check_chunks(out, coords, data, spec, f"{lib.label} {mode}")
    return t


def gather_all(
    lib: Lib,
    *,
    loop: asyncio.AbstractEventLoop,
    data: np.ndarray,
    check: bool,
    mode: str,
    loc: Location,
    spec: ArraySpec,
) -> float:
    """Read every stored chunk concurrently: one call per chunk under ``asyncio.gather``."""
    coords = spec.chunk_coords()
    with lib.context():
        h = lib.open(loc)
        t, out = loop.run_until_complete(_timed(lib.read_all_chunks_async(h, coords, spec)))
    if check:
        check_chunks(out, coords, data, spec, lib.label)
    return t


OPS = {
    "read_whole": read_whole,
    "write_whole": write_whole,
    "chunk_loop": chunk_loop,
    "gather_all": gather_all,
}
