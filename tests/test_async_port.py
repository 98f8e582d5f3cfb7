"""Under asyncio, results come back through the loop's completion port: runtime threads queue
them and wake the loop through a socket, and never call into Python to deliver them (no
``call_soon_threadsafe``, so no GIL hand-over per operation). Loops that cannot watch a socket
fall back to callbacks. docs/dev/async-bridge.md has the figures."""

from __future__ import annotations

import asyncio
import threading
import uuid
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import _bridge, _native
from zarrbridge import sync as zbs


@pytest.fixture
def array() -> zb.Array:
    a = zbs.create_array(
        f"memory://port-{uuid.uuid4().hex}", "a", shape=(64, 1024), chunks=(1, 1024), dtype="int64"
    )
    zbs.write_region(a, ..., np.arange(64 * 1024, dtype="int64").reshape(64, 1024))
    return a


class RecordingLoop(asyncio.SelectorEventLoop):
    """Records which threads ask it to run callbacks."""

    def __init__(self) -> None:
        super().__init__()
        self.threadsafe_calls_from: list[int] = []

    def call_soon_threadsafe(self, *args: Any, **kwargs: Any) -> Any:
        self.threadsafe_calls_from.append(threading.get_ident())
        return super().call_soon_threadsafe(*args, **kwargs)


class NoReaderLoop(RecordingLoop):
    def add_reader(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError


async def read_rows_one_call_each(array: zb.Array) -> list[np.ndarray]:
    # Two rows per call: multi-chunk reads never finish in the first poll, so each one goes
    # through the runtime and reports back.
    return await asyncio.gather(
        *(zb.read_region(array, (slice(i, i + 2),)) for i in range(0, 64, 2))
    )


def test_runtime_threads_never_call_into_the_loop_to_deliver(array: zb.Array) -> None:
    loop = RecordingLoop()
    try:
        parts = loop.run_until_complete(read_rows_one_call_each(array))
    finally:
        loop.close()
    assert np.array_equal(np.concatenate(parts), zbs.read_region(array))
    assert loop.threadsafe_calls_from == []


def test_a_loop_gets_one_port_whose_tasks_carry_their_future(array: zb.Array) -> None:
    async def main() -> None:
        loop = asyncio.get_running_loop()
        await read_rows_one_call_each(array)
        port = _bridge._PORTS[id(loop)]
        assert isinstance(port, _native.CompletionPort)
        # A Ready (both chunks done within the first poll, which a loaded machine allows) never
        # reaches the port: try again until the call is pending.
        for _ in range(50):
            task = _native.read_chunks(array._native, [[0, 0], [1, 0]], callback=port)
            if type(task) is _native.Task:
                break
        assert type(task) is _native.Task
        first, second = await task.future
        assert np.asarray(first).tolist() == [list(range(1024))]
        assert np.asarray(second)[0, 0] == 1024
        await read_rows_one_call_each(array)
        assert _bridge._PORTS[id(loop)] is port

    asyncio.run(main())


def test_the_port_leaves_with_its_loop(array: zb.Array) -> None:
    async def main() -> int:
        await read_rows_one_call_each(array)
        return id(asyncio.get_running_loop())

    key = asyncio.run(main())
    import gc

    gc.collect()
    assert key not in _bridge._PORTS


def test_a_cancelled_wait_is_never_resolved_later(array: zb.Array) -> None:
    async def main() -> None:
        reads = [asyncio.ensure_future(read_rows_one_call_each(array)) for _ in range(8)]
        await asyncio.sleep(0)
        for r in reads[::2]:
            r.cancel()
        done = await asyncio.gather(*reads, return_exceptions=True)
        for i, outcome in enumerate(done):
            if i % 2:
                assert isinstance(outcome, list) and len(outcome) == 32
        # Later deliveries for the cancelled reads find nobody and raise nothing.
        await asyncio.sleep(0.05)

    asyncio.run(main())


def test_loops_without_add_reader_use_callbacks(array: zb.Array) -> None:
    loop = NoReaderLoop()
    try:
        parts = loop.run_until_complete(read_rows_one_call_each(array))
    finally:
        loop.close()
    assert np.array_equal(np.concatenate(parts), zbs.read_region(array))
    main_thread = threading.get_ident()
    assert len(loop.threadsafe_calls_from) >= 1
    assert all(t != main_thread for t in loop.threadsafe_calls_from)
