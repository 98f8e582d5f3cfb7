"""Stores written in Python, through the sync and the async adapters: errors keep their type,
read-only stores refuse writes by name, async calls overlap and are cancelled with the caller,
blocking calls that would deadlock are refused, and zarr-python's and obstore's Python-only
stores work as zarrbridge stores."""

from __future__ import annotations

import pickle
import time
from collections.abc import Sequence
from typing import Any

import anyio
import numpy as np
import obstore
import pytest
import zarr
import zarr.storage
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore, ReadOnlyDictStore
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError, UnsupportedError
from zarrbridge.protocols import AsyncStore, ReadOnlySyncStore, SyncStore
from zarrbridge.store import as_store


class Boom(Exception):
    """An exception type zarrbridge knows nothing about."""


class FailingStore(DictStore):
    """Every read of a chunk raises ``Boom``."""

    def _value(self, path: str) -> bytes:
        if "/c/" in path:
            raise Boom(f"cannot read {path}")
        return super()._value(path)


class AsyncFailingStore(AsyncDictStore):
    def __init__(self) -> None:
        super().__init__()
        self.sync = FailingStore()


def test_the_dict_stores_satisfy_the_protocols() -> None:
    assert isinstance(DictStore(), SyncStore)
    assert isinstance(ReadOnlyDictStore(), ReadOnlySyncStore)
    assert not isinstance(ReadOnlyDictStore(), SyncStore)
    assert isinstance(AsyncDictStore(), AsyncStore)
    assert isinstance(obstore.store.MemoryStore(), AsyncStore)
    assert isinstance(obstore.store.MemoryStore(), SyncStore)


def test_an_object_with_both_families_gets_the_async_adapter() -> None:
    both = obstore.store.MemoryStore()
    store = as_store(both)
    zbs.create_group(store, "g")
    assert zbs.open_group(store, "g").path == "g"


def test_a_native_store_satisfies_both_families() -> None:
    store = zb.Store.from_url("memory://protocols-native")
    assert isinstance(store, SyncStore)
    assert isinstance(store, AsyncStore)


@pytest.mark.parametrize("store_cls", [FailingStore, AsyncFailingStore])
def test_a_python_store_exception_reaches_the_caller_with_its_own_type(store_cls: Any) -> None:
    store = as_store(store_cls())
    arr = zbs.create_array(store, "a", shape=(4,), dtype="int8", chunks=(2,))
    with pytest.raises(Boom, match="cannot read a/c/0") as info:
        zbs.read_chunk(arr, (0,))
    # Chained from the library's error, which names the store.
    assert isinstance(info.value.__cause__, StoreError)
    assert store.url in str(info.value.__cause__)


@pytest.mark.anyio
async def test_a_python_store_exception_reaches_an_async_caller_with_its_own_type() -> None:
    store = as_store(AsyncFailingStore())
    arr = await zb.create_array(store, "a", shape=(4,), dtype="int8", chunks=(2,))
    with pytest.raises(Boom):
        await zb.read_chunk(arr, (1,))


def test_missing_keys_read_as_fill_values_through_both_adapters() -> None:
    for py_store in (DictStore(), AsyncDictStore()):
        arr = zbs.create_array(as_store(py_store), "a", shape=(3,), dtype="int16", fill_value=7)
        np.testing.assert_array_equal(zbs.read_region(arr), [7, 7, 7])


def test_read_only_store_reads_and_refuses_writes_naming_the_store() -> None:
    writable = DictStore()
    zbs.create_array(as_store(writable), "a", shape=(2,), dtype="uint8", fill_value=3)
    read_only = ReadOnlyDictStore()
    read_only.data = writable.data
    store = as_store(read_only)
    arr = zbs.open_array(store, "a")
    np.testing.assert_array_equal(zbs.read_region(arr), [3, 3])
    with pytest.raises(StoreError, match="read only") as info:
        zbs.write_region(arr, ..., np.array([1, 2], dtype="uint8"))
    assert "ReadOnlyDictStore" in str(info.value)


def test_python_stores_do_not_pickle() -> None:
    store = as_store(DictStore())
    with pytest.raises(UnsupportedError):
        pickle.dumps(store)


@pytest.mark.anyio
async def test_many_async_operations_on_an_async_python_store_overlap() -> None:
    py_store = AsyncDictStore(delay=0.2)
    store = as_store(py_store)
    arr = await zb.create_array(store, "a", shape=(40,), dtype="int8", chunks=(1,))
    start = time.monotonic()
    async with anyio.create_task_group() as tg:
        for i in range(40):
            tg.start_soon(zb.write_chunk, arr, (i,), np.full(1, i, dtype="int8"))
    elapsed = time.monotonic() - start
    assert py_store.max_in_flight >= 20, py_store.max_in_flight
    assert elapsed < 40 * 0.2 / 4, f"40 writes of 0.2 s each took {elapsed:.1f} s"
    np.testing.assert_array_equal(await zb.read_region(arr), np.arange(40, dtype="int8"))


@pytest.mark.anyio
async def test_cancelling_the_caller_cancels_the_python_store_coroutine() -> None:
    py_store = AsyncDictStore()
    store = as_store(py_store)
    arr = await zb.create_array(store, "a", shape=(4,), dtype="int8", chunks=(4,))
    py_store.delay = 30.0
    start = time.monotonic()
    with anyio.move_on_after(0.3):
        await zb.read_chunk(arr, (0,))
    assert time.monotonic() - start < 5
    with anyio.fail_after(5):
        while py_store.cancelled == 0:
            await anyio.sleep(0.01)
    assert py_store.in_flight == 0


def test_blocking_call_inside_an_async_store_coroutine_is_refused() -> None:
    class Reentrant(AsyncDictStore):
        reenter = False

        async def get_async(self, path: str, *, options: Any = None) -> Any:
            if self.reenter:
                # A blocking zarrbridge call from inside the store's coroutine would deadlock.
                zbs.read_metadata(zb.Store.from_url("memory://reentrant-other"), "")
            return await super().get_async(path)

    py_store = Reentrant()
    store = as_store(py_store)
    zbs.create_group(store, "")
    py_store.reenter = True
    with pytest.raises(RuntimeError, match="would deadlock") as info:
        zbs.open_group(store, "")
    assert info.type is RuntimeError


def test_zarr_python_memory_store_is_a_zarrbridge_store() -> None:
    memory = zarr.storage.MemoryStore()
    arr = zbs.create_array(memory, "a", shape=(5, 4), dtype="float32", chunks=(2, 2))
    data = np.arange(20, dtype="float32").reshape(5, 4)
    zbs.write_region(arr, ..., data)
    np.testing.assert_array_equal(zarr.open_array(memory, path="a", mode="r")[...], data)
    z = zarr.create_array(memory, name="b", shape=(3,), dtype="int64", chunks=(2,))
    z[...] = [1, 2, 3]
    np.testing.assert_array_equal(zbs.read_region(zbs.open_array(memory, "b")), [1, 2, 3])


def test_read_only_zarr_python_store_refuses_writes() -> None:
    memory = zarr.storage.MemoryStore()
    zarr.create_array(memory, name="a", shape=(2,), dtype="int8", fill_value=1)
    read_only = memory.with_read_only(True)
    arr = zbs.open_array(read_only, "a")
    np.testing.assert_array_equal(zbs.read_region(arr), [1, 1])
    with pytest.raises(StoreError, match="read only"):
        zbs.write_region(arr, ..., np.zeros(2, dtype="int8"))


def test_obstore_memory_store_is_a_zarrbridge_store() -> None:
    memory = obstore.store.MemoryStore()
    arr = zbs.create_array(memory, "a", shape=(3,), dtype="uint16", chunks=(2,))
    zbs.write_region(arr, ..., np.array([1, 2, 3], dtype="uint16"))
    keys: Sequence[str] = sorted(m["path"] for chunk in memory.list() for m in chunk)
    assert keys == ["a/c/0", "a/c/1", "a/zarr.json", "zarr.json"]


def test_private_loop_threads_end_with_their_store() -> None:
    import gc
    import threading

    def loop_threads() -> int:
        return sum(t.name == "zarrbridge-store-loop" for t in threading.enumerate())

    def settled() -> int:
        gc.collect()
        deadline = time.monotonic() + 5
        count = loop_threads()
        while time.monotonic() < deadline:
            time.sleep(0.05)
            if loop_threads() == count:
                break
            count = loop_threads()
        return count

    before = settled()  # stores of earlier tests may still be collected
    for _ in range(5):
        store = as_store(AsyncDictStore())
        zbs.create_group(store, "")  # a blocking call: runs on the store's private loop
        assert loop_threads() == before + 1
        del store
        gc.collect()
        deadline = time.monotonic() + 5
        while loop_threads() > before and time.monotonic() < deadline:
            time.sleep(0.01)
        assert loop_threads() == before


@pytest.mark.anyio
async def test_cancelled_writes_to_a_sync_python_store_that_had_not_started_never_run() -> None:
    class SlowPuts(DictStore):
        def __init__(self) -> None:
            super().__init__()
            self.slow = False
            self.started = 0

        def put(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
            if self.slow:
                self.started += 1
                time.sleep(0.3)
            return super().put(path, file)

    py_store = SlowPuts()
    store = as_store(py_store)
    arr = await zb.create_array(store, "a", shape=(64,), dtype="int8", chunks=(1,))
    py_store.slow = True
    with anyio.move_on_after(0.1):
        async with anyio.create_task_group() as tg:
            for i in range(64):
                tg.start_soon(zb.write_chunk, arr, (i,), np.ones(1, dtype="int8"))
    started_at_cancel = py_store.started
    await anyio.sleep(1.5)  # long enough for queued calls to run, were they still queued
    # Only the calls already running when the writes were cancelled (a few, bounded by the
    # adapter's concurrency) went ahead; the rest never started.
    assert py_store.started == started_at_cancel <= 8
    chunks = [k for k in py_store.data if k.startswith("a/c/")]
    assert len(chunks) == started_at_cancel
