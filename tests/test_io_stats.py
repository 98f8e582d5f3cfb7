"""io_stats(): what operations cost, by the library's own count, checked against what a store
written in Python was actually asked (the S3 suite checks it against the wire). Collectors
nest, follow the context into tasks and the blocking API, and stop at the block's end."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from conftest import Api
from pystores import AsyncDictStore, DictStore
from zarrbridge import sync as zbs
from zarrbridge.store import python_store


class CountedStore(DictStore):
    """Counts the calls the sync adapter makes."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: dict[str, int] = {}

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def get(self, path: str, *, options: Any = None) -> Any:
        self._count("get")
        return super().get(path, options=options)

    def put(self, path: str, file: Any, **kwargs: Any) -> dict[str, Any]:
        self._count("put")
        return super().put(path, file, **kwargs)

    def head(self, path: str) -> dict[str, Any]:
        self._count("head")
        return super().head(path)


@pytest.mark.anyio
async def test_requests_bytes_and_kinds_match_what_the_store_was_asked(api: Api) -> None:
    counted = CountedStore()
    store = python_store(counted)
    with zb.io_stats() as stats:
        array = await api.create_array(
            store, "a", shape=(40, 40), dtype="int16", chunks=(10, 10), compressors=None
        )
        await api.write_region(array, ..., np.ones((40, 40), dtype="int16"))
        data = await api.read_region(array, (slice(0, 10), slice(0, 20)))
    assert data.shape == (10, 20)
    # Creating: the root and the node looked up (zarr.json, then the three v2 documents each),
    # the root group and the array written; writing: 16 whole chunks; reading: 2 chunks.
    assert stats.requests["put"] == counted.calls["put"] == 2 + 16
    assert stats.requests["get"] == counted.calls["get"] == 2 * 4 + 2
    assert stats.requests["head"] == counted.calls.get("head", 0) == 0
    metadata = len(counted.data["a/zarr.json"]) + len(counted.data["zarr.json"])
    assert stats.bytes_written == 16 * 10 * 10 * 2 + metadata
    assert stats.bytes_read == 2 * 10 * 10 * 2
    assert stats.total_requests == sum(stats.requests.values())


def test_collectors_nest_and_reset() -> None:
    store = zb.Store.from_url("memory://io-stats-nest")
    with zb.io_stats() as outer:
        zbs.create_group(store, "g", overwrite=True)
        with zb.io_stats() as inner:
            zbs.open_group(store, "g")
        with zb.io_stats(inner):  # adding to the same counters again
            zbs.open_group(store, "g")
    assert inner.requests["get"] == 2
    assert outer.requests["get"] >= inner.requests["get"] + 1
    zbs.open_group(store, "g")  # outside every block: not counted
    assert inner.requests["get"] == 2
    inner.reset()
    assert inner.total_requests == inner.bytes_read == inner.bytes_written == 0
    assert outer.total_requests > 0
    with pytest.raises(TypeError), zb.io_stats({"not": "stats"}):  # type: ignore[arg-type]
        pass


def test_tasks_started_inside_the_block_are_counted_and_others_are_not() -> None:
    store = zb.Store.from_url("memory://io-stats-tasks")
    array = zbs.create_array(store, "a", shape=(100,), dtype="uint8", chunks=(10,), overwrite=True)
    array[:] = 1

    async def main() -> tuple[zb.IoStats, zb.IoStats]:
        outside = asyncio.ensure_future(zb.read_chunks(array, [(i,) for i in range(5)]))
        with zb.io_stats() as stats:
            await asyncio.gather(*(zb.read_chunk(array, (i,)) for i in range(10)))
            await outside
        with zb.io_stats() as late:
            task = asyncio.create_task(zb.read_chunk(array, (0,)))
        await task  # created inside the block: its context holds the collector
        return stats, late

    stats, late = asyncio.run(main())
    assert stats.requests["get"] == 10
    assert late.requests["get"] == 1


def test_file_reads_done_in_place_are_counted(file_store: zb.Store) -> None:
    array = zbs.create_array(file_store, "a", shape=(8, 8), dtype="float32", chunks=(4, 4))
    array[:] = 2.0
    with zb.io_stats() as stats:
        zbs.read_chunk(array, (1, 1))  # small: read on the caller's thread
        zbs.read_region(array)  # four chunks: read in the compute jobs
    assert stats.requests["get"] == 5
    assert stats.bytes_read > 0


@pytest.mark.anyio
async def test_file_store_requests_are_counted_by_the_store_layer(
    api: Api, file_store: zb.Store, store_dir: Path
) -> None:
    """The file store is called directly (not through zarrs' storage traits, which record
    nothing): the store layer counts its requests as for every other store. What was written
    is checked against the files on disk."""
    with zb.io_stats() as stats:
        array = await api.create_array(
            file_store, "a", shape=(40, 40), dtype="int16", chunks=(10, 10), compressors=None
        )
        await api.write_region(array, ..., np.ones((40, 40), dtype="int16"))
    files = [p for p in store_dir.rglob("*") if p.is_file()]
    assert stats.requests["put"] == len(files) == 2 + 16  # the root group, the array, 16 chunks
    assert stats.bytes_written == sum(p.stat().st_size for p in files)
    with zb.io_stats() as stats:
        await api.write_region(array, (slice(0, 5), slice(0, 5)), np.zeros((5, 5), "int16"))
    # One partly covered chunk: read, merged, written back.
    assert (stats.requests["get"], stats.requests["put"]) == (1, 1)
    assert stats.bytes_read == stats.bytes_written == (store_dir / "a/c/0/0").stat().st_size
    with zb.io_stats() as stats:
        await api.delete_node(file_store, "a")
    assert (stats.requests["list"], stats.requests["delete"]) == (1, 1), stats.requests
    assert not (store_dir / "a").exists()


def test_each_raw_file_store_call_is_one_request_of_its_kind(
    file_store: zb.Store, store_dir: Path
) -> None:
    value = bytes(range(256)) * 4
    with zb.io_stats() as stats:
        file_store.put("d/k", value)
        file_store.put("d/e/j", b"12345")
        assert bytes(file_store.get("d/k").buffer()) == value
        assert bytes(file_store.get_range("d/k", start=10, length=100)) == value[10:110]
        parts = file_store.get_ranges("d/k", starts=[0, 500, 7], lengths=[10, 20, 0])
        assert [bytes(p) for p in parts] == [value[0:10], value[500:520], b""]
        assert file_store.head("d/k")["size"] == len(value)
        assert sorted(m["path"] for c in file_store.list("d") for m in c) == ["d/e/j", "d/k"]
        assert file_store.list_with_delimiter("d")["common_prefixes"] == ["d/e"]
        file_store.delete("d/k")
    assert not (store_dir / "d" / "k").exists()
    assert stats.requests == {
        "get": 1,
        "get_range": 3,  # one per range with bytes, as object stores count them
        "head": 1,
        "put": 2,
        "delete": 1,
        "list": 2,  # a listing finds the sizes itself: no head per key
    }, stats.requests
    assert stats.bytes_written == len(value) + 5
    assert stats.bytes_read == len(value) + 100 + 10 + 20


def test_wait_time_is_the_wall_time_with_requests_in_flight() -> None:
    slow = AsyncDictStore(delay=0.05)
    store = python_store(slow)

    async def main() -> zb.IoStats:
        array = await zb.create_array(store, "a", shape=(40,), dtype="uint8", chunks=(10,))
        await zb.write_region(array, ..., np.ones(40, dtype="uint8"))
        with zb.io_stats() as stats:
            await zb.read_region(array)  # four chunks at once
        return stats

    stats = asyncio.run(main())
    assert stats.requests["get"] == 4
    # The four requests overlap: about one delay, not four.
    assert 0.045 <= stats.wait_seconds < 0.19


def test_the_array_verbs_requests_on_a_file_store_are_counted(
    file_store: zb.Store, store_dir: Path, tmp_path: Path
) -> None:
    """Orthogonal and vectorized selections, encoded chunks, resize, append and copy go to the
    file store's own calls too: each request is counted, and bytes match the files on disk."""
    array = zbs.create_array(
        file_store, "a", shape=(40, 40), dtype="int16", chunks=(10, 10), compressors=None
    )
    array[:] = np.ones((40, 40), dtype="int16")
    chunk_size = (store_dir / "a/c/0/0").stat().st_size
    with zb.io_stats() as stats:
        zbs.read_orthogonal(array, ([0, 15], slice(None)))  # chunk rows 0 and 1: 8 chunks
    assert {k: n for k, n in stats.requests.items() if n} == {"get": 8}, stats.requests
    assert stats.bytes_read == 8 * chunk_size
    with zb.io_stats() as stats:
        zbs.write_vectorized(array, ([0, 15], [0, 39]), [5, 6])  # chunks (0, 0) and (1, 3)
    assert (stats.requests["get"], stats.requests["put"]) == (2, 2), stats.requests
    with zb.io_stats() as stats:
        encoded = zbs.read_encoded_chunk(array, (0, 0))
        zbs.write_encoded_chunk(array, (3, 3), encoded)
    assert (stats.requests["get"], stats.requests["put"]) == (1, 1), stats.requests
    assert stats.bytes_read == stats.bytes_written == chunk_size
    with zb.io_stats() as stats:
        grown = zbs.append(array, np.full((10, 40), 3, dtype="int16"), axis=0)
    # The document read, four whole chunks and the document written.
    assert (stats.requests["get"], stats.requests["put"]) == (1, 5), stats.requests
    with zb.io_stats() as stats:
        zbs.resize(grown, (20, 40))
    # The document read and written; the 12 chunks of rows 2-4 of the grid deleted.
    assert (stats.requests["get"], stats.requests["put"]) == (1, 1), stats.requests
    assert stats.requests["delete"] == 12, stats.requests
    assert not (store_dir / "a/c/2").exists()
    dest = tmp_path / "copy"
    dest.mkdir()
    with zb.io_stats() as stats:
        zbs.copy(zbs.open_array(file_store, "a"), zb.Store.from_url(str(dest)), "b")
    files = [p for p in dest.rglob("*") if p.is_file()]
    # One listing of the source; every stored chunk read once and written once, with the
    # array's document and the destination's root group.
    assert stats.requests["list"] == 1, stats.requests
    assert stats.requests["put"] == len(files) == 2 + 8, sorted(map(str, files))
    assert stats.bytes_written == sum(p.stat().st_size for p in files)
    assert stats.bytes_read >= 8 * chunk_size
