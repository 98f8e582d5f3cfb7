"""``zarrbridge.sync`` works from any thread, including one running an event loop, and refuses
at once a call that would deadlock (a blocking call from inside a zarrbridge callback)."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid

import numpy as np
import pytest
import trio
import zarrbridge as zb
from zarrbridge import _native
from zarrbridge import sync as zbs


@pytest.fixture
def array() -> zb.Array:
    a = zbs.create_array(f"memory://sync-{uuid.uuid4().hex}", "a", shape=(6,), dtype="int16")
    zbs.write_region(a, ..., np.arange(6))
    return a


def test_sync_inside_a_running_asyncio_loop(array: zb.Array) -> None:
    async def main() -> np.ndarray:
        zbs.write_region(array, slice(0, 2), [10, 11])
        # ... and the async API still works on the same loop afterwards.
        await zb.write_region(array, 5, 15)
        return zbs.read_region(array)

    np.testing.assert_array_equal(asyncio.run(main()), [10, 11, 2, 3, 4, 15])


def test_sync_inside_a_running_trio_loop(array: zb.Array) -> None:
    async def main() -> np.ndarray:
        zbs.write_region(array, slice(0, 2), [20, 21])
        await zb.write_region(array, 5, 25)
        return zbs.read_region(array)

    np.testing.assert_array_equal(trio.run(main), [20, 21, 2, 3, 4, 25])


def test_sync_from_many_threads_at_once_some_running_loops(array: zb.Array) -> None:
    errors: list[BaseException] = []

    def plain(i: int) -> None:
        for _ in range(50):
            np.testing.assert_array_equal(zbs.read_region(array, slice(2, 5)), [2, 3, 4])

    def in_asyncio(i: int) -> None:
        async def main() -> None:
            plain(i)

        asyncio.run(main())

    def in_trio(i: int) -> None:
        async def main() -> None:
            plain(i)

        trio.run(main)

    def guard(fn, i: int) -> None:  # type: ignore[no-untyped-def]
        try:
            fn(i)
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=guard, args=(fn, i))
        for i in range(4)
        for fn in (plain, in_asyncio, in_trio)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads)
    assert errors == []


def test_sync_inside_a_callback_raises_at_once_instead_of_deadlocking(array: zb.Array) -> None:
    """Callbacks run on a runtime thread; blocking there could wait for that very thread."""
    outcome: list[BaseException | str] = []
    done = threading.Event()

    def callback(result: object, error: BaseException | None) -> None:
        start = time.perf_counter()
        try:
            zbs.read_region(array)
            outcome.append("no error")
        except RuntimeError as exc:
            outcome.append(exc)
        outcome.append(f"{time.perf_counter() - start:.3f}")
        done.set()

    # Two chunks: their decoding goes to the compute pool, so the call does not usually
    # complete in its first poll (which returns a Ready instead of calling back) and the
    # callback runs on a runtime thread. On a loaded machine the pool can finish both before
    # the first poll ends; a Ready never calls back, so try again.
    for _ in range(50):
        task = _native.read_chunks(array._native, [[0], [0]], callback=callback)
        if type(task) is _native.Task:
            break
    assert type(task) is _native.Task, f"expected a pending Task, got {task!r}"
    assert done.wait(10)
    error, elapsed = outcome
    assert isinstance(error, RuntimeError)
    assert "deadlock" in str(error)
    assert float(elapsed) < 1.0
