"""Differential tests: zarrbridge against zarr-python (and tensorstore for v3), on a file store.

Both directions, for every supported dtype and the codec chains both libraries support:
- zarrbridge writes, zarr-python (and tensorstore for v3) reads back identical data and metadata;
- zarr-python (and tensorstore) writes, zarrbridge reads identical data through whole-array
  reads, strided (also negative-step) sub-regions and whole chunks.

Every array has edge chunks (shape (13, 7), chunks (4, 3)), a non-zero fill value (NaN for
floats) and chunks that are never written, so they must read as the fill value.
"""

from __future__ import annotations

import itertools
import json
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numcodecs
import numpy as np
import pytest
import tensorstore as ts
import zarr
import zarr.codecs
import zarrbridge as zb
from zarr.storage import LocalStore
from zarrbridge import sync as zbs

SHAPE = (13, 7)
CHUNKS = (4, 3)
SHARDS = (8, 6)
# Rows 1..7 and columns 2..6: chunk row 0 and chunk column 0 are only partly written, chunk
# rows 2 and 3 are never written (they must read as the fill value). The corner (12, 6), in the
# edge chunk (3, 2), is then written on its own with a selection whose int drops a dimension.
REGION = (slice(1, 8), slice(2, 7))
REGION_SHAPE = (7, 5)
CORNER = (12, slice(6, 7))

DTYPES = (
    "bool",
    "int8",
    "int16",
    "int32",
    "int64",
    "uint8",
    "uint16",
    "uint32",
    "uint64",
    "float16",
    "float32",
    "float64",
    "complex64",
    "complex128",
)


def native(dtype: Any) -> np.dtype:
    return np.dtype(dtype).newbyteorder("=")


def dtype_id(dtype: Any) -> str:
    d = np.dtype(dtype)
    return d.name + ("-be" if d.byteorder == ">" else "")


def fill_for(dtype: Any) -> Any:
    """A non-zero fill value; the extreme ones also exercise JSON round trips of big ints."""
    d = np.dtype(dtype)
    if d.kind == "b":
        return True
    if d.kind == "i":
        return int(np.iinfo(d).min)
    if d.kind == "u":
        return int(np.iinfo(d).max)
    if d.kind == "f":
        return float("nan")
    return complex(1.5, -2.0)


def data_for(dtype: Any, shape: tuple[int, ...], seed: int) -> np.ndarray:
    """Random values of ``dtype`` (native order), with NaN, +-inf and -0.0 among floats."""
    d = native(dtype)
    rng = np.random.default_rng(seed)
    if d.kind == "b":
        return rng.random(shape) < 0.5
    if d.kind in "iu":
        info = np.iinfo(d)
        return rng.integers(info.min, info.max, size=shape, dtype=d, endpoint=True)
    if d.kind == "f":
        vals = rng.standard_normal(shape) * 100
        flat = vals.reshape(-1)
        specials = [np.nan, np.inf, -np.inf, -0.0]
        flat[: min(len(specials), flat.size)] = specials[: flat.size]
        return vals.astype(d)
    re = rng.standard_normal(shape) * 100
    im = rng.standard_normal(shape) * 100
    vals = re + 1j * im
    if vals.size:
        vals.reshape(-1)[0] = complex(np.nan, 1.0)
    return vals.astype(d)


def seed_of(text: str) -> int:
    return zlib.crc32(text.encode())


def same_scalar(a: Any, b: Any) -> bool:
    return bool(np.array_equal(np.asarray(a), np.asarray(b), equal_nan=True))


def expected_array(dtype: Any, fill: Any, part: np.ndarray, corner: np.ndarray) -> np.ndarray:
    expected = np.full(SHAPE, fill, dtype=native(dtype))
    expected[REGION] = part
    expected[CORNER] = corner
    return expected


def assert_equal_data(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    # assert_array_equal treats NaNs in the same places as equal.
    np.testing.assert_array_equal(
        got, expected, err_msg=f"{what}: values differ (left: read back, right: expected)"
    )


# --------------------------------------------------------------------------------------------
# the codec matrix
# --------------------------------------------------------------------------------------------

ZSTD3 = {"name": "zstd", "configuration": {"level": 3, "checksum": False}}
GZIP5 = {"name": "gzip", "configuration": {"level": 5}}
CRC32C = {"name": "crc32c"}
TRANSPOSE = {"name": "transpose", "configuration": {"order": [1, 0]}}


def blosc_v3(d: np.dtype) -> dict:
    return {
        "name": "blosc",
        "configuration": {
            "cname": "lz4",
            "clevel": 5,
            "shuffle": "shuffle",
            "typesize": d.itemsize,
            "blocksize": 0,
        },
    }


@dataclass(frozen=True)
class Layout:
    """One codec chain: keywords for zarrbridge's and zarr-python's create_array."""

    id: str
    zarr_format: int
    zb: Callable[[np.dtype], dict]
    zp: Callable[[np.dtype], dict]
    dtypes: tuple[str, ...] = DTYPES

    @property
    def sharded(self) -> bool:
        return "shards" in self.zb(np.dtype("u1"))


def same(kw: Callable[[np.dtype], dict]) -> tuple[Callable, Callable]:
    return kw, kw


V3_LAYOUTS = [
    Layout("v3-raw", 3, *same(lambda d: {"compressors": None})),
    Layout("v3-zstd", 3, *same(lambda d: {"compressors": [ZSTD3]})),
    Layout("v3-gzip", 3, *same(lambda d: {"compressors": [GZIP5]})),
    Layout("v3-blosc", 3, *same(lambda d: {"compressors": [blosc_v3(d)]})),
    Layout("v3-zstd-crc32c", 3, *same(lambda d: {"compressors": [ZSTD3, CRC32C]})),
    Layout("v3-transpose", 3, *same(lambda d: {"compressors": None, "filters": [TRANSPOSE]})),
    Layout("v3-sharded", 3, *same(lambda d: {"compressors": None, "shards": SHARDS})),
    Layout("v3-sharded-zstd", 3, *same(lambda d: {"compressors": [ZSTD3], "shards": SHARDS})),
    Layout(
        "v3-bigendian",
        3,
        # zarrbridge: a big-endian dtype selects big-endian storage. zarr-python ignores the
        # byte order of a v3 dtype and needs the serializer spelled out.
        lambda d: {"compressors": None},
        lambda d: {"compressors": None, "serializer": zarr.codecs.BytesCodec(endian="big")},
        dtypes=(">u2", ">f8"),
    ),
]
V2_LAYOUTS = [
    Layout("v2-raw", 2, *same(lambda d: {"compressors": None})),
    Layout("v2-zstd", 2, *same(lambda d: {"compressors": numcodecs.Zstd(level=3)})),
    Layout("v2-gzip", 2, *same(lambda d: {"compressors": numcodecs.GZip(level=5)})),
    Layout("v2-zlib", 2, *same(lambda d: {"compressors": numcodecs.Zlib(level=5)})),
    Layout(
        "v2-blosc",
        2,
        *same(
            lambda d: {
                "compressors": numcodecs.Blosc(
                    cname="lz4", clevel=5, shuffle=numcodecs.Blosc.SHUFFLE
                )
            }
        ),
    ),
    Layout("v2-bigendian", 2, *same(lambda d: {"compressors": None}), dtypes=(">i4",)),
]


def cases(layouts: list[Layout]) -> list[Any]:
    return [
        pytest.param(layout, dtype, id=f"{layout.id}-{dtype_id(dtype)}")
        for layout in layouts
        for dtype in layout.dtypes
    ]


ALL_CASES = cases(V3_LAYOUTS + V2_LAYOUTS)
V3_CASES = cases(V3_LAYOUTS)


def zarr_python_dtype(layout: Layout, dtype: str) -> np.dtype:
    # v2 records the byte order in the dtype; v3 takes it from the bytes codec.
    return np.dtype(dtype) if layout.zarr_format == 2 else native(dtype)


def attributes_for(layout: Layout, dtype: str) -> dict:
    return {"case": layout.id, "dtype": np.dtype(dtype).str, "nested": {"l": [1, 2.5, None, "x"]}}


def chunk_shape_of(layout: Layout) -> tuple[int, int]:
    return SHARDS if layout.sharded else CHUNKS


def grid_of(layout: Layout) -> tuple[int, int]:
    cs = chunk_shape_of(layout)
    return (-(-SHAPE[0] // cs[0]), -(-SHAPE[1] // cs[1]))


# --------------------------------------------------------------------------------------------
# zarrbridge writes -> zarr-python / tensorstore read
# --------------------------------------------------------------------------------------------


def write_with_zarrbridge(store: zb.Store, path: str, layout: Layout, dtype: str) -> tuple:
    fill = fill_for(dtype)
    attrs = attributes_for(layout, dtype)
    extra = {"dimension_names": ["y", "x"]} if layout.zarr_format == 3 else {}
    arr = zbs.create_array(
        store,
        path,
        shape=SHAPE,
        chunks=CHUNKS,
        dtype=dtype,
        fill_value=fill,
        zarr_format=layout.zarr_format,
        attributes=attrs,
        **extra,
        **layout.zb(np.dtype(dtype)),
    )
    seed = seed_of(f"{layout.id}/{dtype}")
    part = data_for(dtype, REGION_SHAPE, seed)
    corner = data_for(dtype, (1,), seed + 1)
    zbs.write_region(arr, REGION, part)
    zbs.write_region(arr, CORNER, corner)
    return expected_array(dtype, fill, part, corner), fill, attrs


@pytest.mark.parametrize(("layout", "dtype"), ALL_CASES)
def test_zarr_python_reads_data_and_metadata_zarrbridge_wrote(
    layout: Layout, dtype: str, file_store: zb.Store, store_dir: Path
) -> None:
    path = "grp/arr"
    expected, fill, attrs = write_with_zarrbridge(file_store, path, layout, dtype)

    za = zarr.open_array(store=LocalStore(str(store_dir)), path=path, mode="r")

    assert za.shape == SHAPE, f"zarr-python sees shape {za.shape}, expected {SHAPE}"
    assert za.chunks == CHUNKS, f"zarr-python sees chunks {za.chunks}, expected {CHUNKS}"
    exp_shards = SHARDS if layout.sharded else None
    assert za.shards == exp_shards, f"zarr-python sees shards {za.shards}, expected {exp_shards}"
    assert native(za.dtype) == native(dtype), f"zarr-python sees dtype {za.dtype}, expected {dtype}"
    assert same_scalar(za.fill_value, fill), (
        f"zarr-python sees fill_value {za.fill_value!r}, expected {fill!r}"
    )
    assert dict(za.attrs) == attrs, (
        f"zarr-python sees attributes {dict(za.attrs)}, expected {attrs}"
    )
    if layout.zarr_format == 3:
        assert za.metadata.dimension_names == ("y", "x"), (
            f"zarr-python sees dimension_names {za.metadata.dimension_names}, expected ('y', 'x')"
        )
    got = za[...]
    assert got.shape == SHAPE
    assert_equal_data(got, expected, f"zarr-python reading a {layout.id} {dtype} array")


def test_zarr_python_reads_big_endian_v3_storage_as_big_endian_bytes_codec(
    file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_array(file_store, "be", shape=(3,), dtype=">u2", compressors=None)
    meta = json.loads((store_dir / "be" / "zarr.json").read_text())
    endians = [
        c.get("configuration", {}).get("endian") for c in meta["codecs"] if c["name"] == "bytes"
    ]
    assert endians == ["big"], f"expected one bytes codec with endian 'big', got codecs {meta}"


@pytest.mark.parametrize(("layout", "dtype"), V3_CASES)
def test_tensorstore_reads_data_zarrbridge_wrote(
    layout: Layout, dtype: str, file_store: zb.Store, store_dir: Path
) -> None:
    path = "grp/arr"
    expected, _, _ = write_with_zarrbridge(file_store, path, layout, dtype)
    spec = {"driver": "zarr3", "kvstore": {"driver": "file", "path": f"{store_dir}/{path}"}}
    got = ts.open(spec).result().read().result()
    assert got.shape == SHAPE, f"tensorstore sees shape {got.shape}, expected {SHAPE}"
    assert_equal_data(got, expected, f"tensorstore reading a {layout.id} {dtype} array")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_python_opens_hierarchy_zarrbridge_created(
    zarr_format: int, file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_group(file_store, "", zarr_format=zarr_format, attributes={"root": True})
    zbs.create_group(file_store, "g", zarr_format=zarr_format, attributes={"level": 1})
    zbs.create_array(file_store, "g/a", shape=(2,), dtype="int16", zarr_format=zarr_format)
    zbs.create_group(file_store, "g/sub", zarr_format=zarr_format)
    zbs.create_array(file_store, "g/sub/deep", shape=(2,), dtype="int16", zarr_format=zarr_format)

    zstore = LocalStore(str(store_dir))
    root = zarr.open_group(store=zstore, path="", mode="r")
    assert dict(root.attrs) == {"root": True}, f"root attributes: {dict(root.attrs)}"
    g = zarr.open_group(store=zstore, path="g", mode="r", zarr_format=zarr_format)
    assert dict(g.attrs) == {"level": 1}, f"group attributes: {dict(g.attrs)}"
    assert sorted(g.keys()) == ["a", "sub"], f"zarr-python lists {sorted(g.keys())} in g"
    assert isinstance(g["a"], zarr.Array), f"g/a opened as {type(g['a'])}"
    assert isinstance(g["sub"], zarr.Group), f"g/sub opened as {type(g['sub'])}"
    assert sorted(g["sub"].keys()) == ["deep"]


# --------------------------------------------------------------------------------------------
# zarr-python / tensorstore writes -> zarrbridge reads
# --------------------------------------------------------------------------------------------


@dataclass
class Written:
    store: zb.Store
    path: str
    expected: np.ndarray
    fill: Any
    attrs: dict


@pytest.fixture(scope="module")
def zarr_python_written(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Written]:
    """Writes each (layout, dtype) case once with zarr-python and caches it for the module."""
    roots = {f: tmp_path_factory.mktemp(f"zarr-python-v{f}") for f in (2, 3)}
    cache: dict[str, Written] = {}

    def get(layout: Layout, dtype: str) -> Written:
        path = f"{layout.id}-{dtype_id(dtype)}"
        if path in cache:
            return cache[path]
        root = roots[layout.zarr_format]
        fill = fill_for(dtype)
        attrs = attributes_for(layout, dtype)
        extra = {"dimension_names": ["y", "x"]} if layout.zarr_format == 3 else {}
        za = zarr.create_array(
            LocalStore(str(root)),
            name=path,
            shape=SHAPE,
            chunks=CHUNKS,
            dtype=zarr_python_dtype(layout, dtype),
            fill_value=fill,
            zarr_format=layout.zarr_format,
            attributes=attrs,
            **extra,
            **layout.zp(np.dtype(dtype)),
        )
        seed = seed_of(f"zarr-python/{layout.id}/{dtype}")
        part = data_for(dtype, REGION_SHAPE, seed)
        corner = data_for(dtype, (1,), seed + 1)
        za[REGION] = part
        za[CORNER] = corner
        written = Written(
            zb.Store.from_url(str(root)),
            path,
            expected_array(dtype, fill, part, corner),
            fill,
            attrs,
        )
        cache[path] = written
        return written

    return get


@pytest.mark.parametrize(("layout", "dtype"), ALL_CASES)
def test_zarrbridge_reads_whole_array_and_metadata_zarr_python_wrote(
    layout: Layout, dtype: str, zarr_python_written: Callable[..., Written]
) -> None:
    w = zarr_python_written(layout, dtype)
    arr = zbs.open_array(w.store, w.path)

    checks = {
        "shape": (arr.shape, SHAPE),
        "chunks": (arr.chunks, CHUNKS),
        "shards": (arr.shards, SHARDS if layout.sharded else None),
        "chunk_shape": (arr.chunk_shape, chunk_shape_of(layout)),
        "grid_shape": (arr.grid_shape, grid_of(layout)),
        "dtype": (arr.dtype, native(dtype)),
        "attrs": (arr.attrs, w.attrs),
        "zarr_format": (arr.zarr_format, layout.zarr_format),
        "ndim": (arr.ndim, 2),
        "size": (arr.size, 91),
        "nbytes": (arr.nbytes, 91 * np.dtype(dtype).itemsize),
        "name": (arr.name, w.path),
        "path": (arr.path, w.path),
        "dimension_names": (arr.dimension_names, ("y", "x") if layout.zarr_format == 3 else None),
    }
    wrong = {k: f"got {g!r}, expected {e!r}" for k, (g, e) in checks.items() if g != e}
    assert not wrong, f"handle attributes differ from zarr-python's array: {wrong}"
    assert isinstance(arr.fill_value, np.generic), (
        f"fill_value should be a numpy scalar, got {type(arr.fill_value)}"
    )
    assert arr.fill_value.dtype == native(dtype), (
        f"fill_value dtype {arr.fill_value.dtype}, expected {native(dtype)}"
    )
    assert same_scalar(arr.fill_value, w.fill), (
        f"fill_value {arr.fill_value!r}, expected {w.fill!r}"
    )

    got = zbs.read_region(arr)
    assert got.dtype == native(dtype), f"read_region dtype {got.dtype}, expected {native(dtype)}"
    assert got.shape == SHAPE, f"read_region shape {got.shape}, expected {SHAPE}"
    assert_equal_data(got, w.expected, f"zarrbridge reading zarr-python's {layout.id} {dtype}")
    assert_equal_data(
        zbs.read_region(arr, ...), w.expected, "read_region(arr, ...) of the whole array"
    )


SELECTIONS = [
    pytest.param((slice(1, 12, 3), slice(None, None, -2)), id="step3-reversed"),
    pytest.param((slice(None, None, -1), 4), id="reversed-rows-int-col"),
    pytest.param((-1, slice(6, 0, -3)), id="negative-int-negative-step"),
    pytest.param((Ellipsis, slice(2, 3)), id="ellipsis-first"),
    pytest.param((5,), id="missing-trailing-dim"),
    pytest.param(5, id="bare-int"),
    pytest.param(slice(-3, None), id="bare-negative-slice"),
    pytest.param((slice(10, 2, -4), slice(-1, -8, -1)), id="negative-steps-both"),
    pytest.param((slice(3, 3), slice(None)), id="zero-size"),
    pytest.param((-13, -7), id="first-element-negative-ints"),
    pytest.param((slice(None, None, 5), slice(1, None, 2)), id="steps-across-edge-chunks"),
    pytest.param((slice(-100, 100), Ellipsis), id="out-of-range-slice-clipped"),
]


@pytest.mark.parametrize(("layout", "dtype"), ALL_CASES)
def test_zarrbridge_reads_strided_subregions_zarr_python_wrote(
    layout: Layout, dtype: str, zarr_python_written: Callable[..., Written]
) -> None:
    w = zarr_python_written(layout, dtype)
    arr = zbs.open_array(w.store, w.path)
    failures = []
    for param in SELECTIONS:
        sel = param.values[0]
        exp = np.asarray(w.expected[sel])
        got = zbs.read_region(arr, sel)
        if got.shape != exp.shape or got.dtype != exp.dtype:
            failures.append(
                f"{param.id}: got {got.shape} {got.dtype}, expected {exp.shape} {exp.dtype}"
            )
        elif not np.array_equal(got, exp, equal_nan=exp.dtype.kind in "fc"):
            failures.append(f"{param.id} {sel!r}: got {got!r}, expected {exp!r}")
    assert not failures, "sub-region reads differ from numpy on zarr-python's data:\n" + "\n".join(
        failures
    )


@pytest.mark.parametrize(("layout", "dtype"), ALL_CASES)
def test_zarrbridge_read_chunk_matches_zarr_python_block_padded_with_fill(
    layout: Layout, dtype: str, zarr_python_written: Callable[..., Written]
) -> None:
    w = zarr_python_written(layout, dtype)
    arr = zbs.open_array(w.store, w.path)
    cs = chunk_shape_of(layout)
    grid = grid_of(layout)
    padded = np.full((grid[0] * cs[0], grid[1] * cs[1]), w.fill, dtype=native(dtype))
    padded[: SHAPE[0], : SHAPE[1]] = w.expected
    for i, j in itertools.product(range(grid[0]), range(grid[1])):
        block = padded[i * cs[0] : (i + 1) * cs[0], j * cs[1] : (j + 1) * cs[1]]
        got = zbs.read_chunk(arr, (i, j))
        assert got.shape == cs, f"chunk {(i, j)}: shape {got.shape}, expected {cs}"
        assert got.dtype == native(dtype), f"chunk {(i, j)}: dtype {got.dtype}"
        assert_equal_data(got, block, f"chunk {(i, j)} of zarr-python's {layout.id} {dtype}")


BYTES_LE = {"name": "bytes", "configuration": {"endian": "little"}}
BYTES_BE = {"name": "bytes", "configuration": {"endian": "big"}}
SHARDED_GZIP_CRC = {
    "name": "sharding_indexed",
    "configuration": {
        "chunk_shape": [4, 3],
        "codecs": [BYTES_BE, GZIP5],
        "index_codecs": [BYTES_LE, CRC32C],
        "index_location": "end",
    },
}
# (dtype, fill value as JSON, the same as Python, stored chunk shape, codecs)
TS_CASES = [
    pytest.param("int32", -5, -5, [4, 3], [BYTES_LE], id="int32-raw"),
    pytest.param(
        "float64", "NaN", float("nan"), [4, 3], [BYTES_LE, ZSTD3], id="float64-zstd-nan-fill"
    ),
    pytest.param(
        "complex64",
        [1.5, -2.0],
        complex(1.5, -2.0),
        [4, 3],
        [BYTES_BE, GZIP5],
        id="complex64-bigendian-gzip",
    ),
    pytest.param("uint16", 9, 9, [8, 6], [SHARDED_GZIP_CRC], id="uint16-sharded-gzip-crc32c"),
    pytest.param(
        "bool",
        True,
        True,
        [4, 3],
        [TRANSPOSE, {"name": "bytes"}, blosc_v3(np.dtype("bool"))],
        id="bool-transpose-blosc",
    ),
]


@pytest.mark.parametrize(("dtype", "json_fill", "fill", "chunk_shape", "codecs"), TS_CASES)
def test_zarrbridge_reads_what_tensorstore_wrote(
    dtype: str,
    json_fill: Any,
    fill: Any,
    chunk_shape: list[int],
    codecs: list[dict],
    store_dir: Path,
    file_store: zb.Store,
) -> None:
    spec = {
        "driver": "zarr3",
        "kvstore": {"driver": "file", "path": f"{store_dir}/t"},
        "metadata": {
            "shape": list(SHAPE),
            "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": chunk_shape}},
            "chunk_key_encoding": {"name": "default"},
            "data_type": dtype,
            "fill_value": json_fill,
            "codecs": codecs,
        },
        "create": True,
    }
    t = ts.open(spec).result()
    part = data_for(dtype, REGION_SHAPE, seed_of(f"ts/{dtype}"))
    t[REGION].write(part).result()
    expected = np.full(SHAPE, fill, dtype=dtype)
    expected[REGION] = part

    arr = zbs.open_array(file_store, "t")
    assert same_scalar(arr.fill_value, fill), f"fill_value {arr.fill_value!r}, expected {fill!r}"
    assert arr.chunk_shape == tuple(chunk_shape), (
        f"chunk_shape {arr.chunk_shape}, expected {tuple(chunk_shape)}"
    )
    assert_equal_data(zbs.read_region(arr), expected, "zarrbridge reading tensorstore's array")
    assert_equal_data(
        zbs.read_region(arr, (slice(None, None, -2), slice(5, None, -1))),
        expected[::-2, 5::-1],
        "zarrbridge reading a reversed sub-region of tensorstore's array",
    )


# --------------------------------------------------------------------------------------------
# empty chunks
# --------------------------------------------------------------------------------------------


def stored_chunks(chunk_path: Callable, store_dir: Path, path: str, grid: tuple) -> set:
    return {
        c
        for c in itertools.product(*(range(n) for n in grid))
        if chunk_path(store_dir, path, c).exists()
    }


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_chunks_equal_to_fill_value_are_not_stored(
    zarr_format: int, file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(8, 6),
        chunks=(4, 3),
        dtype="int16",
        fill_value=5,
        zarr_format=zarr_format,
        compressors=None,
    )
    data = np.full((8, 6), 5, dtype=np.int16)
    data[4:, 3:] = 1  # only chunk (1, 1) differs from the fill value
    data[0, 3] = 2  # ... and chunk (0, 1)
    zbs.write_region(arr, ..., data)
    got = stored_chunks(chunk_path, store_dir, "a", (2, 2))
    assert got == {(0, 1), (1, 1)}, (
        f"expected only the chunks holding non-fill values on disk, got {sorted(got)}"
    )
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert_equal_data(za[...], data, "zarr-python reading an array with unstored fill chunks")


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_write_empty_chunks_true_stores_chunks_equal_to_fill_value(
    zarr_format: int, file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(8, 6),
        chunks=(4, 3),
        dtype="int16",
        fill_value=5,
        zarr_format=zarr_format,
        compressors=None,
        write_empty_chunks=True,
    )
    assert arr.write_empty_chunks is True, f"write_empty_chunks is {arr.write_empty_chunks!r}"
    zbs.write_region(arr, ..., 5)
    got = stored_chunks(chunk_path, store_dir, "a", (2, 2))
    assert got == {(0, 0), (0, 1), (1, 0), (1, 1)}, (
        f"write_empty_chunks=True should store all four chunks, found {sorted(got)}"
    )


def test_open_array_with_write_empty_chunks_true_stores_fill_chunks(
    file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    zbs.create_array(file_store, "a", shape=(4,), chunks=(2,), dtype="uint8", fill_value=0)
    arr = zbs.open_array(file_store, "a", write_empty_chunks=True)
    assert arr.write_empty_chunks is True
    zbs.write_chunk(arr, (1,), 0)
    assert chunk_path(store_dir, "a", (1,)).exists(), "a fill-valued chunk was not stored"
    assert not chunk_path(store_dir, "a", (0,)).exists(), "an unwritten chunk appeared on disk"


def test_default_open_array_does_not_store_fill_chunks(
    file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    zbs.create_array(
        file_store,
        "a",
        shape=(4,),
        chunks=(2,),
        dtype="uint8",
        fill_value=0,
        write_empty_chunks=True,
    )
    arr = zbs.open_array(file_store, "a")
    assert arr.write_empty_chunks is False, (
        "write_empty_chunks is a handle setting, not stored metadata: open_array defaults to False"
    )
    zbs.write_chunk(arr, (1,), 0)
    assert not chunk_path(store_dir, "a", (1,)).exists()


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_overwriting_a_chunk_with_fill_value_deletes_it(
    zarr_format: int, file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(8, 6),
        chunks=(4, 3),
        dtype="float32",
        fill_value=-1.0,
        zarr_format=zarr_format,
    )
    zbs.write_region(arr, (slice(0, 4), slice(0, 3)), 7.0)
    assert chunk_path(store_dir, "a", (0, 0)).exists(), "a non-fill chunk was not stored"
    zbs.write_region(arr, (slice(0, 4), slice(0, 3)), -1.0)
    assert not chunk_path(store_dir, "a", (0, 0)).exists(), (
        "a chunk rewritten with only fill values should be removed from disk"
    )


def test_chunk_of_nan_with_nan_fill_value_is_not_stored(
    file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    arr = zbs.create_array(
        file_store, "a", shape=(4,), chunks=(2,), dtype="float64", fill_value=float("nan")
    )
    zbs.write_region(arr, ..., np.array([np.nan, np.nan, 1.0, np.nan]))
    got = stored_chunks(chunk_path, store_dir, "a", (2,))
    assert got == {(1,)}, f"the all-NaN chunk equals the NaN fill value; stored chunks: {got}"


def test_shard_of_fill_values_is_not_stored(
    file_store: zb.Store, store_dir: Path, chunk_path: Callable
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(8, 6),
        chunks=(2, 3),
        shards=(4, 6),
        dtype="int32",
        fill_value=3,
    )
    data = np.full((8, 6), 3, dtype=np.int32)
    data[5, 5] = 0
    zbs.write_region(arr, ..., data)
    got = stored_chunks(chunk_path, store_dir, "a", (2, 1))
    assert got == {(1, 0)}, f"only the shard holding a non-fill value should be stored, got {got}"
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert_equal_data(za[...], data, "zarr-python reading a sharded array with a missing shard")


# --------------------------------------------------------------------------------------------
# ways to give codecs
# --------------------------------------------------------------------------------------------

COMPRESSOR_FORMS = [
    pytest.param(3, [zarr.codecs.ZstdCodec(level=3)], "zstd", id="v3-zarr-python-codec-object"),
    pytest.param(3, ZSTD3, "zstd", id="v3-single-dict"),
    pytest.param(3, [GZIP5], "gzip", id="v3-list-of-dicts"),
    pytest.param(3, [{"id": "zstd", "level": 3}], "zstd", id="v3-numcodecs-form-dict"),
    pytest.param(2, {"id": "zstd", "level": 3}, "zstd", id="v2-numcodecs-form-dict"),
    pytest.param(2, [numcodecs.GZip(level=5)], "gzip", id="v2-list-of-numcodecs-object"),
    pytest.param(2, numcodecs.Zstd(level=3), "zstd", id="v2-numcodecs-object"),
]


def compressor_names(za: Any) -> list[str]:
    names = []
    for c in za.compressors:
        if hasattr(c, "codec_id"):
            names.append(c.codec_id)
        else:
            names.append(type(c).__name__.removesuffix("Codec").lower())
    return names


@pytest.mark.parametrize(("zarr_format", "compressors", "name"), COMPRESSOR_FORMS)
def test_compressor_forms_are_written_as_that_compressor(
    zarr_format: int, compressors: Any, name: str, file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(10,),
        chunks=(4,),
        dtype="int32",
        zarr_format=zarr_format,
        compressors=compressors,
        fill_value=0,
    )
    data = np.arange(10, dtype=np.int32)
    zbs.write_region(arr, ..., data)
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert compressor_names(za) == [name], (
        f"compressors={compressors!r}: zarr-python sees {za.compressors}, expected one {name}"
    )
    assert_equal_data(za[...], data, f"zarr-python reading data compressed with {compressors!r}")


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize("compressors", [None, []], ids=["None", "empty-list"])
def test_no_compressors_writes_uncompressed_chunks(
    zarr_format: int,
    compressors: Any,
    file_store: zb.Store,
    store_dir: Path,
    chunk_path: Callable,
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=(4,),
        chunks=(4,),
        dtype="<u2",
        zarr_format=zarr_format,
        compressors=compressors,
    )
    zbs.write_region(arr, ..., [1, 2, 3, 4])
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert za.compressors == (), f"expected no compressors, zarr-python sees {za.compressors}"
    raw = chunk_path(store_dir, "a", (0,)).read_bytes()
    assert raw == np.array([1, 2, 3, 4], "<u2").tobytes(), f"raw chunk bytes are {raw!r}"


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_auto_compressors_mean_zstd_level_0(
    zarr_format: int, file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_array(file_store, "a", shape=(4,), dtype="int16", zarr_format=zarr_format)
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert compressor_names(za) == ["zstd"], f"default compressors: {za.compressors}"
    assert za.compressors[0].level == 0, f"default zstd level: {za.compressors[0]}"
