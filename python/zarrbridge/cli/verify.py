"""``zarrbridge verify URL[#path]``: read every stored chunk (or a sample) of an array, or of
every array below a group, and report the ones that fail with their keys.

A chunk is *checksum-failing* when a checksum stored with it (a ``crc32c`` codec, a shard
index's) does not match (:class:`~zarrbridge.errors.ChecksumError`), *undecodable* when its
codecs cannot decode it (:class:`~zarrbridge.errors.CodecError`), *unreadable* when the store
fails to return it (:class:`~zarrbridge.errors.StoreError`), and *missing* when the store does
not hold it (one listing per array). A missing chunk is valid Zarr (it reads as the fill
value), so it fails verification only with ``--require-all``.

Chunks are read with the async API, ``--concurrency`` at a time, each decoded and dropped.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field

import zarrbridge as zb
from zarrbridge import Array, Group, Progress, errors
from zarrbridge.cli._exit import PROBLEMS_FOUND
from zarrbridge.cli._progress import Display
from zarrbridge.cli._target import StoreOptions, Target
from zarrbridge.cli.info import listed

__all__ = ["Report", "run", "verify"]

KINDS = ("checksum", "undecodable", "unreadable", "missing")


@dataclass
class Report:
    """What ``verify`` found."""

    arrays: int = 0
    chunks_read: int = 0
    problems: dict[str, list[tuple[str, str]]] = field(
        default_factory=lambda: {kind: [] for kind in KINDS}
    )
    """Per kind, ``(key, message)`` of each chunk."""
    unlisted: list[str] = field(default_factory=list)
    """Arrays whose store could not list: missing chunks were not told apart there."""

    def failed(self, *, require_all: bool) -> bool:
        kinds = KINDS if require_all else KINDS[:-1]
        return any(self.problems[k] for k in kinds)


async def _arrays(node: Array | Group) -> list[Array]:
    if isinstance(node, Array):
        return [node]
    found: list[Array] = []
    for child in await zb.list_children(node):
        found += await _arrays(child)
    return found


def _chosen(array: Array, sample: float | None, rng: random.Random) -> list[tuple[int, ...]]:
    grid = [tuple(c) for c in itertools.product(*(range(n) for n in array.grid_shape))]
    if sample is None:
        return grid
    count = int(sample) if sample >= 1 else math.ceil(sample * len(grid))
    return sorted(rng.sample(grid, min(count, len(grid))))


async def verify(
    node: Array | Group,
    *,
    sample: float | None = None,
    seed: int = 0,
    concurrency: int = 32,
    progress: Display | None = None,
) -> Report:
    """Read the chunks of every array at or below ``node``; what failed, by kind."""
    report = Report()
    rng = random.Random(seed)
    jobs: list[tuple[Array, tuple[int, ...], str, int]] = []
    for array in await _arrays(node):
        report.arrays += 1
        try:
            keys: dict[str, int] | None = listed(
                array.store, f"{array.path}/" if array.path else ""
            )
        except errors.ZarrBridgeError:
            keys = None
            report.unlisted.append(str(array.path or "/"))
        nbytes = math.prod(array.chunk_shape) * array.dtype.itemsize
        for coords in _chosen(array, sample, rng):
            key = array.chunk_key(coords)
            if keys is not None and key not in keys:
                report.problems["missing"].append((key, "not stored (reads as the fill value)"))
            else:
                jobs.append((array, coords, key, nbytes))
    total_bytes = sum(job[3] for job in jobs)
    done = [0, 0]

    def snapshot() -> Progress:
        return Progress(done[0], len(jobs), done[1], total_bytes)

    async def worker(queue: Iterator[tuple[Array, tuple[int, ...], str, int]]) -> None:
        for array, coords, key, nbytes in queue:
            try:
                await zb.read_chunk(array, coords)
            except errors.ChecksumError as e:
                report.problems["checksum"].append((key, str(e)))
            except errors.CodecError as e:
                report.problems["undecodable"].append((key, str(e)))
            except errors.StoreError as e:
                report.problems["unreadable"].append((key, str(e)))
            done[0] += 1
            done[1] += nbytes

    async def ticker() -> None:
        while True:
            await asyncio.sleep(0.1)
            if progress is not None:
                progress(snapshot())

    queue = iter(jobs)  # shared: each worker takes the next job
    tick = asyncio.ensure_future(ticker())
    try:
        await asyncio.gather(*(worker(queue) for _ in range(max(1, concurrency))))
    finally:
        tick.cancel()
    report.chunks_read = done[0]
    if progress is not None:
        progress.finish(snapshot())
    return report


def run(
    target: Target,
    options: StoreOptions,
    *,
    sample: float | None,
    seed: int,
    concurrency: int,
    require_all: bool,
    display: Display,
) -> int:
    async def main() -> Report:
        node = await zb.open_node(options.open(target.url), target.path)
        return await verify(
            node, sample=sample, seed=seed, concurrency=concurrency, progress=display
        )

    try:
        report = asyncio.run(main())
    except BaseException:
        display.abandon()
        raise
    for kind in KINDS:
        if kind == "missing" and not require_all:
            continue
        for key, message in sorted(report.problems[kind]):
            print(f"{kind.upper():<12} {key}  {' '.join(message.split())}")
    counts = ", ".join(f"{len(report.problems[k])} {k}" for k in KINDS)
    print(f"verified {report.arrays} array(s), {report.chunks_read} chunk(s) read: {counts}")
    for path in report.unlisted:
        print(f"note: the store cannot list {path}: missing chunks were read as fill values")
    return PROBLEMS_FOUND if report.failed(require_all=require_all) else 0
