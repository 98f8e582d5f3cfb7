"""Progress callbacks: long operations (regions, batched chunks, orthogonal and vectorized
selections, copy) report chunks and bytes done and planned, at most every 100 ms while they
run and once at the end (done == total), always on the caller's thread or event loop, from
the blocking and the async API (asyncio and trio); a callback that raises stops the operation
and its exception propagates."""

from __future__ import annotations

import threading
import time
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from pystores import DictStore
from zarrbridge import sync as zbs
from zarrbridge.store import python_store

CHUNKS = 96


class SlowStore(DictStore):
    """Every read takes a while, so that an operation runs long enough to be polled."""

    delay = 0.1

    def get(self, path: str, *, options: Any = None) -> Any:
        if "/c/" in path:
            time.sleep(self.delay)
        return super().get(path, options=options)


class Recorder:
    """A progress callback keeping each report, when it came and on which thread."""

    def __init__(self) -> None:
        self.reports: list[tuple[float, int, zb.Progress]] = []

    def __call__(self, progress: zb.Progress) -> None:
        assert isinstance(progress, zb.Progress)
        self.reports.append((time.monotonic(), threading.get_ident(), progress))

    def check(self, chunks: int, nbytes: int, thread: int) -> None:
        assert self.reports, "the callback was never called"
        final = self.reports[-1][2]
        assert final == zb.Progress(chunks, chunks, nbytes, nbytes), f"final report {final}"
        times = [t for t, _, _ in self.reports]
        # Polled while running: never two reports within 100 ms, but for the last one.
        gaps = np.diff(times[:-1])
        assert (gaps >= 0.09).all(), f"reports {gaps.min():.3f} s apart"
        assert {th for _, th, _ in self.reports} == {thread}, "reported on another thread"
        done = [p.chunks_done for _, _, p in self.reports]
        assert done == sorted(done) and all(
            p.chunks_done <= p.chunks_total for *_, p in self.reports
        )


def slow_array() -> tuple[zb.Array, np.ndarray]:
    arr = zbs.create_array(
        python_store(SlowStore()), "a", shape=(CHUNKS, 4), dtype="uint16", chunks=(1, 4)
    )
    data = np.arange(CHUNKS * 4, dtype="uint16").reshape(CHUNKS, 4)
    arr[:] = data
    return arr, data


# name: (function, its arguments, chunks, bytes of array data)
OPERATIONS: dict[str, Any] = {
    "read_region": lambda a: ("read_region", (a, ...), CHUNKS, CHUNKS * 8),
    "read_region_stepped": lambda a: ("read_region", (a, slice(None, None, 2)), 48, 48 * 8),
    "read_chunks": lambda a: ("read_chunks", (a, [(i, 0) for i in range(CHUNKS)]), CHUNKS, 768),
    "read_orthogonal": lambda a: ("read_orthogonal", (a, (np.arange(CHUNKS), [3])), CHUNKS, 192),
    "read_vectorized": lambda a: ("read_vectorized", (a, (np.arange(CHUNKS), 0)), CHUNKS, 192),
    "copy": lambda a: ("copy", (a, "memory://progress-copy", ""), CHUNKS, CHUNKS * 8),
}


@pytest.mark.slow
@pytest.mark.parametrize("operation", OPERATIONS)
def test_blocking_calls_report_on_the_callers_thread(operation: str) -> None:
    arr, _ = slow_array()
    name, args, chunks, nbytes = OPERATIONS[operation](arr)
    recorder = Recorder()
    start = time.monotonic()
    getattr(zbs, name)(*args, progress=recorder, **({"overwrite": True} if name == "copy" else {}))
    took = time.monotonic() - start
    assert took > 0.25, f"the operation took {took:.2f} s: too short to show polling"
    assert len(recorder.reports) >= 2, "no report while the operation ran"
    assert len(recorder.reports) <= took / 0.1 + 2
    recorder.check(chunks, nbytes, threading.get_ident())


@pytest.mark.slow
@pytest.mark.anyio
async def test_async_calls_report_on_the_event_loop(anyio_backend: str) -> None:
    arr, data = slow_array()
    recorder = Recorder()
    got = await zb.read_region(arr, ..., progress=recorder)
    np.testing.assert_array_equal(got, data)
    assert len(recorder.reports) >= 2, "no report while the operation ran"
    recorder.check(CHUNKS, CHUNKS * 8, threading.get_ident())
    recorder = Recorder()
    await zb.write_region(arr, ..., data + 1, progress=recorder)
    recorder.check(CHUNKS, CHUNKS * 8, threading.get_ident())
    np.testing.assert_array_equal(arr[:], data + 1)


class Stop(Exception):
    pass


def stop(progress: zb.Progress) -> None:
    raise Stop(progress)


@pytest.mark.slow
def test_a_callback_that_raises_stops_a_blocking_call() -> None:
    arr, _ = slow_array()
    start = time.monotonic()
    with pytest.raises(Stop):
        zbs.read_region(arr, ..., progress=stop)
    assert time.monotonic() - start < CHUNKS * SlowStore.delay / 4


@pytest.mark.slow
@pytest.mark.anyio
async def test_a_callback_that_raises_stops_an_async_call(anyio_backend: str) -> None:
    arr, _ = slow_array()
    with pytest.raises(Stop):
        await zb.read_region(arr, ..., progress=stop)


@pytest.mark.anyio
async def test_quick_operations_report_once_when_done(anyio_backend: str) -> None:
    store = f"memory://progress-quick-{anyio_backend}"
    arr = zbs.create_array(store, "a", shape=(8,), dtype="u1", chunks=2)
    seen: list[zb.Progress] = []
    await zb.write_chunks(arr, [0, 1], [1, 2], progress=seen.append)
    assert seen == [zb.Progress(2, 2, 4, 4)]
    seen.clear()
    zbs.write_region(arr, slice(1, 7), 3, progress=seen.append)
    assert seen == [zb.Progress(4, 4, 6, 6)]


def test_progress_must_be_callable() -> None:
    arr = zbs.create_array("memory://progress-bad", "a", shape=(8,), dtype="u1")
    with pytest.raises(TypeError, match="callable"):
        zbs.read_region(arr, progress=3)  # type: ignore[arg-type]
