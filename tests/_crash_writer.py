"""Writes that can be interrupted anywhere, and the verifier that checks what they left.

Every write fills whole chunks with one int64 value that says who wrote it:
``(run << 40) | (k << 16) | tag``, where ``tag`` is the chunk's linear index for a chunk write,
or ``0x8000 | row`` for a region write covering one whole row of chunks. Attribute updates store
``{"k": k, "blob": "x" * (k % BLOB_CYCLE)}``. So after any interruption every chunk must hold a
single value that names a write of that very chunk (or the fill value 0), and every metadata
document must parse with a blob matching its ``k``: anything else is a torn or misplaced write.

Imported by the tests and by the child processes they spawn (``multiprocessing`` spawn).
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import zarrbridge as zb
from zarrbridge import sync as zbs

GRID = (4, 4)
CHUNK = (32, 32)
SHAPE = (GRID[0] * CHUNK[0], GRID[1] * CHUNK[1])
BLOB_CYCLE = 3000
ROW_TAG = 0x8000
ARRAYS = ("v3", "v2")


def create_arrays(store: zb.Store | str) -> list[zb.Array]:
    """The arrays written to: one Zarr v3 (zarr.json) and one v2 (.zarray + .zattrs)."""
    return [
        zbs.create_array(
            store, name, shape=SHAPE, dtype="int64", chunks=CHUNK, zarr_format=fmt, overwrite=True
        )
        for name, fmt in (("v3", 3), ("v2", 2))
    ]


def chunk_value(run: int, k: int, coords: tuple[int, int]) -> int:
    return (run << 40) | (k << 16) | (coords[0] * GRID[1] + coords[1])


def row_value(run: int, k: int, row: int) -> int:
    return (run << 40) | (k << 16) | ROW_TAG | row


def attributes(k: int) -> dict[str, Any]:
    return {"k": k, "blob": "x" * (k % BLOB_CYCLE)}


def write_op(array: zb.Array, run: int, k: int, rng: random.Random) -> Any:
    """A coroutine doing the k-th write of this run: a chunk, a row of chunks, or attributes."""
    kind = rng.randrange(3)
    if kind == 0:
        coords = (rng.randrange(GRID[0]), rng.randrange(GRID[1]))
        return array.write_chunk(coords, np.full(CHUNK, chunk_value(run, k, coords), "int64"))
    if kind == 1:
        row = rng.randrange(GRID[0])
        rows = slice(row * CHUNK[0], (row + 1) * CHUNK[0])
        return array.write_region((rows, slice(None)), row_value(run, k, row))
    return array.update_attributes(attributes(k))


def child_main(root: str, run: int, ready: Any) -> None:
    """Write forever with many writes in flight (the parent SIGKILLs this process)."""
    store = zb.Store.from_url(root)
    arrays = [zbs.open_array(store, name) for name in ARRAYS]
    rng = random.Random(run)
    ready.set()

    async def forever() -> None:
        k = 0
        while True:
            batch = []
            for _ in range(32):
                k += 1
                batch.append(write_op(rng.choice(arrays), run, k, rng))
            await asyncio.gather(*batch)
            # The blocking API too, so kills also land inside a blocking call.
            k += 1
            coords = (rng.randrange(GRID[0]), rng.randrange(GRID[1]))
            value = chunk_value(run, k, coords)
            zbs.write_chunk(rng.choice(arrays), coords, np.full(CHUNK, value, "int64"))

    asyncio.run(forever())


@dataclass
class Verdict:
    chunks: int = 0
    fill_chunks: int = 0
    metadata_docs: int = 0
    staging_files: int = 0
    problems: list[str] = field(default_factory=list)


def verify(store: zb.Store, root: Path | None, runs: range) -> Verdict:
    """Check every chunk and metadata document (see the module docs)."""
    verdict = Verdict()
    for name in ARRAYS:
        try:
            array = zbs.open_array(store, name)
            doc = zbs.read_metadata(store, name)
        except zb.errors.ZarrBridgeError as exc:
            verdict.problems.append(f"{name}: metadata does not load: {exc}")
            continue
        verdict.metadata_docs += 1
        attrs = doc.get("attributes", {})
        if attrs and len(attrs.get("blob", "")) != attrs["k"] % BLOB_CYCLE:
            verdict.problems.append(f"{name}: attributes from two writes: k={attrs.get('k')}")
        for row in range(GRID[0]):
            for col in range(GRID[1]):
                verdict.chunks += 1
                where = f"{name} chunk {(row, col)}"
                try:
                    data = zbs.read_chunk(array, (row, col))
                except zb.errors.ZarrBridgeError as exc:
                    verdict.problems.append(f"{where}: does not decode: {exc}")
                    continue
                first = int(data.flat[0])
                if not (data == first).all():
                    verdict.problems.append(f"{where}: holds {len(np.unique(data))} values")
                elif first == 0:
                    verdict.fill_chunks += 1
                elif not _names_this_chunk(first, (row, col), runs):
                    verdict.problems.append(f"{where}: value {first:#x} was not written here")
    if root is not None:
        for dirpath, _, files in os.walk(root):
            for f in files:
                if "#" in f:  # object_store's staging name: a write killed before its rename
                    verdict.staging_files += 1
                elif f in ("zarr.json", ".zarray", ".zattrs"):
                    try:
                        json.loads(Path(dirpath, f).read_text())
                    except ValueError as exc:
                        verdict.problems.append(f"{dirpath}/{f}: not JSON: {exc}")
    return verdict


def _names_this_chunk(value: int, coords: tuple[int, int], runs: range) -> bool:
    run, tag = value >> 40, value & 0xFFFF
    if run not in runs:
        return False
    if tag & ROW_TAG:
        return tag & ~ROW_TAG == coords[0]
    return tag == coords[0] * GRID[1] + coords[1]
