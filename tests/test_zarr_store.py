"""zarr-python's own store test suite (``zarr.testing.store.StoreTests``) against
``zarrbridge.zarr.ZarrStore`` over native memory and file stores, and zarr-python arrays
written and read through it."""

from __future__ import annotations

import pickle
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarr.core.buffer import Buffer, cpu, default_buffer_prototype
from zarr.core.sync import sync
from zarr.testing.store import StoreTests
from zarrbridge import sync as zbs
from zarrbridge.errors import UnsupportedError
from zarrbridge.zarr import ZarrStore

# StoreTests' tests and fixtures are coroutines: run them with anyio's plugin (asyncio only:
# zarr-python itself runs on asyncio).
pytestmark = pytest.mark.anyio


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"


class _ZarrStoreTests(StoreTests[ZarrStore, cpu.Buffer]):
    store_cls = ZarrStore
    buffer_cls = cpu.Buffer

    @pytest.fixture
    def store(self, store_kwargs: dict[str, Any]) -> ZarrStore:
        # A plain fixture (anyio's plugin serves async fixtures to async tests only, and some
        # StoreTests tests are sync); opening is no I/O here, on zarr-python's own loop.
        return sync(ZarrStore.open(**store_kwargs))

    # Bypass ZarrStore: raw key I/O on the native store underneath.
    async def get(self, store: ZarrStore, key: str) -> Buffer:
        return self.buffer_cls.from_bytes(store.store.get(key).bytes())

    async def set(self, store: ZarrStore, key: str, value: Buffer) -> None:
        store.store.put(key, value.to_bytes())

    def test_store_repr(self, store: ZarrStore) -> None:
        assert repr(store) == f"ZarrStore({store.store.url!r})"

    def test_store_supports_writes(self, store: ZarrStore) -> None:
        assert store.supports_writes

    def test_store_supports_listing(self, store: ZarrStore) -> None:
        assert store.supports_listing


class TestZarrStoreOverFile(_ZarrStoreTests):
    @pytest.fixture
    def store_kwargs(self, tmp_path: Path) -> dict[str, Any]:
        return {"store": zb.Store.from_url(str(tmp_path / "zarr-store"))}


class TestZarrStoreOverMemory(_ZarrStoreTests):
    @pytest.fixture
    def store_kwargs(self) -> dict[str, Any]:
        return {"store": zb.Store.from_url(f"memory://zarr-store-{uuid.uuid4().hex}")}

    async def test_serializable_store(self, store: ZarrStore) -> None:
        # Deliberately not StoreTests' expectation: a memory store exists in one process only,
        # and zarrbridge refuses to pickle it rather than hand another process an empty store.
        with pytest.raises(UnsupportedError):
            pickle.dumps(store)


def test_zarr_python_arrays_round_trip_through_zarr_store(tmp_path: Path) -> None:
    native = zb.Store.from_url(str(tmp_path / "data"))
    data = np.arange(60, dtype="float64").reshape(6, 10)
    z = zarr.create_array(ZarrStore(native), name="a", shape=(6, 10), chunks=(4, 4), dtype="f8")
    z[...] = data
    np.testing.assert_array_equal(zbs.read_region(zbs.open_array(native, "a")), data)
    other = zbs.create_array(native, "b", shape=(5,), dtype="int32", chunks=(2,))
    zbs.write_region(other, ..., np.arange(5, dtype="int32"))
    opened = zarr.open_array(ZarrStore(native, read_only=True), path="b", mode="r")
    np.testing.assert_array_equal(opened[...], np.arange(5))


async def test_zarr_store_reads_byte_ranges_zero_copy() -> None:
    native = zb.Store.from_url(f"memory://zarr-store-{uuid.uuid4().hex}")
    native.put("k", bytes(range(10)))
    store = await ZarrStore.open(store=native)
    proto = default_buffer_prototype()
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

    whole = await store.get("k", proto)
    assert whole is not None and whole.to_bytes() == bytes(range(10))
    assert not whole.as_numpy_array().flags.owndata  # a view of the Rust-owned value
    for request, expected in [
        (RangeByteRequest(2, 5), bytes([2, 3, 4])),
        (OffsetByteRequest(7), bytes([7, 8, 9])),
        (SuffixByteRequest(2), bytes([8, 9])),
    ]:
        part = await store.get("k", proto, request)
        assert part is not None and part.to_bytes() == expected


@pytest.mark.parametrize("kind", ["memory", "file"])
async def test_ranges_past_the_end_of_a_value_give_no_bytes_as_in_zarr_python(
    kind: str, tmp_path: Path
) -> None:
    """zarr-python's MemoryStore and LocalStore slice values as Python does: a range starting
    at or past the end gives ``b""`` (an empty value included); so must ZarrStore, sync and
    async. The raw obspec API keeps obstore's rule (a start past the end is an error)."""
    from zarr.abc.store import OffsetByteRequest, RangeByteRequest, SuffixByteRequest

    url = f"memory://zarr-past-end-{uuid.uuid4().hex}" if kind == "memory" else str(tmp_path)
    native = zb.Store.from_url(url)
    native.put("empty", b"")
    native.put("four", b"abcd")
    store = await ZarrStore.open(store=native)
    model = zarr.storage.MemoryStore()
    proto = default_buffer_prototype()
    for key, value in [("empty", b""), ("four", b"abcd")]:
        await model.set(key, cpu.Buffer.from_bytes(value))
        for request in [
            RangeByteRequest(0, 3),
            RangeByteRequest(4, 9),
            RangeByteRequest(7, 9),
            OffsetByteRequest(0),
            OffsetByteRequest(6),
            SuffixByteRequest(9),
        ]:
            expected = await model.get(key, proto, request)
            got = await store.get(key, proto, request)
            got_sync = store.get_sync(key, prototype=proto, byte_range=request)
            assert expected is not None and got is not None and got_sync is not None
            assert got.to_bytes() == got_sync.to_bytes() == expected.to_bytes(), (key, request)
    with pytest.raises(zb.errors.StoreError, match="past the end"):
        native.get_range("four", start=7, length=1)
    assert bytes(native.get_range("four", start=4, length=1)) == b""
