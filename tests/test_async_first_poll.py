"""Async calls that can finish at once (a small chunk from memory or the page cache) complete in
their first poll on the caller's thread, with no callback and no event-loop wake-up; the rest
go to the runtime and call back. Both must give the same results and the same errors."""

from __future__ import annotations

import uuid

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import _native
from zarrbridge import sync as zbs
from zarrbridge.errors import ChunkIndexError, NodeNotFoundError


@pytest.fixture
def array() -> zb.Array:
    a = zbs.create_array(
        f"memory://first-poll-{uuid.uuid4().hex}", "a", shape=(8,), chunks=(4,), dtype="int32"
    )
    zbs.write_region(a, ..., np.arange(8, dtype="int32"))
    return a


def test_small_single_chunk_read_completes_in_the_first_poll(array: zb.Array) -> None:
    calls: list[object] = []
    ready = _native.read_chunk(array._native, [1], callback=lambda r, e: calls.append((r, e)))
    assert type(ready) is _native.Ready, f"expected Ready, got {ready!r}"
    assert np.asarray(ready.result()).tolist() == [4, 5, 6, 7]
    assert calls == [], "a Ready call must not also call back"


def test_multi_chunk_read_goes_to_the_runtime() -> None:
    # Many chunks: with two, the codec pool could finish both while the first poll still runs
    # (futures woken during a poll are polled again in it), and the call would be Ready.
    array = zbs.create_array(
        f"memory://first-poll-{uuid.uuid4().hex}", "a", shape=(1024,), chunks=(4,), dtype="int32"
    )
    zbs.write_region(array, ..., np.arange(1024, dtype="int32"))
    coords = [[i] for i in range(256)]
    task = _native.read_chunks(array._native, coords, callback=lambda r, e: None)
    assert type(task) is _native.Task, f"expected Task, got {task!r}"


def test_errors_of_a_first_poll_call_keep_their_type(array: zb.Array) -> None:
    ready = _native.read_chunk(array._native, [9], callback=lambda r, e: None)
    assert type(ready) is _native.Ready
    with pytest.raises(ChunkIndexError):
        ready.result()


@pytest.mark.anyio
async def test_async_api_gives_the_same_results_either_way(array: zb.Array) -> None:
    assert (await zb.read_chunk(array, (0,))).tolist() == [0, 1, 2, 3]  # first poll
    chunks = await zb.read_chunks(array, [(0,), (1,)])  # runtime
    assert [c.tolist() for c in chunks] == [[0, 1, 2, 3], [4, 5, 6, 7]]
    with pytest.raises(NodeNotFoundError):
        await zb.open_array(array.store, "missing")
