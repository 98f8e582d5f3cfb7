"""The ``ml_dtypes`` types zarrs has (bfloat16, the float8/6/4 formats, int2/4, uint2/4), Zarr v3.

zarr-python has none of them; tensorstore is the oracle for those it has, both ways, and
``ml_dtypes``' own bit patterns are the oracle for what is stored (the bytes codec writes each
element as its one or two bytes). Without ``ml_dtypes`` installed such an array is still listed,
and reading it raises ``UnsupportedError`` naming the package.
"""

from __future__ import annotations

import itertools
import zlib
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import _convert
from zarrbridge import sync as zbs
from zarrbridge.errors import UnsupportedError

ml_dtypes = pytest.importorskip("ml_dtypes")
ts = pytest.importorskip("tensorstore")

SHAPE = (11, 7)
CHUNKS = (4, 3)
SHARDS = (8, 6)
REGION = (slice(1, 8), slice(2, 7))

# (name, fill value); tensorstore has the ones in TENSORSTORE.
TYPES = [
    ("bfloat16", 2.0),
    ("float8_e3m4", 2.0),
    ("float8_e4m3", 2.0),
    ("float8_e4m3b11fnuz", 2.0),
    ("float8_e4m3fnuz", 2.0),
    ("float8_e5m2", 2.0),
    ("float8_e5m2fnuz", 2.0),
    ("float8_e8m0fnu", 2.0),
    ("float6_e2m3fn", 2.0),
    ("float6_e3m2fn", 2.0),
    ("float4_e2m1fn", 2.0),
    ("int2", -1),
    ("int4", -3),
    ("uint2", 3),
    ("uint4", 9),
]
TENSORSTORE = {
    "bfloat16",
    "float8_e3m4",
    "float8_e4m3b11fnuz",
    "float8_e4m3fnuz",
    "float8_e5m2",
    "float8_e5m2fnuz",
    "float4_e2m1fn",
    "int2",
    "int4",
}
# tensorstore has float8_e8m0fnu too, but writes its fill value 2.0 as -3.7e19 in zarr.json and
# reads 2.0 as 2**-63: it stays covered by the round trip and ml_dtypes' bytes.


def data_of(name: str, shape: tuple[int, ...], seed: int) -> np.ndarray:
    dtype = np.dtype(getattr(ml_dtypes, name))
    rng = np.random.default_rng(seed)
    if "int" in name:
        info = ml_dtypes.iinfo(dtype)
        return rng.integers(int(info.min), int(info.max), size=shape, endpoint=True).astype(dtype)
    return (rng.standard_normal(shape) * 4).astype(np.float32).astype(dtype)


def expected_of(name: str, fill: Any, part: np.ndarray) -> np.ndarray:
    expected = np.full(SHAPE, fill, dtype=np.float32 if "float" in name else np.int8)
    expected = expected.astype(part.dtype)
    expected[REGION] = part
    return expected


def assert_same_bits(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    """The same floats bit for bit (NaNs included); integers by value (a sub-byte integer's
    byte may hold its bits sign-extended or not: ml_dtypes and tensorstore read both)."""
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, expected {expected.dtype}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    if "int" in got.dtype.name:
        same = got.astype(np.int8).tolist() == expected.astype(np.int8).tolist()
    else:
        bits = [np.ascontiguousarray(a).view(np.uint8) for a in (got, expected)]
        same = np.array_equal(*bits)
    assert same, f"{what}: values differ\nread back: {got!r}\nexpected:  {expected!r}"


CASES = [
    pytest.param(name, fill, sharded, id=f"{name}{'-sharded' if sharded else ''}")
    for (name, fill), sharded in itertools.product(TYPES, [False, True])
]


TS_CASES = [c for c in CASES if c.values[0] in TENSORSTORE]


@pytest.mark.parametrize(("name", "fill", "sharded"), CASES)
def test_ml_type_round_trips_and_stores_ml_dtypes_bits(
    name: str, fill: Any, sharded: bool, file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(
        file_store, "a", shape=SHAPE, chunks=CHUNKS, dtype=name, fill_value=fill,
        compressors=None, shards=SHARDS if sharded else None,
    )  # fmt: skip
    dtype = np.dtype(getattr(ml_dtypes, name))
    assert arr.dtype == dtype, f"dtype {arr.dtype}, expected {dtype}"
    assert arr.metadata["data_type"] == name
    assert np.asarray(arr.fill_value).tolist() == np.array(fill).astype(dtype).tolist()
    part = data_of(name, (7, 5), zlib.crc32(name.encode()))
    zbs.write_region(arr, REGION, part)
    assert_same_bits(zbs.read_region(arr), expected_of(name, fill, part), "read back")
    if not sharded:
        stored = (store_dir / "a" / "c" / "0" / "1").read_bytes()  # rows 0-3, columns 3-5
        block = expected_of(name, fill, part)[0:4, 3:6]
        as_stored = np.frombuffer(stored, dtype=dtype).reshape(block.shape)
        assert_same_bits(as_stored, block, "chunk (0, 1) read by ml_dtypes from the file")


@pytest.mark.parametrize(("name", "fill", "sharded"), TS_CASES)
def test_tensorstore_reads_ml_type_zarrbridge_wrote(
    name: str, fill: Any, sharded: bool, file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(
        file_store, "a", shape=SHAPE, chunks=CHUNKS, dtype=name, fill_value=fill,
        shards=SHARDS if sharded else None,
    )  # fmt: skip
    part = data_of(name, (7, 5), zlib.crc32(f"ts/{name}".encode()))
    zbs.write_region(arr, REGION, part)
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(store_dir / "a")}}
    got = ts.open(spec).result().read().result()
    assert_same_bits(got, expected_of(name, fill, part), f"tensorstore reading {name}")


@pytest.mark.parametrize(("name", "fill", "sharded"), TS_CASES)
def test_zarrbridge_reads_ml_type_tensorstore_wrote(
    name: str, fill: Any, sharded: bool, tmp_path: Path
) -> None:
    dtype = np.dtype(getattr(ml_dtypes, name))
    chunk_layout = ts.ChunkLayout(
        read_chunk_shape=CHUNKS, write_chunk_shape=SHARDS if sharded else CHUNKS
    )
    t = ts.open(
        {"driver": "zarr3", "kvstore": {"driver": "file", "path": str(tmp_path / "t")}},
        create=True,
        dtype=getattr(ts, name),
        shape=SHAPE,
        chunk_layout=chunk_layout,
        fill_value=np.array(fill).astype(dtype),
    ).result()
    part = data_of(name, (7, 5), zlib.crc32(f"from-ts/{name}".encode()))
    t[REGION] = part
    arr = zbs.open_array(str(tmp_path), "t")
    assert arr.shards == (SHARDS if sharded else None)
    assert_same_bits(zbs.read_region(arr), expected_of(name, fill, part), "zarrbridge reading")
    stepped = (slice(None, None, -2), 3)
    expected = expected_of(name, fill, part)[stepped]
    assert_same_bits(zbs.read_region(arr, stepped), expected, "stepped region")


def test_ml_type_needs_zarr_v3(file_store: zb.Store) -> None:
    with pytest.raises(UnsupportedError, match="zarr_format=3"):
        zbs.create_array(file_store, "a", shape=(2,), dtype="bfloat16", zarr_format=2)


def test_without_ml_dtypes_the_array_is_listed_and_reading_it_names_the_package(
    file_store: zb.Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    zbs.create_group(file_store, "")
    zbs.write_region(zbs.create_array(file_store, "w", shape=(2,), dtype="bfloat16"), ..., 1.5)
    zbs.create_array(file_store, "x", shape=(2,), dtype="int8")
    monkeypatch.setattr(_convert, "_ml_dtypes", lambda: None)
    listed = {c.name: c for c in zbs.list_children(file_store)}
    assert sorted(listed) == ["w", "x"], f"listed {sorted(listed)}"
    with pytest.raises(UnsupportedError, match="ml_dtypes"):
        zbs.read_region(listed["w"])
    assert zbs.read_region(listed["x"]).tolist() == [0, 0]
