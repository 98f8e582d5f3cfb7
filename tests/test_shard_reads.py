"""Partial shard reads on every store kind: a read that needs part of a shard asks for the index
and the inner chunks it touches, never the whole shard (a store written in Python logs what it
is asked for), gets the same values as numpy and zarr-python, with missing shards and inner
chunks read as the fill value, the index at either end of the shard, shards zarr-python wrote
(inner chunks in Morton order), and the index cache forgotten when the handle writes.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from pystores import AsyncDictStore, DictStore
from zarrbridge import sync as zbs
from zarrbridge.errors import CodecError
from zarrbridge.store import python_store

SELECTIONS = [
    (slice(3, 40), slice(5, 70)),
    (slice(0, 16), slice(0, 16)),
    (5, slice(None)),
    (slice(None, None, 7), slice(190, 3, -5)),
    (slice(120, 140), slice(120, 200)),
    (slice(250, 256), 199),
]


class LoggedStore(DictStore):
    """The dict store, logging each read it is asked for: ``(method, key, what)``."""

    def __init__(self) -> None:
        super().__init__()
        self.log: list[tuple[str, str, Any]] = []

    def get(self, path: str, *, options: Any = None) -> Any:
        self.log.append(("get", path, (options or {}).get("range")))
        return super().get(path, options=options)

    def get_ranges(
        self,
        path: str,
        *,
        starts: Sequence[int],
        ends: Sequence[int] | None = None,
        lengths: Sequence[int] | None = None,
    ) -> list[bytes]:
        self.log.append(("get_ranges", path, list(zip(starts, ends or [], strict=False))))
        return super().get_ranges(path, starts=starts, ends=ends, lengths=lengths)

    def head(self, path: str) -> dict[str, Any]:
        self.log.append(("head", path, None))
        return super().head(path)


class LoggedAsyncStore(AsyncDictStore):
    def __init__(self) -> None:
        super().__init__()
        self.sync = LoggedStore()

    async def get_async(self, path: str, *, options: Any = None) -> Any:
        await self._pause()
        return self.sync.get(path, options=options)


def sharded(store: zb.Store, compressors: Any = "auto", **kw: Any) -> tuple[zb.Array, np.ndarray]:
    array = zbs.create_array(
        store,
        "a",
        shape=(256, 200),
        dtype="float64",
        chunks=(16, 16),
        shards=(128, 128),
        compressors=compressors,
        fill_value=-1.5,
        **kw,
    )
    data = np.random.default_rng(0).random((256, 200))
    array[:] = data
    return array, data


@pytest.mark.parametrize(
    "compressors",
    ["auto", None, [{"name": "gzip", "configuration": {"level": 1}}]],
    ids=["zstd", "none", "gzip"],
)
def test_partial_reads_give_numpy_values_on_every_store_kind(
    store: zb.Store, compressors: Any
) -> None:
    array, data = sharded(store, compressors)
    fresh = zb.Array(store, "a", array.metadata)
    for handle in (array, fresh):
        for selection in SELECTIONS:
            with zb.io_stats() as stats:
                got = zbs.read_region(handle, selection)
            np.testing.assert_array_equal(got, data[selection])
            assert stats.requests["get"] == 0, (selection, stats.requests)


@pytest.mark.parametrize("family", [LoggedStore, LoggedAsyncStore], ids=["sync", "async"])
def test_a_python_store_is_asked_for_the_index_and_the_inner_chunk_only(family: type) -> None:
    logged = family()
    log: list[tuple[str, str, Any]] = logged.log if family is LoggedStore else logged.sync.log
    store = python_store(logged)
    array = zbs.create_array(
        store,
        "a",
        shape=(2048, 2048),
        dtype="float64",
        chunks=(64, 64),
        shards=(2048, 2048),
        compressors=None,
    )
    data = np.arange(2048 * 2048, dtype="float64").reshape(2048, 2048)
    array[:] = data
    # Where inner chunk (1, 1) lies, from the stored index (zarrs' encoder may order inner
    # chunks differently from the library's own codec path).
    index = 32 * 32 * 16 + 4
    shard = bytes(memoryview(store.get("a/c/0/0").buffer()))
    offsets = np.frombuffer(shard[-index:-4], dtype="<u8").reshape(32 * 32, 2)
    chunk, nbytes = (int(v) for v in offsets[32 + 1])
    assert nbytes == 64 * 64 * 8
    log.clear()
    np.testing.assert_array_equal(array[64:128, 64:128], data[64:128, 64:128])
    assert log == [
        ("get", "a/c/0/0", {"suffix": index}),
        ("get_ranges", "a/c/0/0", [(chunk, chunk + nbytes)]),
    ]
    # The index is cached: the next inner chunk is one call.
    log.clear()
    np.testing.assert_array_equal(array[0:64, 128:192], data[0:64, 128:192])
    assert [entry[0] for entry in log] == ["get_ranges"]


def test_missing_shards_and_inner_chunks_read_as_the_fill_value(store: zb.Store) -> None:
    array = zbs.create_array(
        store, "a", shape=(64, 64), dtype="int16", chunks=(8, 8), shards=(32, 32), fill_value=9
    )
    array[0:8, 0:8] = 1  # one inner chunk of shard (0, 0); the other shards do not exist
    expected = np.full((64, 64), 9, dtype="int16")
    expected[0:8, 0:8] = 1
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(array[4:40, 4:40], expected[4:40, 4:40])
    # Shard (0, 0): index and one inner chunk; shards (0, 1), (1, 0), (1, 1): an index request
    # each, answered "absent".
    assert stats.requests["get_range"] == 5
    np.testing.assert_array_equal(array[40:60, 40:60], expected[40:60, 40:60])


@pytest.mark.parametrize("location", ["start", "end"])
def test_the_index_at_either_end_of_the_shard_is_read_with_one_request(
    store: zb.Store, location: str
) -> None:
    codecs = [
        {
            "name": "sharding_indexed",
            "configuration": {
                "chunk_shape": [8, 8],
                "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
                "index_codecs": [
                    {"name": "bytes", "configuration": {"endian": "little"}},
                    {"name": "crc32c"},
                ],
                "index_location": location,
            },
        }
    ]
    metadata = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [64, 64],
        "data_type": "uint32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [32, 32]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": 0,
        "codecs": codecs,
        "attributes": {},
    }
    array = zbs.create_array(store, "a", metadata=metadata)
    data = np.arange(64 * 64, dtype="uint32").reshape(64, 64)
    array[:] = data
    fresh = zb.Array(store, "a", metadata)
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(fresh[8:16, 40:48], data[8:16, 40:48])
    assert stats.requests["get_range"] == 2 and stats.total_requests == 2
    assert stats.bytes_read == (16 * 16 + 4) + 8 * 8 * 4


def test_shards_zarr_python_wrote_in_morton_order_are_read_in_part(store_dir: Path) -> None:
    z = zarr.create_array(
        zarr.storage.LocalStore(store_dir),
        name="a",
        shape=(256, 256),
        chunks=(16, 16),
        shards=(128, 128),
        dtype="int32",
    )
    data = np.arange(256 * 256, dtype="int32").reshape(256, 256)
    z[:] = data
    array = zbs.open_array(str(store_dir), "a")
    for selection in [(slice(17, 70), slice(3, 50)), (slice(100, 160), slice(120, 140)), 7]:
        with zb.io_stats() as stats:
            np.testing.assert_array_equal(array[selection], data[selection])
        assert stats.requests["get"] == 0


def test_a_damaged_index_is_a_codec_error_naming_the_shard(memory_store: zb.Store) -> None:
    array, _ = sharded(memory_store)
    key = "a/c/0/0"
    value = bytearray(bytes(memory_store.get(key).buffer()))
    value[-10] ^= 0xFF  # inside the index: its checksum no longer matches
    memory_store.put(key, bytes(value))
    fresh = zb.Array(memory_store, "a", array.metadata)
    with pytest.raises(CodecError, match=f"{key}.*checksum"):
        fresh[0:10, 0:10]


@pytest.mark.parametrize("store_kind", ["memory_store", "sync_python_store"])
def test_writes_through_the_handle_replace_its_cached_index(
    store_kind: str, request: pytest.FixtureRequest
) -> None:
    store: zb.Store = request.getfixturevalue(store_kind)
    array, data = sharded(store)
    np.testing.assert_array_equal(array[0:10, 0:10], data[0:10, 0:10])  # index cached
    # New values that compress differently move every inner chunk of the shard. A store
    # written in Python has no versions: only the handle's own forgetting keeps it right.
    data[0:128, 0:128] = 0.0
    array[0:128, 0:128] = 0.0
    np.testing.assert_array_equal(array[5:60, 7:100], data[5:60, 7:100])
    zbs.delete_chunk(array, (0, 0))
    np.testing.assert_array_equal(array[0:20, 0:20], np.full((20, 20), -1.5))


@pytest.mark.parametrize("store_kind", ["memory_store", "file_store"])
def test_reads_pick_up_a_shard_another_handle_replaced_in_a_versioned_store(
    store_kind: str, request: pytest.FixtureRequest
) -> None:
    """Memory stores version values by ETag; file stores by the file's inode, modification
    time and size, checked on the open file before its ranges are read."""
    store: zb.Store = request.getfixturevalue(store_kind)
    reader, data = sharded(store)
    np.testing.assert_array_equal(reader[0:10, 0:10], data[0:10, 0:10])  # index cached
    writer = zbs.open_array(store, "a")
    writer[0:128, 0:128] = 0.0
    data[0:128, 0:128] = 0.0
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(reader[20:30, 40:47], data[20:30, 40:47])
    # One inner chunk: refused (another version), the index read again, the chunk read again.
    assert stats.requests["get_range"] == 3


def test_metadata_documents_do_not_change_what_partial_reads_read(memory_store: zb.Store) -> None:
    """The codec chain the handle runs comes from the document as written (a sanity check that
    these tests exercise sharded arrays)."""
    array, _ = sharded(memory_store)
    doc = json.loads(bytes(memory_store.get("a/zarr.json").buffer()))
    assert doc["codecs"][0]["name"] == "sharding_indexed"
    assert array.shards == (128, 128) and array.chunks == (16, 16)
