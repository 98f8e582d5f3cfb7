"""Cloud-native reads against a real S3 server (moto, in its own process), counted on the wire
by a loopback proxy between the library and the server (tests/wire.py), not by the library:
a partial read of a 32 MiB shard moves the index and the inner chunks it needs, neighbours in
one ranged request; a partial write moves the shard once each way; a consolidated group of 50
arrays opens and lists with one request; and the library's own io_stats agree with the wire.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from servers import S3Server
from wire import CountingProxy, s3_kind
from zarrbridge import sync as zbs

pytestmark = pytest.mark.slow

SHARD = 2048  # a 2048x2048 float64 shard: 32 MiB
INNER = 64  # 64x64 float64 inner chunks: 32 KiB each
CHUNK_BYTES = INNER * INNER * 8
PER_ROW = SHARD // INNER
INDEX_BYTES = PER_ROW * PER_ROW * 16 + 4  # offsets and lengths, then a crc32c
SLACK = 4096  # HTTP status lines and headers, per request at most


def no_requests() -> dict[str, int]:
    return {k: 0 for k in ("delete", "get", "get_range", "head", "list", "put")}


@dataclass
class Remote:
    server: S3Server
    bucket: str
    proxy: CountingProxy

    def store(self, *, counted: bool = True) -> zb.Store:
        """A store reaching the server through the proxy (or directly)."""
        options = self.server.options()
        if counted:
            options["config"]["endpoint"] = self.proxy.endpoint
        return zb.Store.from_url(f"s3://{self.bucket}/data", **options)


@pytest.fixture
def remote(s3_server: S3Server) -> Iterator[Remote]:
    host, port = s3_server.endpoint.removeprefix("http://").split(":")
    with CountingProxy(host, int(port)) as proxy:
        yield Remote(s3_server, s3_server.new_bucket(), proxy)


@pytest.fixture
def coalescing() -> Iterator[None]:
    yield
    zb.set_read_coalescing()


@pytest.fixture(scope="module")
def big_data() -> np.ndarray:
    return np.arange(SHARD * SHARD, dtype="float64").reshape(SHARD, SHARD)


def big_shard(remote: Remote, data: np.ndarray, **kw: Any) -> zb.Array:
    """A one-shard array written straight to the server; returns a handle through the proxy
    made from its metadata (no request)."""
    written = zbs.create_array(
        remote.store(counted=False),
        "big",
        shape=data.shape,
        dtype=data.dtype,
        chunks=(INNER, INNER),
        shards=(SHARD, SHARD),
        **kw,
    )
    written[:] = data
    remote.proxy.reset()
    return zb.Array(remote.store(), "big", written.metadata)


def agree(stats: zb.IoStats, proxy: CountingProxy) -> None:
    """The library's statistics are what crossed the wire."""
    assert stats.requests == {**no_requests(), **proxy.kinds()}
    fetched = [e for e in proxy.exchanges if s3_kind(e) in ("get", "get_range")]
    assert stats.bytes_read == sum(e.body_bytes for e in fetched if 200 <= e.status < 300)
    sent = [e for e in proxy.exchanges if s3_kind(e) == "put"]
    assert stats.bytes_written == sum(e.sent_body_bytes for e in sent)


def test_one_inner_chunk_of_a_32_mib_shard_moves_that_chunk_and_the_index(
    remote: Remote, big_data: np.ndarray
) -> None:
    array = big_shard(remote, big_data, compressors=None)
    with zb.io_stats() as stats:
        got = zbs.read_region(array, (slice(64, 128), slice(64, 128)))
    np.testing.assert_array_equal(got, big_data[64:128, 64:128])
    exchanges = remote.proxy.exchanges
    assert [s3_kind(e) for e in exchanges] == ["get_range", "get_range"]
    # The index is the shard's last bytes: one suffix request, no HEAD to learn the size.
    assert exchanges[0].headers["range"] == f"bytes=-{INDEX_BYTES}"
    start = (PER_ROW + 1) * CHUNK_BYTES
    assert exchanges[1].headers["range"] == f"bytes={start}-{start + CHUNK_BYTES - 1}"
    assert remote.proxy.raw_in <= CHUNK_BYTES + INDEX_BYTES + SLACK
    agree(stats, remote.proxy)

    # The index is cached on the handle: the next inner chunk costs one request.
    remote.proxy.reset()
    np.testing.assert_array_equal(array[0:64, 0:64], big_data[0:64, 0:64])
    assert remote.proxy.kinds() == {"get_range": 1}


def test_a_3x3_block_of_inner_chunks_comes_in_coalesced_ranges(
    remote: Remote, big_data: np.ndarray, coalescing: None
) -> None:
    array = big_shard(remote, big_data, compressors=None)
    block = (slice(INNER, 4 * INNER), slice(INNER, 4 * INNER))
    # Each row of the block is 3 adjacent inner chunks: one request per row, all at once,
    # exactly the block's bytes.
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(zbs.read_region(array, block), big_data[block])
    ranges = [e.headers["range"] for e in remote.proxy.exchanges]
    rows = [(r * PER_ROW + 1) * CHUNK_BYTES for r in (1, 2, 3)]
    assert ranges[0] == f"bytes=-{INDEX_BYTES}"
    assert sorted(ranges[1:]) == sorted(f"bytes={s}-{s + 3 * CHUNK_BYTES - 1}" for s in rows)
    assert remote.proxy.raw_in <= 9 * CHUNK_BYTES + INDEX_BYTES + 4 * SLACK
    agree(stats, remote.proxy)

    # zarr-python's 1 MiB gap: the rows lie 1 MiB apart, 928 KiB of other chunks between
    # them, so one request covers the block.
    zb.set_read_coalescing(max_gap_bytes=1 << 20)
    fresh = zb.Array(remote.store(), "big", array.metadata)
    remote.proxy.reset()
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(zbs.read_region(fresh, block), big_data[block])
    ranges = [e.headers["range"] for e in remote.proxy.exchanges]
    first, last = (PER_ROW + 1) * CHUNK_BYTES, (3 * PER_ROW + 4) * CHUNK_BYTES
    assert ranges == [f"bytes=-{INDEX_BYTES}", f"bytes={first}-{last - 1}"]
    agree(stats, remote.proxy)


def test_a_whole_shard_streams_in_with_its_index_asked_for_at_once(
    remote: Remote, big_data: np.ndarray
) -> None:
    array = big_shard(remote, big_data)
    with zb.io_stats() as stats:
        np.testing.assert_array_equal(zbs.read_region(array), big_data)
    # The shard and its index, asked for together: inner chunks are decoded as the shard's
    # bytes arrive, using the index (the same version of the shard).
    exchanges = remote.proxy.exchanges
    assert sorted(s3_kind(e) for e in exchanges) == ["get", "get_range"]
    shard = next(e for e in exchanges if s3_kind(e) == "get")
    assert remote.proxy.raw_in <= shard.body_bytes + INDEX_BYTES + 2 * SLACK
    agree(stats, remote.proxy)
    # Replaced by another writer after this handle cached the index: the body is another
    # version than the index, so the shard is read again and decoded with its own index.
    other = big_data * 0 + 3
    zbs.write_region(zbs.open_array(remote.store(counted=False), "big"), ..., other)
    np.testing.assert_array_equal(zbs.read_region(array), other)


def test_a_shard_replaced_by_another_writer_is_read_again_not_mixed(
    remote: Remote, big_data: np.ndarray
) -> None:
    array = big_shard(remote, big_data)  # zstd: rewriting moves the inner chunks
    np.testing.assert_array_equal(array[0:64, 0:64], big_data[0:64, 0:64])  # index cached
    other = big_data[:256, :256] * 0 + 7
    writer = zbs.open_array(remote.store(counted=False), "big")
    zbs.write_region(writer, (slice(0, 256), slice(0, 256)), other)
    remote.proxy.reset()
    np.testing.assert_array_equal(array[100:110, 100:110], other[100:110, 100:110])
    # The ranges were asked for the cached index's version; the server refused (412), and the
    # index was read again.
    statuses = [(s3_kind(e), e.status) for e in remote.proxy.exchanges]
    assert statuses[0] == ("get_range", 412)
    assert [e.headers.get("if-match") is not None for e in remote.proxy.exchanges] == [
        True,
        False,
        True,
    ]
    assert all(status == 206 for _, status in statuses[1:])


def test_a_partial_write_of_a_shard_downloads_and_uploads_it_once(
    remote: Remote, big_data: np.ndarray
) -> None:
    array = big_shard(remote, big_data, compressors=None)
    shard_bytes = SHARD * SHARD * 8 + INDEX_BYTES
    for selection in [
        (slice(10, 20), slice(30, 40)),  # contiguous
        (slice(0, 300, 7), slice(2000, 5, -9)),  # stepped: read, merged, written back
    ]:
        remote.proxy.reset()
        value = np.full(np.empty(big_data.shape)[selection].shape, -1.0)
        with zb.io_stats() as stats:
            zbs.write_region(array, selection, value)
        exchanges = remote.proxy.exchanges
        assert [s3_kind(e) for e in exchanges] == ["get", "put"], selection
        assert exchanges[0].body_bytes == shard_bytes
        assert exchanges[1].sent_body_bytes == shard_bytes
        agree(stats, remote.proxy)
        big_data = big_data.copy()
        big_data[selection] = -1.0
    reader = zbs.open_array(remote.store(counted=False), "big")
    np.testing.assert_array_equal(reader[:], big_data)


@pytest.mark.parametrize("zarr_format", [3, 2])
def test_a_consolidated_group_of_50_arrays_opens_and_lists_with_one_request(
    remote: Remote, zarr_format: int
) -> None:
    direct = remote.store(counted=False)
    zbs.create_group(direct, "ds", zarr_format=zarr_format, attributes={"title": "fifty"})
    names = [f"var{i:02d}" for i in range(50)]
    for name in names:
        zbs.create_array(
            direct, f"ds/{name}", shape=(10, 20), dtype="float32", zarr_format=zarr_format
        )
    zbs.consolidate_metadata(direct, "ds")
    store = remote.store()

    remote.proxy.reset()
    with zb.io_stats() as stats:
        group = zbs.open_group(store, "ds", zarr_format=zarr_format)
        children = zbs.list_children(group)
    assert [c.name for c in children] == names
    assert all(isinstance(c, zb.Array) and c.shape == (10, 20) for c in children)
    assert group.attrs == {"title": "fifty"}
    key = "zarr.json" if zarr_format == 3 else ".zmetadata"
    assert [(s3_kind(e), e.path.rsplit("/", 1)[-1]) for e in remote.proxy.exchanges] == [
        ("get", key)
    ]
    agree(stats, remote.proxy)

    # Without consolidated metadata: a listing and each array's documents.
    remote.proxy.reset()
    group = zbs.open_group(store, "ds", use_consolidated=False, zarr_format=zarr_format)
    assert [c.name for c in zbs.list_children(group, use_consolidated=False)] == names
    per_array = 1 if zarr_format == 3 else 3
    assert len(remote.proxy.exchanges) >= 2 + 50 * per_array


def test_io_stats_agree_with_the_wire_over_a_mixed_workload(remote: Remote) -> None:
    store = remote.store()
    with zb.io_stats() as stats:
        array = zbs.create_array(
            store, "g/a", shape=(100, 90), dtype="int32", chunks=(10, 10), shards=(50, 30)
        )
        data = np.arange(9000, dtype="int32").reshape(100, 90)
        array[:] = data
        np.testing.assert_array_equal(array[:], data)
        np.testing.assert_array_equal(array[3:17, 41:77], data[3:17, 41:77])
        zbs.consolidate_metadata(store, "g")
        assert [c.path for c in zbs.list_children(store, "g")] == ["g/a"]
        assert zbs.read_chunk(array, (1, 2)).shape == (50, 30)
        zbs.delete_chunk(array, (0, 0))
        with pytest.raises(zb.errors.NodeNotFoundError):
            zbs.open_array(store, "nothing")
        zbs.delete_node(store, "g")
    assert stats.total_requests == len(remote.proxy.exchanges) > 20
    agree(stats, remote.proxy)
    assert stats.wait_seconds > 0
