"""Differential tests of the data types beyond numbers: zarrbridge against zarr-python, both ways.

Variable-length text (v3 ``string``, v2 ``vlen-utf8``) and bytes (v3 ``bytes``, v2
``vlen-bytes``), fixed-width text (v3 ``fixed_length_utf32``, v2 ``<U``/``>U``) and bytes (v3
``null_terminated_bytes``, v2 ``|S``), raw bytes (v3 ``raw_bytes``, v2 ``|V``), and times (v3
``numpy.datetime64``/``numpy.timedelta64``, v2 ``<M8``/``<m8``) with every unit zarr-python
writes; Zarr v2 and v3, sharded and not (where zarr-python shards the type).

Every array has edge chunks (shape (11, 7), chunks (4, 3)), a fill value that is not the
type's zero, and chunks that are never written, which must read as the fill value. Values
include the empty string, astral-plane characters and NUL bytes inside values.
"""

from __future__ import annotations

import itertools
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarr.codecs
import zarrbridge as zb
from zarr.core.dtype import VariableLengthBytes
from zarr.storage import LocalStore
from zarrbridge import sync as zbs

SHAPE = (11, 7)
CHUNKS = (4, 3)
SHARDS = (8, 6)
REGION = (slice(1, 8), slice(2, 7))
REGION_SHAPE = (7, 5)
CORNER = (10, slice(6, 7))

ALPHABET = ["a", "Z", "é", "ß", "ж", "中", "🎉", "𝄞", " ", "\0", "\n"]


def seed_of(text: str) -> int:
    return zlib.crc32(text.encode())


def random_text(rng: np.random.Generator, trailing_nul: bool) -> str:
    n = int(rng.integers(0, 7))
    text = "".join(ALPHABET[int(i)] for i in rng.integers(0, len(ALPHABET), size=n))
    return text if trailing_nul else text.rstrip("\0")


def random_bytes(rng: np.random.Generator, trailing_nul: bool) -> bytes:
    value = bytes(rng.integers(0, 256, size=int(rng.integers(0, 7)), dtype=np.uint8))
    return value if trailing_nul else value.rstrip(b"\0")


def texts(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    flat = [
        random_text(rng, trailing_nul=np.dtype(dtype).kind != "U") for _ in range(np.prod(shape))
    ]
    flat[:3] = ["", "🎉𝄞", "a\0b"][: len(flat)]
    return np.array(flat, dtype=dtype).reshape(shape)


def bytes_values(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    fixed = np.dtype(dtype).kind == "S"
    flat = [random_bytes(rng, trailing_nul=not fixed) for _ in range(np.prod(shape))]
    flat[:2] = [b"", b"\0x\0"[: 2 if fixed else 3]][: len(flat)]
    out = np.empty(len(flat), dtype=dtype)
    out[:] = flat
    return out.reshape(shape)


def times(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    dtype = np.dtype(dtype)
    if np.datetime_data(dtype)[0] == "generic":
        return np.full(shape, np.datetime64("NaT") if dtype.kind == "M" else np.timedelta64("NaT"))
    counts = rng.integers(-(10**6), 10**6, size=shape)
    values = counts.astype(np.int64).view(dtype.newbyteorder("="))
    values.reshape(-1)[:1] = values.dtype.type("NaT")
    return values


def raw(shape: tuple[int, ...], rng: np.random.Generator, dtype: Any) -> np.ndarray:
    size = np.dtype(dtype).itemsize
    return rng.integers(0, 256, size=(*shape, size), dtype=np.uint8).view(f"V{size}")[..., 0]


STRING = np.dtypes.StringDType()

# zarr-python warns that the v3 names of fixed-width text, bytes and raw bytes are its own.
pytestmark = pytest.mark.filterwarnings("ignore:The data type .* does not have a Zarr V3")


@dataclass(frozen=True)
class Kind:
    """One data type: what each library is given, what reads return, a fill value, data."""

    id: str
    zb_dtype: Any
    zp_dtype: Any
    numpy: Any  # dtype of what zarrbridge returns (native byte order)
    fill: Any
    make: Callable[[tuple[int, ...], np.random.Generator, Any], np.ndarray]
    big_endian: bool = False
    sharded: bool = True  # zarr-python writes it sharded


KINDS = [
    Kind("string", str, str, STRING, "fill", texts),
    Kind("bytes", "bytes", VariableLengthBytes(), object, b"f\0b", bytes_values),
    Kind("fixed-text", "U5", "U5", "U5", "xy", texts),
    Kind("fixed-text-be", ">U5", ">U5", "U5", "é", texts, big_endian=True),
    Kind("fixed-bytes", "S4", "S4", "S4", b"ab", bytes_values),
    Kind("raw", "V3", "V3", "V3", np.void(b"\x01\x02\x03"), raw, sharded=False),
    Kind("datetime-ns", "M8[ns]", "M8[ns]", "M8[ns]", np.datetime64("2001-02-03", "ns"), times),
    Kind("timedelta-s", "m8[s]", "m8[s]", "m8[s]", np.timedelta64(-7, "s"), times),
    Kind("datetime-be", ">M8[ms]", ">M8[ms]", "M8[ms]", np.datetime64("NaT", "ms"), times, True),
]


@dataclass(frozen=True)
class Layout:
    id: str
    zarr_format: int
    sharded: bool


LAYOUTS = [Layout("v2", 2, False), Layout("v3", 3, False), Layout("v3-sharded", 3, True)]


def cases() -> list[Any]:
    return [
        pytest.param(layout, kind, id=f"{layout.id}-{kind.id}")
        for layout, kind in itertools.product(LAYOUTS, KINDS)
        if kind.sharded or not layout.sharded
    ]


CASES = cases()


def zb_keywords(layout: Layout, kind: Kind) -> dict[str, Any]:
    extra: dict[str, Any] = {"shards": SHARDS} if layout.sharded else {}
    return {"zarr_format": layout.zarr_format, **extra}


def zp_keywords(layout: Layout, kind: Kind) -> dict[str, Any]:
    extra: dict[str, Any] = {"shards": SHARDS} if layout.sharded else {}
    if kind.big_endian and layout.zarr_format == 3:
        # zarr-python takes a v3 array's byte order from its serializer, not from the dtype.
        extra["serializer"] = zarr.codecs.BytesCodec(endian="big")
    return {"zarr_format": layout.zarr_format, **extra}


def zp_dtype(layout: Layout, kind: Kind) -> Any:
    if layout.zarr_format == 3 and isinstance(kind.zp_dtype, str):
        return np.dtype(kind.zp_dtype).newbyteorder("=")
    return kind.zp_dtype


def expected_array(kind: Kind, part: np.ndarray, corner: np.ndarray) -> np.ndarray:
    expected = np.empty(SHAPE, dtype=kind.numpy)
    expected[...] = kind.fill
    expected[REGION] = part
    expected[CORNER] = corner
    return expected


def assert_same(got: np.ndarray, expected: np.ndarray, what: str) -> None:
    assert got.dtype == expected.dtype, f"{what}: dtype {got.dtype}, expected {expected.dtype}"
    assert got.shape == expected.shape, f"{what}: shape {got.shape}, expected {expected.shape}"
    assert got.tolist() == expected.tolist(), (
        f"{what}: values differ\nread back: {got!r}\nexpected:  {expected!r}"
    )


def same_fill(got: Any, expected: Any) -> bool:
    return bool(np.asarray([got]).tolist() == np.asarray([expected]).tolist())


def data_pair(kind: Kind, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return kind.make(REGION_SHAPE, rng, kind.numpy), kind.make((1,), rng, kind.numpy)


# --------------------------------------------------------------------------------------------
# zarrbridge writes -> zarr-python reads
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("layout", "kind"), CASES)
def test_zarr_python_reads_data_types_zarrbridge_wrote(
    layout: Layout, kind: Kind, file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(
        file_store,
        "a",
        shape=SHAPE,
        chunks=CHUNKS,
        dtype=kind.zb_dtype,
        fill_value=kind.fill,
        attributes={"kind": kind.id},
        **zb_keywords(layout, kind),
    )
    part, corner = data_pair(kind, seed_of(f"zb/{layout.id}/{kind.id}"))
    zbs.write_region(arr, REGION, part)
    zbs.write_region(arr, CORNER, corner)

    za = zarr.open_array(store=LocalStore(str(store_dir)), path="a", mode="r")
    assert za.shards == (SHARDS if layout.sharded else None)
    assert same_fill(za.fill_value, kind.fill), f"zarr-python sees fill {za.fill_value!r}"
    got = za[...]
    if got.dtype != np.dtype(kind.numpy):  # zarr-python returns big-endian data as stored
        got = got.astype(np.dtype(kind.numpy))
    assert_same(got, expected_array(kind, part, corner), f"zarr-python reading {layout.id}")


# --------------------------------------------------------------------------------------------
# zarr-python writes -> zarrbridge reads
# --------------------------------------------------------------------------------------------


@dataclass
class Written:
    store: zb.Store
    path: str
    expected: np.ndarray


@pytest.fixture(scope="module")
def zarr_python_wrote(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Written]:
    root = tmp_path_factory.mktemp("zarr-python-dtypes")
    cache: dict[str, Written] = {}

    def get(layout: Layout, kind: Kind) -> Written:
        path = f"{layout.id}-{kind.id}"
        if path not in cache:
            za = zarr.create_array(
                LocalStore(str(root)),
                name=path,
                shape=SHAPE,
                chunks=CHUNKS,
                dtype=zp_dtype(layout, kind),
                fill_value=kind.fill,
                **zp_keywords(layout, kind),
            )
            part, corner = data_pair(kind, seed_of(f"zp/{layout.id}/{kind.id}"))
            za[REGION] = part
            za[CORNER] = corner
            expected = expected_array(kind, part, corner)
            cache[path] = Written(zb.Store.from_url(str(root)), path, expected)
        return cache[path]

    return get


@pytest.mark.parametrize(("layout", "kind"), CASES)
def test_zarrbridge_reads_data_types_zarr_python_wrote(
    layout: Layout, kind: Kind, zarr_python_wrote: Callable[..., Written]
) -> None:
    w = zarr_python_wrote(layout, kind)
    arr = zbs.open_array(w.store, w.path)
    assert arr.dtype == np.dtype(kind.numpy), f"dtype {arr.dtype}, expected {kind.numpy}"
    assert same_fill(arr.fill_value, kind.fill), f"fill {arr.fill_value!r}, not {kind.fill!r}"
    assert arr.shards == (SHARDS if layout.sharded else None)
    assert_same(zbs.read_region(arr), w.expected, "whole array")
    for sel in [(slice(None, None, -3), slice(1, None, 2)), (slice(2, 9), 4), (-1, ...)]:
        assert_same(zbs.read_region(arr, sel), w.expected[sel], f"region {sel}")


@pytest.mark.anyio
@pytest.mark.parametrize(("layout", "kind"), CASES)
async def test_zarrbridge_reads_chunks_of_data_types_zarr_python_wrote_async(
    layout: Layout, kind: Kind, zarr_python_wrote: Callable[..., Written]
) -> None:
    w = zarr_python_wrote(layout, kind)
    arr = await zb.open_array(w.store, w.path)
    cs = arr.chunk_shape
    grid = arr.grid_shape
    padded = np.empty((grid[0] * cs[0], grid[1] * cs[1]), dtype=w.expected.dtype)
    padded[...] = kind.fill
    padded[: SHAPE[0], : SHAPE[1]] = w.expected
    coords = list(itertools.product(range(grid[0]), range(grid[1])))
    chunks = await arr.read_chunks(coords)
    for (i, j), got in zip(coords, chunks, strict=True):
        block = padded[i * cs[0] : (i + 1) * cs[0], j * cs[1] : (j + 1) * cs[1]]
        assert_same(got, block, f"chunk {(i, j)}")
    one = await zb.read_chunk(arr, coords[-1])
    assert_same(one, chunks[-1], "read_chunk of the last chunk")


@pytest.mark.parametrize(("layout", "kind"), CASES)
def test_whole_chunk_writes_of_data_types_read_back_by_zarr_python(
    layout: Layout, kind: Kind, file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(
        file_store,
        "c",
        shape=SHAPE,
        chunks=CHUNKS,
        dtype=kind.zb_dtype,
        fill_value=kind.fill,
        **zb_keywords(layout, kind),
    )
    rng = np.random.default_rng(seed_of(f"chunks/{layout.id}/{kind.id}"))
    last = tuple(g - 1 for g in arr.grid_shape)
    blocks = [kind.make(arr.chunk_shape, rng, kind.numpy) for _ in range(2)]
    zbs.write_chunks(arr, [(0, 0), last], blocks)
    expected = np.empty(SHAPE, dtype=kind.numpy)
    expected[...] = kind.fill
    cs = arr.chunk_shape
    expected[: cs[0], : cs[1]] = blocks[0]
    edge = (slice(last[0] * cs[0], None), slice(last[1] * cs[1], None))
    expected[edge] = blocks[1][: SHAPE[0] - last[0] * cs[0], : SHAPE[1] - last[1] * cs[1]]
    got = zarr.open_array(store=LocalStore(str(store_dir)), path="c", mode="r")[...]
    if got.dtype != np.dtype(kind.numpy):
        got = got.astype(np.dtype(kind.numpy))
    assert_same(got, expected, "zarr-python reading chunks zarrbridge wrote whole")
    assert_same(zbs.read_chunk(arr, last), blocks[1], "the edge chunk read back whole")


# --------------------------------------------------------------------------------------------
# every time unit zarr-python writes
# --------------------------------------------------------------------------------------------

UNITS = ["Y", "M", "W", "D", "h", "m", "s", "ms", "us", "ns", "ps", "fs", "as", "25ms", "generic"]
# zarr-python writes no generic datetime64 (its NaT fill cannot be made without a unit).
UNIT_CASES = [
    pytest.param(kind, unit, id=f"{kind}8-{unit}")
    for kind in "Mm"
    for unit in UNITS
    if (kind, unit) != ("M", "generic")
]


def time_dtype(kind: str, unit: str) -> np.dtype:
    return np.dtype(kind + ("8" if unit == "generic" else f"8[{unit}]"))


@pytest.mark.parametrize("zarr_format", [2, 3])
@pytest.mark.parametrize(("kind", "unit"), UNIT_CASES)
def test_every_time_unit_round_trips_between_zarr_python_and_zarrbridge(
    zarr_format: int, kind: str, unit: str, tmp_path: Path
) -> None:
    dtype = time_dtype(kind, unit)
    rng = np.random.default_rng(seed_of(f"{zarr_format}{kind}{unit}"))
    data = times((5, 4), rng, dtype)
    fill = dtype.type("NaT")
    za = zarr.create_array(
        LocalStore(str(tmp_path / "zp")),
        name="t",
        shape=(5, 4),
        chunks=(2, 3),
        dtype=dtype,
        fill_value=fill,
        zarr_format=zarr_format,
    )
    za[1:, :3] = data[1:, :3]
    expected = np.full((5, 4), fill, dtype=dtype)
    expected[1:, :3] = data[1:, :3]
    arr = zbs.open_array(str(tmp_path / "zp"), "t")
    assert arr.dtype == dtype, f"zarrbridge sees {arr.dtype}, zarr-python wrote {dtype}"
    assert_same(zbs.read_region(arr), expected, f"zarrbridge reading {dtype}")

    ours = zbs.create_array(
        str(tmp_path / "zb"), "t", shape=(5, 4), chunks=(2, 3), dtype=dtype,
        fill_value=fill, zarr_format=zarr_format,
    )  # fmt: skip
    zbs.write_region(ours, (slice(1, None), slice(None, 3)), data[1:, :3])
    back = zarr.open_array(store=LocalStore(str(tmp_path / "zb")), path="t", mode="r")
    assert back.dtype == dtype, f"zarr-python sees {back.dtype}, zarrbridge wrote {dtype}"
    assert_same(back[...], expected, f"zarr-python reading {dtype}")
