"""Cancelling an awaited call returns control at once, even when the store stalls, and the Rust
work stops. The stall is real: the chunk is read from a loopback server that accepts the
connection and never answers (``tests/stalling.py``). (A FIFO chunk served here once; the file
store now refuses FIFOs at once, see test_file_store_special_files.py.)
"""

from __future__ import annotations

import asyncio
import os
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

import anyio
import numpy as np
import pytest
import zarrbridge as zb
from stalling import StallingServer, fill_value_chunk, stalled_array

pytestmark = pytest.mark.anyio


@pytest.fixture
def stalling_server() -> Iterator[StallingServer]:
    with StallingServer() as server:
        yield server


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def cancel_one_stalled_read(array: zb.Array, delay: float) -> float:
    """Start a read that stalls, cancel its scope after ``delay``; seconds from the cancel until
    the scope has exited."""
    async with anyio.create_task_group() as tg:

        async def read() -> None:
            await zb.read_chunk(array, (0,))
            raise AssertionError("a read of a FIFO nobody writes completed")

        tg.start_soon(read)
        await anyio.sleep(delay)
        start = time.perf_counter()
        tg.cancel_scope.cancel()
    return time.perf_counter() - start


async def test_cancelling_a_stalled_read_returns_within_100ms_p99(
    stalling_server: StallingServer, anyio_backend: str
) -> None:
    array = stalled_array(stalling_server.url)
    latencies = []
    for i in range(200):
        latencies.append(await cancel_one_stalled_read(array, delay=0.002 + (i % 5) * 0.002))
    assert stalling_server.connections >= 1, "the reads never reached the server"
    p50, p99 = percentile(latencies, 50), percentile(latencies, 99)
    print(f"\n{anyio_backend}: cancel latency p50 {p50 * 1e3:.3f} ms, p99 {p99 * 1e3:.3f} ms")
    assert p99 < 0.1


async def test_a_timeout_cancels_a_stalled_read(
    stalling_server: StallingServer, anyio_backend: str
) -> None:
    array = stalled_array(stalling_server.url)
    start = time.perf_counter()
    if anyio_backend == "asyncio":
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(zb.read_chunk(array, (0,)), 0.05)
    else:
        with anyio.move_on_after(0.05) as scope:
            await zb.read_chunk(array, (0,))
        assert scope.cancelled_caught
    overshoot = time.perf_counter() - start - 0.05
    assert overshoot < 0.1


async def test_the_store_is_usable_after_a_stalled_read_was_cancelled(
    stalling_server: StallingServer, anyio_backend: str
) -> None:
    array = stalled_array(stalling_server.url)
    with anyio.move_on_after(0.02):
        await zb.read_chunk(array, (0,))
    stalling_server.release()
    with anyio.fail_after(10):
        np.testing.assert_array_equal(await zb.read_chunk(array, (0,)), fill_value_chunk())


def count_files(root: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(root))


async def test_a_cancelled_batch_write_stops_writing(store_dir: Path, anyio_backend: str) -> None:
    """Chunks stop appearing soon after the cancel: the Rust work stopped, it did not run on."""
    n = 20_000
    array = await zb.create_array(
        str(store_dir), "a", shape=(n,), dtype="uint8", chunks=(1,), compressors=None
    )
    coords = [(i,) for i in range(n)]
    data = [np.full(1, 7, dtype="uint8")] * n
    async with anyio.create_task_group() as tg:
        tg.start_soon(zb.write_chunks, array, coords, data)
        with anyio.fail_after(30):  # cancel once the batch is under way, however slow the machine
            while count_files(store_dir / "a") < 10:
                await anyio.sleep(0.001)
        tg.cancel_scope.cancel()
    # Writes already handed to a thread finish (each is atomic); give them time, then watch.
    await anyio.sleep(0.3)
    settled = count_files(store_dir / "a")
    await anyio.sleep(0.5)
    assert count_files(store_dir / "a") == settled
    assert 1 < settled < n // 2  # something was written, and most was never started


async def test_cancelled_writes_that_had_not_started_never_start(
    store_dir: Path, anyio_backend: str
) -> None:
    """Many separate writes, all cancelled at once: of those not done yet, only the ones already
    handed to an I/O thread (at most 32 at a time on a file store) may still land; the rest
    must never run later."""
    n = 2000
    array = await zb.create_array(
        str(store_dir), "a", shape=(n,), dtype="uint8", chunks=(1,), compressors=None
    )
    started = 0

    async def write(i: int) -> None:
        nonlocal started
        started += 1
        await zb.write_chunk(array, (i,), np.full(1, 7, dtype="uint8"))

    async with anyio.create_task_group() as tg:
        for i in range(n):
            tg.start_soon(write, i)
        while started < n:  # every write has called into Rust
            await anyio.sleep(0)
        tg.cancel_scope.cancel()
    # Every task has now cancelled its native operation.
    done_at_cancel = count_files(store_dir / "a")
    await anyio.sleep(1.0)
    landed = count_files(store_dir / "a") - done_at_cancel
    print(f"\n{anyio_backend}: {done_at_cancel - 1} writes done at the cancel, {landed} after")
    assert landed <= 2 * 32
