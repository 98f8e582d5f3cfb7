"""Lower bounds and plain-Python references, measured in the same run as the libraries.

* zstd decode / encode of the very chunk bytes of a case, 1 and N threads (``zstandard``,
  which releases the GIL while it (de)compresses; one (de)compressor per thread; the chunks are
  split into N equal interleaved parts, one per thread, so there is no per-chunk hand-off).
* memcpy bandwidth (numpy ``copyto``) into a warm (already faulted-in) and a fresh buffer.
* raw object-store I/O for case (e): obstore ``get_async`` / ``put_async`` of every chunk
  object, a fixed number of requests in flight (``asyncio.Semaphore``), no decoding.
* plain threaded Python loops — open, read, zstd-decode, copy into place (and the reverse for
  writing) — that any user could write in 30 lines; the libraries must beat them.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import numpy as np
import zstandard
from libs import ArraySpec

__all__ = [
    "chunk_objects",
    "decode_bound",
    "encode_bound",
    "memcpy_fresh",
    "memcpy_warm",
    "raw_get_all",
    "raw_put_all",
    "ref_read",
    "ref_read_chunk_loop",
    "ref_write",
]

_EMPTY = 2**64 - 1


def _chunk_path(root: str, coords: Sequence[int]) -> str:
    return os.path.join(root, "c", *(str(c) for c in coords))


def _shard_index(blob: bytes | memoryview, n_inner: int) -> np.ndarray:
    """(offset, nbytes) per inner chunk of a shard with its index at the end (bytes+crc32c)."""
    size = n_inner * 16 + 4
    return np.frombuffer(blob[-size:-4], dtype="<u8").reshape(n_inner, 2)


def chunk_objects(root: str, spec: ArraySpec) -> list[memoryview]:
    """The compressed bytes of every (inner) chunk of the array at ``root`` (a local dir).

    For a sharded array these are the inner chunks, sliced out of the shards.
    """
    out: list[memoryview] = []
    inner_grid = (
        tuple(s // c for s, c in zip(spec.shards, spec.chunks, strict=True))
        if spec.shards
        else None
    )
    for coords in spec.chunk_coords():
        try:
            with open(_chunk_path(root, coords), "rb") as f:
                blob = f.read()
        except FileNotFoundError:
            continue
        if inner_grid is None:
            out.append(memoryview(blob))
            continue
        view = memoryview(blob)
        for off, nb in _shard_index(view, int(np.prod(inner_grid))):
            if off != _EMPTY:
                out.append(view[int(off) : int(off + nb)])
    return out


def _split(items: Sequence[Any], parts: int) -> list[Sequence[Any]]:
    return [items[i::parts] for i in range(parts)]


class Pool:
    """A persistent thread pool, so that bounds do not time thread start-up."""

    def __init__(self, threads: int) -> None:
        self.threads = threads
        self.ex = ThreadPoolExecutor(threads, thread_name_prefix="bound")

    def run_parts(self, fn: Callable[[Sequence[Any]], None], items: Sequence[Any]) -> float:
        parts = _split(items, self.threads)
        t0 = time.perf_counter()
        if self.threads == 1:
            fn(parts[0])
        else:
            for f in [self.ex.submit(fn, p) for p in parts]:
                f.result()
        return time.perf_counter() - t0


def decode_bound(pool: Pool, chunks: Sequence[memoryview], chunk_nbytes: int) -> float:
    """Seconds to zstd-decode every chunk (into a fresh ``bytes`` each, as zstandard does)."""

    def work(part: Sequence[memoryview]) -> None:
        d = zstandard.ZstdDecompressor()
        for b in part:
            d.decompress(b, max_output_size=chunk_nbytes)

    return pool.run_parts(work, chunks)


def encode_bound(pool: Pool, decoded: Sequence[np.ndarray], level: int) -> float:
    """Seconds to zstd-encode every (C-contiguous) chunk at ``level``."""

    def work(part: Sequence[np.ndarray]) -> None:
        c = zstandard.ZstdCompressor(level=level)
        for a in part:
            c.compress(a)

    return pool.run_parts(work, decoded)


def stored_files(root: str) -> list[tuple[str, bytes]]:
    """Every stored chunk (or shard) file below ``root``, as (relative path, bytes)."""
    out = []
    for dirpath, _, names in os.walk(root):
        for name in sorted(names):
            if name in ("zarr.json", ".zarray", ".zattrs", ".zgroup"):
                continue
            path = os.path.join(dirpath, name)
            with open(path, "rb") as f:
                out.append((os.path.relpath(path, root), f.read()))
    return out


def file_write_bound(pool: Pool, files: Sequence[tuple[str, bytes]], root: str) -> float:
    """Seconds to write ``files`` below ``root`` as the libraries do: a temporary file each,
    renamed into place (no encoding; directories made as needed)."""

    def work(part: Sequence[tuple[str, bytes]]) -> None:
        for rel, payload in part:
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            tmp = f"{path}#{threading.get_ident()}"
            with open(tmp, "wb") as f:
                f.write(payload)
            os.rename(tmp, path)

    return pool.run_parts(work, files)


async def raw_get_all(store: Any, keys: Sequence[str], inflight: int) -> tuple[float, list[Any]]:
    """Seconds to GET every object of ``keys`` whole with ``inflight`` requests in flight (the
    timer runs inside the coroutine, as for the libraries), and the bodies."""
    import obstore

    sem = asyncio.Semaphore(inflight)

    async def one(key: str) -> Any:
        async with sem:
            r = await obstore.get_async(store, key)
            return await r.bytes_async()

    t0 = time.perf_counter()
    out = await asyncio.gather(*(one(k) for k in keys))
    return time.perf_counter() - t0, list(out)


async def raw_put_all(store: Any, items: Sequence[tuple[str, Any]], inflight: int) -> float:
    """Seconds to PUT every ``(key, body)`` with ``inflight`` requests in flight."""
    import obstore

    sem = asyncio.Semaphore(inflight)

    async def one(key: str, body: Any) -> None:
        async with sem:
            await obstore.put_async(store, key, body)

    t0 = time.perf_counter()
    await asyncio.gather(*(one(k, b) for k, b in items))
    return time.perf_counter() - t0


def memcpy_warm(src: np.ndarray, dst: np.ndarray) -> float:
    """Seconds to copy ``src`` into an already faulted-in ``dst`` (single thread)."""
    t0 = time.perf_counter()
    np.copyto(dst, src)
    return time.perf_counter() - t0


def memcpy_fresh(src: np.ndarray) -> float:
    """Seconds to allocate a new array and copy ``src`` into it (page faults included)."""
    t0 = time.perf_counter()
    dst = np.empty_like(src)
    np.copyto(dst, src)
    elapsed = time.perf_counter() - t0
    del dst
    return elapsed


# --- plain threaded Python references ------------------------------------------------------------


def ref_read(root: str, spec: ArraySpec, threads: int) -> np.ndarray:
    """Read the whole array at ``root`` with a thread pool: open, read, zstd-decode, copy.

    One task per stored object (chunk, or shard with all its inner chunks).
    """
    dtype = np.dtype(spec.dtype)
    out = np.empty(spec.shape, dtype=dtype)
    local = threading.local()
    inner = spec.chunks
    inner_nbytes = int(np.prod(inner)) * dtype.itemsize
    inner_grid = (
        tuple(s // c for s, c in zip(spec.shards, spec.chunks, strict=True))
        if spec.shards
        else None
    )

    def put(region: tuple[slice, ...], dec: bytes | None) -> None:
        # region: where the chunk lands in `out` (clipped at the array edge)
        if dec is None:
            out[region] = 0
            return
        block = np.frombuffer(dec, dtype=dtype).reshape(inner)
        out[region] = block[tuple(slice(0, r.stop - r.start) for r in region)]

    def job(coords: tuple[int, ...]) -> None:
        d = getattr(local, "d", None)
        if d is None:
            d = local.d = zstandard.ZstdDecompressor()
        try:
            with open(_chunk_path(root, coords), "rb") as f:
                blob = f.read()
        except FileNotFoundError:
            out[spec.chunk_slices(coords)] = 0
            return
        if inner_grid is None:
            put(spec.chunk_slices(coords), d.decompress(blob, max_output_size=inner_nbytes))
            return
        view = memoryview(blob)
        index = _shard_index(view, int(np.prod(inner_grid)))
        for n, icoords in enumerate(np.ndindex(*inner_grid)):
            start = [
                c * s + i * k
                for c, s, i, k in zip(coords, spec.shards, icoords, inner, strict=True)
            ]
            region = tuple(
                slice(a, min(a + k, s)) for a, k, s in zip(start, inner, spec.shape, strict=True)
            )
            if any(r.start >= r.stop for r in region):
                continue
            off, nb = index[n]
            dec = (
                None
                if off == _EMPTY
                else d.decompress(view[int(off) : int(off + nb)], max_output_size=inner_nbytes)
            )
            put(region, dec)

    with ThreadPoolExecutor(threads) as ex:
        for _ in ex.map(job, spec.chunk_coords()):
            pass
    return out


def ref_write(root: str, spec: ArraySpec, data: np.ndarray, threads: int) -> None:
    """Write ``data`` as an unsharded Zarr v3 array: slice, zstd-encode, write each chunk."""
    if spec.shards:
        raise ValueError("the reference writer does not shard")
    os.makedirs(root, exist_ok=True)
    with open(os.path.join(root, "zarr.json"), "w") as f:
        json.dump(spec.zarr_json(), f)
    local = threading.local()
    dtype = np.dtype(spec.dtype)

    def job(coords: tuple[int, ...]) -> None:
        c = getattr(local, "c", None)
        if c is None:
            c = local.c = zstandard.ZstdCompressor(level=spec.zstd_level)
        region = spec.chunk_slices(coords)
        block = data[region]
        if block.shape != spec.chunks:  # edge chunk: pad with the fill value
            padded = np.zeros(spec.chunks, dtype=dtype)
            padded[tuple(slice(0, n) for n in block.shape)] = block
            block = padded
        block = np.ascontiguousarray(block)
        path = _chunk_path(root, coords)
        if not block.any():  # write_empty_chunks=False, like the libraries
            return
        payload = c.compress(block)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "wb") as f:
            f.write(payload)

    with ThreadPoolExecutor(threads) as ex:
        for _ in ex.map(job, spec.chunk_coords()):
            pass


def ref_read_chunk_loop(root: str, spec: ArraySpec, coords_list: Sequence[tuple[int, ...]]) -> list:
    """One chunk at a time, no threads: open, read, zstd-decode into a new array (case c)."""
    dtype = np.dtype(spec.dtype)
    nbytes = int(np.prod(spec.chunks)) * dtype.itemsize
    d = zstandard.ZstdDecompressor()
    out = []
    for coords in coords_list:
        with open(_chunk_path(root, coords), "rb") as f:
            blob = f.read()
        out.append(
            np.frombuffer(bytearray(d.decompress(blob, max_output_size=nbytes)), dtype).reshape(
                spec.chunks
            )
        )
    return out
