"""Encoded chunks: ``read_encoded_chunk`` returns exactly the bytes zarr-python stored (the file
on disk; for an inner chunk, the bytes its shard's index points at, parsed here independently),
``None`` for what is not stored; bytes written with ``write_encoded_chunk`` (a whole chunk, a
whole shard, or one inner chunk of a shard) read back in zarr-python; bytes that do not decode
are refused without touching the store; and ``read_chunk`` / ``write_chunk`` /
``delete_chunk`` with ``inner=True`` address the same inner chunks."""

from __future__ import annotations

import struct
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from conftest import Api
from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec
from zarrbridge import sync as zbs
from zarrbridge.errors import ChunkIndexError, CodecError

DATA = np.arange(12 * 10, dtype="<i4").reshape(12, 10) * 3

LAYOUTS: dict[str, dict[str, Any]] = {
    "v3-zstd": {"zarr_format": 3, "compressors": ZstdCodec(level=3)},
    "v3-blosc": {"zarr_format": 3, "compressors": BloscCodec(cname="lz4")},
    "v3-gzip-sharded": {"zarr_format": 3, "compressors": GzipCodec(), "shards": (8, 10)},
    "v2-zlib": {"zarr_format": 2, "compressors": {"id": "zlib", "level": 1}},
    "v2-none": {"zarr_format": 2, "compressors": None},
}


def zarr_python_array(store_dir: Path, name: str, **kw: Any) -> Any:
    z = zarr.create_array(
        zarr.storage.LocalStore(store_dir),
        name=name,
        shape=DATA.shape,
        chunks=(4, 5),
        dtype=DATA.dtype,
        fill_value=-7,
        **kw,
    )
    z[:] = DATA
    return z


def shard_index(shard: bytes, count: int) -> list[tuple[int, int] | None]:
    """The ``(offset, length)`` of each inner chunk, from the index at the end of the shard
    (zarr-python's default: little-endian u64 pairs, then a crc32c)."""
    raw = shard[-(count * 16 + 4) : -4]
    pairs = struct.unpack(f"<{2 * count}Q", raw)
    out: list[tuple[int, int] | None] = []
    for i in range(count):
        offset, length = pairs[2 * i], pairs[2 * i + 1]
        out.append(None if offset == length == 2**64 - 1 else (offset, length))
    return out


@pytest.mark.parametrize("layout", LAYOUTS)
def test_read_encoded_chunk_returns_exactly_the_bytes_zarr_python_stored(
    store_dir: Path, file_store: zb.Store, chunk_path: Any, layout: str
) -> None:
    zarr_python_array(store_dir, "a", **LAYOUTS[layout])
    arr = zbs.open_array(file_store, "a")
    for coords in np.ndindex(*arr.grid_shape):
        stored = chunk_path(store_dir, "a", coords).read_bytes()
        got = zbs.read_encoded_chunk(arr, coords)
        assert got is not None and bytes(got) == stored, f"chunk {coords}: bytes differ"
        assert memoryview(got).readonly


def test_inner_chunks_are_the_bytes_their_shards_index_points_at(
    store_dir: Path, file_store: zb.Store, chunk_path: Any
) -> None:
    z = zarr_python_array(store_dir, "s", compressors=ZstdCodec(level=1), shards=(8, 10))
    z[0:4, 0:5] = -7  # an inner chunk of fill values: not stored
    arr = zbs.open_array(file_store, "s")
    assert arr.inner_grid_shape == (3, 2)
    for coords in np.ndindex(*arr.inner_grid_shape):
        shard_coords = (coords[0] // 2, coords[1] // 2)
        shard = chunk_path(store_dir, "s", shard_coords).read_bytes()
        entry = shard_index(shard, 4)[(coords[0] % 2) * 2 + coords[1] % 2]
        got = zbs.read_encoded_chunk(arr, coords, inner=True)
        if entry is None:
            assert got is None, f"inner chunk {coords} is not stored, got bytes"
        else:
            offset, length = entry
            assert bytes(got) == shard[offset : offset + length], f"inner chunk {coords}"
        np.testing.assert_array_equal(
            zbs.read_chunk(arr, coords, inner=True),
            z[coords[0] * 4 : coords[0] * 4 + 4, coords[1] * 5 : coords[1] * 5 + 5],
        )


def test_chunks_not_stored_read_as_none(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "a", shape=(8,), dtype="u1", chunks=2, shards=4)
    assert zbs.read_encoded_chunk(arr, 1) is None
    assert zbs.read_encoded_chunk(arr, 3, inner=True) is None
    arr[0] = 5
    assert zbs.read_encoded_chunk(arr, 1, inner=True) is None  # a neighbour in a stored shard
    assert zbs.read_encoded_chunk(arr, 0, inner=True) is not None


@pytest.mark.anyio
@pytest.mark.parametrize("layout", ["v3-zstd", "v2-zlib", "v3-gzip-sharded"])
async def test_chunks_written_encoded_read_back_in_zarr_python(
    api: Api, store_dir: Path, file_store: zb.Store, layout: str
) -> None:
    zarr_python_array(store_dir, "src", **LAYOUTS[layout])
    empty = zarr.create_array(
        zarr.storage.LocalStore(store_dir),
        name="dst",
        shape=DATA.shape,
        chunks=(4, 5),
        dtype=DATA.dtype,
        fill_value=-7,
        **LAYOUTS[layout],
    )
    src = await api.open_array(file_store, "src")
    dst = await api.open_array(file_store, "dst")
    assert not empty[:].any() or (empty[:] == -7).all()
    for coords in np.ndindex(*src.grid_shape):
        encoded = await api.read_encoded_chunk(src, coords)
        await api.write_encoded_chunk(dst, coords, encoded)
    np.testing.assert_array_equal(empty[:], DATA)


def test_an_inner_chunk_written_encoded_replaces_only_itself(
    store_dir: Path, file_store: zb.Store
) -> None:
    z = zarr_python_array(store_dir, "s", compressors=ZstdCodec(level=1), shards=(8, 10))
    arr = zbs.open_array(file_store, "s")
    # Inner chunk (2, 1) (rows 8-12, columns 5-10) stored as inner chunk (0, 0).
    encoded = zbs.read_encoded_chunk(arr, (2, 1), inner=True)
    zbs.write_encoded_chunk(arr, (0, 0), encoded, inner=True)
    expected = DATA.copy()
    expected[0:4, 0:5] = DATA[8:12, 5:10]
    np.testing.assert_array_equal(z[:], expected)
    np.testing.assert_array_equal(arr[:], expected)
    zbs.delete_chunk(arr, (0, 1), inner=True)
    expected[0:4, 5:10] = -7
    np.testing.assert_array_equal(z[:], expected)
    zbs.write_chunk(arr, (1, 1), 42, inner=True)
    expected[4:8, 5:10] = 42
    np.testing.assert_array_equal(z[:], expected)


def test_bytes_that_do_not_decode_are_refused_and_nothing_is_written(
    store_dir: Path, file_store: zb.Store, tree_snapshot: Any
) -> None:
    zarr_python_array(store_dir, "a", compressors=ZstdCodec(level=1))
    zarr_python_array(store_dir, "s", compressors=ZstdCodec(level=1), shards=(8, 10))
    before = tree_snapshot(store_dir)
    arr, sharded = zbs.open_array(file_store, "a"), zbs.open_array(file_store, "s")
    for target, inner in ((arr, False), (sharded, True), (sharded, False)):
        with pytest.raises(CodecError, match="do not decode"):
            zbs.write_encoded_chunk(target, (0, 0), b"not zstd at all", inner=inner)
    assert tree_snapshot(store_dir) == before
    # Without validation the bytes are stored as given, and reading them then fails.
    zbs.write_encoded_chunk(arr, (0, 0), b"not zstd at all", validate=False)
    assert bytes(zbs.read_encoded_chunk(arr, (0, 0))) == b"not zstd at all"
    with pytest.raises(CodecError):
        arr[0, 0]


def test_inner_coordinates_need_a_sharded_array_and_stay_in_its_grid(
    memory_store: zb.Store,
) -> None:
    plain = zbs.create_array(memory_store, "p", shape=(8,), dtype="u1", chunks=2)
    sharded = zbs.create_array(memory_store, "s", shape=(7,), dtype="u1", chunks=2, shards=4)
    assert plain.inner_grid_shape is None and sharded.inner_grid_shape == (4,)
    with pytest.raises(ChunkIndexError, match="not sharded"):
        zbs.read_encoded_chunk(plain, 0, inner=True)
    with pytest.raises(ChunkIndexError, match="not sharded"):
        zbs.read_chunk(plain, 0, inner=True)
    with pytest.raises(ChunkIndexError):
        zbs.read_encoded_chunk(sharded, 4, inner=True)
    with pytest.raises(ChunkIndexError):
        zbs.read_encoded_chunk(sharded, 2)
    # The edge inner chunk reads padded with the fill value, like read_chunk's edge chunks.
    sharded[:] = [1, 2, 3, 4, 5, 6, 7]
    np.testing.assert_array_equal(zbs.read_chunk(sharded, 3, inner=True), [7, 0])
