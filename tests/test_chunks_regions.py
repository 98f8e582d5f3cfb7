"""Chunks and regions: read/write/delete of chunks, batched chunk calls, region reads and
writes, ``out=``, input conversion and the errors that must leave the store untouched.

Most bodies run through the ``api`` fixture (async under asyncio and trio, and sync). The base
array has shape (10, 7) and chunks (4, 3): a 3 x 3 grid whose last row of chunks holds two rows
and whose last column of chunks holds one column.
"""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarr.storage import LocalStore
from zarrbridge import sync as zbs
from zarrbridge.errors import (
    ChunkIndexError,
    InvalidDataError,
    SelectionError,
    UnsupportedError,
    ZarrBridgeError,
)

pytestmark = pytest.mark.anyio

SHAPE = (10, 7)
CHUNKS = (4, 3)
FILL = -1


async def make(api: Any, store: Any, path: str = "a", **kw: Any) -> Any:
    args: dict[str, Any] = dict(shape=SHAPE, chunks=CHUNKS, dtype="int32", fill_value=FILL)
    args.update(kw)
    return await api.create_array(store, path, **args)


def full(value: Any = FILL, shape: tuple[int, ...] = SHAPE, dtype: Any = np.int32) -> np.ndarray:
    return np.full(shape, value, dtype=dtype)


def zp_read(store_dir: Path, path: str = "a") -> np.ndarray:
    return zarr.open_array(store=LocalStore(str(store_dir)), path=path, mode="r")[...]


def assert_same(got: Any, expected: Any, what: str) -> None:
    got_a, exp_a = np.asarray(got), np.asarray(expected)
    assert got_a.shape == exp_a.shape, f"{what}: shape {got_a.shape}, expected {exp_a.shape}"
    np.testing.assert_array_equal(got_a, exp_a, err_msg=f"{what} (left: got, right: expected)")


# --------------------------------------------------------------------------------------------
# chunks
# --------------------------------------------------------------------------------------------


async def test_read_chunk_of_unwritten_chunk_is_full_chunk_of_fill_value(
    api: Any, store: zb.Store
) -> None:
    arr = await make(api, store)
    for coords in ((0, 0), (2, 2), (1, 2)):
        got = await api.read_chunk(arr, coords)
        assert_same(got, full(shape=CHUNKS), f"unwritten chunk {coords}")
        assert got.dtype == np.int32, f"chunk dtype {got.dtype}"


async def test_write_chunk_round_trips_and_zarr_python_sees_the_block(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    arr = await make(api, file_store)
    block = np.arange(12, dtype=np.int32).reshape(CHUNKS)
    await api.write_chunk(arr, (1, 1), block)
    assert_same(await api.read_chunk(arr, (1, 1)), block, "read_chunk after write_chunk")
    expected = full()
    expected[4:8, 3:6] = block
    assert_same(zp_read(store_dir), expected, "zarr-python after write_chunk((1, 1))")


async def test_write_chunk_on_edge_chunk_shows_only_the_in_bounds_part(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    arr = await make(api, file_store)
    block = np.arange(100, 112, dtype=np.int32).reshape(CHUNKS)
    await api.write_chunk(arr, (2, 2), block)
    expected = full()
    expected[8:10, 6:7] = block[:2, :1]
    assert_same(await api.read_region(arr), expected, "read_region after writing edge chunk")
    assert_same(zp_read(store_dir), expected, "zarr-python after writing edge chunk")
    got = await api.read_chunk(arr, (2, 2))
    assert got.shape == CHUNKS, f"edge chunk shape {got.shape}, expected the full {CHUNKS}"
    assert_same(got[:2, :1], block[:2, :1], "in-bounds part of the edge chunk")


async def test_read_chunk_of_zarr_python_edge_chunk_is_padded_with_fill_value(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    za = zarr.create_array(
        LocalStore(str(store_dir)),
        name="a",
        shape=SHAPE,
        chunks=CHUNKS,
        dtype="int32",
        fill_value=FILL,
    )
    za[...] = np.arange(70, dtype=np.int32).reshape(SHAPE)
    arr = await api.open_array(file_store, "a")
    expected = full(shape=CHUNKS)
    expected[:2, :1] = [[62], [69]]
    assert_same(await api.read_chunk(arr, (2, 2)), expected, "edge chunk (2, 2)")


async def test_write_chunk_broadcasts_scalar_and_row(api: Any, store: zb.Store) -> None:
    arr = await make(api, store)
    await api.write_chunk(arr, (0, 0), 3)
    await api.write_chunk(arr, (0, 1), [1, 2, 3])
    assert_same(await api.read_chunk(arr, (0, 0)), full(3, CHUNKS), "scalar chunk write")
    assert_same(
        await api.read_chunk(arr, (0, 1)), np.tile(np.int32([1, 2, 3]), (4, 1)), "row broadcast"
    )


async def test_delete_chunk_makes_it_read_fill_and_removes_its_file(
    api: Any, file_store: zb.Store, store_dir: Path, chunk_path: Any
) -> None:
    arr = await make(api, file_store)
    await api.write_region(arr, ..., 5)
    assert chunk_path(store_dir, "a", (1, 2)).exists(), "setup: chunk (1, 2) should be stored"
    await api.delete_chunk(arr, (1, 2))
    assert not chunk_path(store_dir, "a", (1, 2)).exists(), "chunk file still there after delete"
    assert_same(await api.read_chunk(arr, (1, 2)), full(shape=CHUNKS), "deleted chunk")
    expected = full(5)
    expected[4:8, 6:7] = FILL
    assert_same(zp_read(store_dir), expected, "zarr-python after delete_chunk((1, 2))")


async def test_delete_chunk_of_unwritten_chunk_is_a_no_op(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    arr = await make(api, file_store)
    before = tree_snapshot(store_dir)
    await api.delete_chunk(arr, (0, 0))
    assert tree_snapshot(store_dir) == before


async def test_read_chunks_returns_one_array_per_coordinate_in_order(
    api: Any, store: zb.Store
) -> None:
    arr = await make(api, store)
    data = np.arange(70, dtype=np.int32).reshape(SHAPE)
    await api.write_region(arr, ..., data)
    coords = [(2, 2), (0, 0), (1, 1), (0, 0)]
    got = await api.read_chunks(arr, coords)
    assert isinstance(got, list) and len(got) == 4, f"read_chunks returned {type(got)} {len(got)}"
    padded = full(shape=(12, 9))
    padded[:10, :7] = data
    for c, chunk in zip(coords, got, strict=True):
        exp = padded[c[0] * 4 : c[0] * 4 + 4, c[1] * 3 : c[1] * 3 + 3]
        assert_same(chunk, exp, f"read_chunks item {c}")


async def test_write_chunks_writes_every_chunk_of_the_grid_in_one_call(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    arr = await make(api, file_store)
    coords = list(itertools.product(range(3), range(3)))
    blocks = [np.full(CHUNKS, 10 * i + j, dtype=np.int32) for i, j in coords]
    await api.write_chunks(arr, coords, blocks)
    expected = full()
    for (i, j), b in zip(coords, blocks, strict=True):
        expected[i * 4 : i * 4 + 4, j * 3 : j * 3 + 3] = b[
            : min(4, 10 - i * 4), : min(3, 7 - j * 3)
        ]
    assert_same(await api.read_region(arr), expected, "read_region after write_chunks")
    assert_same(zp_read(store_dir), expected, "zarr-python after write_chunks")


async def test_write_chunks_accepts_scalars_and_lists(api: Any, store: zb.Store) -> None:
    arr = await make(api, store)
    await api.write_chunks(arr, [(0, 0), (0, 1)], [7, [[1, 2, 3]] * 4])
    got = await api.read_chunks(arr, [(0, 0), (0, 1)])
    assert_same(got[0], full(7, CHUNKS), "scalar in write_chunks")
    assert_same(got[1], np.tile(np.int32([1, 2, 3]), (4, 1)), "nested list in write_chunks")


async def test_read_chunks_and_write_chunks_accept_empty_lists(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    arr = await make(api, file_store)
    before = tree_snapshot(store_dir)
    assert await api.read_chunks(arr, []) == []
    await api.write_chunks(arr, [], [])
    assert tree_snapshot(store_dir) == before


async def test_write_chunks_with_mismatched_lengths_raises_and_writes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    arr = await make(api, file_store)
    before = tree_snapshot(store_dir)
    with pytest.raises(ValueError):
        await api.write_chunks(arr, [(0, 0), (0, 1)], [full(1, CHUNKS)])
    assert tree_snapshot(store_dir) == before, "a rejected write_chunks changed the store"


BAD_COORDS = [
    pytest.param((3, 0), id="row-past-grid"),
    pytest.param((0, 3), id="col-past-grid"),
    pytest.param((-1, 0), id="negative"),
    pytest.param((0,), id="too-few"),
    pytest.param((0, 0, 0), id="too-many"),
]


@pytest.mark.parametrize("coords", BAD_COORDS)
@pytest.mark.parametrize(
    "op", ["read_chunk", "write_chunk", "delete_chunk", "read_chunks", "write_chunks"]
)
async def test_chunk_coords_outside_the_grid_raise_chunk_index_error_and_write_nothing(
    api: Any,
    file_store: zb.Store,
    store_dir: Path,
    tree_snapshot: Any,
    op: str,
    coords: tuple,
) -> None:
    arr = await make(api, file_store)
    await api.write_chunk(arr, (0, 0), 1)
    before = tree_snapshot(store_dir)
    block = full(2, CHUNKS)
    call = {
        "read_chunk": lambda: api.read_chunk(arr, coords),
        "write_chunk": lambda: api.write_chunk(arr, coords, block),
        "delete_chunk": lambda: api.delete_chunk(arr, coords),
        # a valid coordinate first: a batch is rejected as a whole
        "read_chunks": lambda: api.read_chunks(arr, [(1, 1), coords]),
        "write_chunks": lambda: api.write_chunks(arr, [(1, 1), coords], [block, block]),
    }[op]
    with pytest.raises(ChunkIndexError) as info:
        await call()
    assert isinstance(info.value, IndexError)
    assert tree_snapshot(store_dir) == before, f"{op}({coords}) was rejected but changed the store"


# --------------------------------------------------------------------------------------------
# out=
# --------------------------------------------------------------------------------------------


async def test_out_is_filled_and_returned(api: Any, store: zb.Store) -> None:
    arr = await make(api, store)
    data = np.arange(70, dtype=np.int32).reshape(SHAPE)
    await api.write_region(arr, ..., data)

    out = np.zeros(CHUNKS, dtype=np.int32)
    got = await api.read_chunk(arr, (1, 0), out=out)
    assert got is out, "read_chunk(out=...) should return the array it was given"
    assert_same(out, data[4:8, 0:3], "read_chunk into out")

    out = np.zeros((3, 7), dtype=np.int32)
    got = await api.read_region(arr, slice(2, 8, 2), out=out)
    assert got is out, "read_region(out=...) should return the array it was given"
    assert_same(out, data[2:8:2], "read_region into out")


async def test_zero_dimensional_out_is_filled_and_returned(api: Any, store: zb.Store) -> None:
    arr = await make(api, store)
    data = np.arange(70, dtype=np.int32).reshape(SHAPE)
    await api.write_region(arr, ..., data)
    out = np.zeros((), dtype=np.int32)
    got = await api.read_region(arr, (3, 4), out=out)
    assert got is out, "read_region(out=...) should return the array it was given"
    assert int(out) == data[3, 4], f"0-d out holds {out!r}, expected {data[3, 4]}"


def bad_outs(shape: tuple[int, ...]) -> list[Any]:
    big = np.zeros((shape[0] * 2, shape[1]), dtype=np.int32)
    ro = np.zeros(shape, dtype=np.int32)
    ro.flags.writeable = False
    return [
        pytest.param(np.zeros(shape, dtype=np.int64), id="wrong-dtype"),
        pytest.param(np.zeros(shape, dtype=">i4"), id="byteswapped-dtype"),
        pytest.param(np.zeros((shape[0], shape[1] + 1), dtype=np.int32), id="wrong-shape"),
        pytest.param(np.zeros(shape[0] * shape[1], dtype=np.int32), id="flat"),
        pytest.param(np.zeros(shape, dtype=np.int32, order="F"), id="fortran-order"),
        pytest.param(big[::2], id="strided-view"),
        pytest.param(ro, id="read-only"),
    ]


@pytest.mark.parametrize("out", bad_outs(CHUNKS))
async def test_read_chunk_with_unusable_out_raises_invalid_data(
    api: Any, store: zb.Store, out: np.ndarray
) -> None:
    arr = await make(api, store)
    with pytest.raises(InvalidDataError):
        await api.read_chunk(arr, (0, 0), out=out)


@pytest.mark.parametrize("out", bad_outs((4, 3)))
async def test_read_region_with_unusable_out_raises_invalid_data(
    api: Any, store: zb.Store, out: np.ndarray
) -> None:
    arr = await make(api, store)
    with pytest.raises(InvalidDataError):
        await api.read_region(arr, (slice(0, 4), slice(1, 4)), out=out)


# --------------------------------------------------------------------------------------------
# what can be written
# --------------------------------------------------------------------------------------------

SOURCE = np.arange(28, dtype=np.int32).reshape(4, 7) * 3 - 20


def _strided() -> np.ndarray:
    big = np.zeros((8, 14), dtype=np.int32)
    big[::2, ::-2] = SOURCE
    return big[::2, ::-2]


INPUTS = [
    pytest.param(lambda: SOURCE.copy(), SOURCE, id="c-contiguous"),
    pytest.param(lambda: np.asfortranarray(SOURCE), SOURCE, id="fortran-order"),
    pytest.param(_strided, SOURCE, id="strided-reversed-view"),
    pytest.param(lambda: SOURCE.astype(">i4"), SOURCE, id="big-endian"),
    pytest.param(lambda: SOURCE.astype(np.int8), SOURCE, id="narrower-int"),
    pytest.param(lambda: SOURCE.astype(np.int64), SOURCE, id="wider-int-in-range"),
    pytest.param(lambda: SOURCE.tolist(), SOURCE, id="nested-list"),
    pytest.param(lambda: 42, np.full((4, 7), 42), id="python-scalar"),
    pytest.param(lambda: np.int16(-7), np.full((4, 7), -7), id="numpy-scalar"),
    pytest.param(lambda: np.array(9), np.full((4, 7), 9), id="0-d-array"),
    pytest.param(lambda: np.arange(7), np.tile(np.arange(7), (4, 1)), id="broadcast-row"),
    pytest.param(
        lambda: np.arange(4).reshape(4, 1),
        np.repeat(np.arange(4), 7).reshape(4, 7),
        id="broadcast-column",
    ),
    pytest.param(
        lambda: np.ones((2, 4, 7), dtype=np.uint8)[1], np.ones((4, 7)), id="uint8-offset-view"
    ),
]


@pytest.mark.parametrize(("make_data", "expected_part"), INPUTS)
async def test_write_region_accepts_any_layout_order_and_broadcastable_input(
    api: Any, file_store: zb.Store, store_dir: Path, make_data: Any, expected_part: Any
) -> None:
    arr = await make(api, file_store)
    await api.write_region(arr, (slice(3, 7), slice(None)), make_data())
    expected = full()
    expected[3:7] = expected_part
    assert_same(await api.read_region(arr), expected, "read_region after the write")
    assert_same(zp_read(store_dir), expected, "zarr-python after the write")


@pytest.mark.parametrize(
    ("dtype", "data"),
    [
        pytest.param("float32", np.arange(4, dtype=np.int16), id="int-to-float"),
        pytest.param("float64", np.float32([0.5, -1.25, np.inf, np.nan]), id="float32-to-float64"),
        pytest.param("float16", np.float64([0.5, -1.25, 2.0, 65504.0]), id="float64-to-float16"),
        pytest.param("complex64", np.arange(4, dtype=np.uint8), id="uint-to-complex"),
        pytest.param("complex128", np.float32([1.5, 2.5, -3.5, 0.0]), id="float-to-complex"),
        pytest.param("complex64", np.complex128([1 + 1j, 2, 3j, -1]), id="complex128-to-64"),
        pytest.param("uint8", np.int64([0, 1, 254, 255]), id="int64-in-range-to-uint8"),
        pytest.param("int64", np.uint32([0, 1, 2**32 - 1, 7]), id="uint32-to-int64"),
        pytest.param("bool", [True, False, True, True], id="bool-list-to-bool"),
        pytest.param("float32", [1, 2, 3, 4], id="int-list-to-float"),
    ],
)
async def test_write_casts_within_the_allowed_kind_families_like_numpy(
    api: Any, store: zb.Store, dtype: str, data: Any
) -> None:
    fill = np.zeros((), dtype=dtype)[()]  # a fill value of the array's own type
    arr = await api.create_array(store, "c", shape=(4,), dtype=dtype, fill_value=fill)
    await api.write_region(arr, ..., data)
    expected = np.asarray(data).astype(dtype)
    got = await api.read_region(arr)
    assert got.dtype == np.dtype(dtype), f"read dtype {got.dtype}, expected {dtype}"
    assert_same(got, expected, f"{np.asarray(data).dtype} written into {dtype}")


async def rejected_write_leaves_store_unchanged(
    store_dir: Path, tree_snapshot: Any, exc: type, call: Any
) -> None:
    before = tree_snapshot(store_dir)
    with pytest.raises(exc):
        await call()
    after = tree_snapshot(store_dir)
    assert after == before, "the rejected write changed the store's files"


async def prepared(api: Any, file_store: zb.Store, dtype: str, fill: Any) -> Any:
    arr = await api.create_array(
        file_store, "a", shape=SHAPE, chunks=CHUNKS, dtype=dtype, fill_value=fill
    )
    await api.write_region(arr, (slice(0, 5), slice(0, 4)), fill)  # stores nothing
    await api.write_chunk(arr, (0, 0), np.ones(CHUNKS, dtype=dtype))  # one stored chunk
    return arr


@pytest.mark.parametrize(
    "data",
    [
        pytest.param(np.zeros(2, np.int32), id="row-of-wrong-length"),
        pytest.param(np.zeros((5, 3), np.int32), id="too-many-rows"),
        pytest.param(np.zeros((4, 3, 1), np.int32), id="extra-trailing-dim"),
        pytest.param(np.zeros((2, 4, 3), np.int32), id="extra-leading-dim"),
        pytest.param([[1, 2], [3]], id="ragged-list"),
    ],
)
@pytest.mark.parametrize("target", ["region", "chunk"])
async def test_write_of_wrong_shape_raises_invalid_data_and_writes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any, data: Any, target: str
) -> None:
    arr = await prepared(api, file_store, "int32", FILL)
    if target == "region":
        call = lambda: api.write_region(arr, (slice(4, 8), slice(3, 6)), data)  # noqa: E731
    else:
        call = lambda: api.write_chunk(arr, (1, 1), data)  # noqa: E731
    await rejected_write_leaves_store_unchanged(store_dir, tree_snapshot, InvalidDataError, call)


WRONG_KINDS = [
    pytest.param("bool", np.float64([[0.0, 1.0, 0.0]]), id="float-into-bool"),
    pytest.param("bool", np.int8([[0, 1, 0]]), id="int-into-bool"),
    pytest.param("int32", np.complex64([[1, 2, 3]]), id="complex-into-int"),
    pytest.param("int32", np.float64([[1.0, 2.0, 3.0]]), id="float-into-int"),
    pytest.param("int32", 1.5, id="python-float-into-int"),
    pytest.param("uint16", np.bool_([[True, False, True]]), id="bool-into-uint"),
    pytest.param("float32", np.complex128([[1, 2, 3]]), id="complex-into-float"),
    pytest.param("float32", 1j, id="python-complex-into-float"),
    pytest.param("int32", ["1", "2", "3"], id="strings-into-int"),
    pytest.param("float64", "nan", id="string-scalar-into-float"),
    pytest.param("complex64", [b"ab", b"cd", b"ef"], id="bytes-into-complex"),
    pytest.param("int32", np.array([[1, 2, 3]], dtype=object), id="object-array-into-int"),
    pytest.param("int64", np.array(["2020-01-01"] * 3, dtype="M8[D]"), id="datetime-into-int"),
]


@pytest.mark.parametrize(("dtype", "data"), WRONG_KINDS)
@pytest.mark.parametrize("target", ["region", "chunk"])
async def test_write_of_wrong_dtype_kind_raises_invalid_data_and_writes_nothing(
    api: Any,
    file_store: zb.Store,
    store_dir: Path,
    tree_snapshot: Any,
    dtype: str,
    data: Any,
    target: str,
) -> None:
    fill = np.zeros((), dtype=dtype)[()]
    arr = await prepared(api, file_store, dtype, fill)
    if target == "region":
        call = lambda: api.write_region(arr, (slice(4, 8), slice(3, 6)), data)  # noqa: E731
    else:
        call = lambda: api.write_chunk(arr, (1, 1), data)  # noqa: E731
    await rejected_write_leaves_store_unchanged(store_dir, tree_snapshot, InvalidDataError, call)


OVERFLOWS = [
    pytest.param("uint8", 300, id="python-300-into-uint8"),
    pytest.param("uint8", -1, id="python-minus-1-into-uint8"),
    pytest.param("int8", np.int16([[1, 200, 3]]), id="int16-200-into-int8"),
    pytest.param("int32", 2**40, id="python-2**40-into-int32"),
    pytest.param("uint64", np.int64([[-1, 0, 1]]), id="negative-int64-into-uint64"),
    pytest.param("int64", np.uint64([[2**63, 0, 1]]), id="uint64-2**63-into-int64"),
    pytest.param("int64", 2**70, id="python-2**70-into-int64"),
]


@pytest.mark.parametrize(("dtype", "data"), OVERFLOWS)
async def test_write_of_out_of_range_integers_raises_invalid_data_and_writes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any, dtype: str, data: Any
) -> None:
    arr = await prepared(api, file_store, dtype, 0)
    await rejected_write_leaves_store_unchanged(
        store_dir,
        tree_snapshot,
        InvalidDataError,
        lambda: api.write_region(arr, (slice(4, 8), slice(3, 6)), data),
    )


# --------------------------------------------------------------------------------------------
# selections
# --------------------------------------------------------------------------------------------

INVALID_SELECTIONS = [
    pytest.param(10, id="row-10"),
    pytest.param(-11, id="row-minus-11"),
    pytest.param((0, 7), id="col-7"),
    pytest.param((0, -8), id="col-minus-8"),
    pytest.param((0, 0, 0), id="too-many-indices"),
    pytest.param((..., ...), id="two-ellipses"),
    pytest.param((slice(None, None, 0),), id="zero-step"),
]


@pytest.mark.parametrize("selection", INVALID_SELECTIONS)
async def test_read_region_with_invalid_selection_raises_selection_error(
    api: Any, store: zb.Store, selection: Any
) -> None:
    arr = await make(api, store)
    with pytest.raises(SelectionError) as info:
        await api.read_region(arr, selection)
    assert isinstance(info.value, IndexError)


@pytest.mark.parametrize("selection", INVALID_SELECTIONS)
async def test_write_region_with_invalid_selection_raises_and_writes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any, selection: Any
) -> None:
    arr = await prepared(api, file_store, "int32", FILL)
    await rejected_write_leaves_store_unchanged(
        store_dir,
        tree_snapshot,
        SelectionError,
        lambda: api.write_region(arr, selection, 5),
    )


@pytest.mark.parametrize(
    "selection",
    [
        pytest.param(([0, 1],), id="list"),
        pytest.param((np.array([0, 2]),), id="int-array"),
        pytest.param(np.ones(SHAPE, dtype=bool), id="bool-mask"),
        pytest.param((None, 0), id="newaxis"),
    ],
)
async def test_fancy_indexing_raises_selection_or_unsupported_error(
    api: Any, store: zb.Store, selection: Any
) -> None:
    arr = await make(api, store)
    with pytest.raises((SelectionError, UnsupportedError)) as info:
        await api.read_region(arr, selection)
    assert isinstance(info.value, ZarrBridgeError), f"raised {info.value!r}"


@pytest.mark.parametrize(
    "selection",
    [pytest.param(("a",), id="string"), pytest.param((1.5,), id="float")],
)
async def test_non_index_selection_items_raise_selection_or_type_error(
    api: Any, store: zb.Store, selection: Any
) -> None:
    arr = await make(api, store)
    with pytest.raises((SelectionError, TypeError)):
        await api.read_region(arr, selection)


READ_SELECTIONS = [
    pytest.param((), id="empty-tuple"),
    pytest.param(..., id="ellipsis"),
    pytest.param(2, id="int-drops-dim"),
    pytest.param((2, 3), id="two-ints-0d"),
    pytest.param((-1, -1), id="negative-ints"),
    pytest.param((..., 1), id="ellipsis-then-int"),
    pytest.param((slice(None, None, -1), slice(None, None, -1)), id="both-reversed"),
    pytest.param((slice(8, 1, -3), slice(1, None, 4)), id="mixed-steps"),
    pytest.param((slice(3, 3),), id="zero-size-rows"),
    pytest.param((slice(5, 2), 1), id="empty-slice-and-int"),
    pytest.param((slice(-100, 100), slice(-3, None)), id="clipped-slices"),
]


@pytest.mark.parametrize("selection", READ_SELECTIONS)
async def test_read_region_selections_match_numpy(
    api: Any, store: zb.Store, selection: Any
) -> None:
    arr = await make(api, store)
    data = np.arange(70, dtype=np.int32).reshape(SHAPE)
    await api.write_region(arr, ..., data)
    got = await api.read_region(arr, selection)
    assert isinstance(got, np.ndarray), f"read_region returned {type(got)}"
    assert_same(got, data[selection], f"read_region({selection!r})")


@pytest.mark.parametrize("selection", READ_SELECTIONS)
async def test_write_region_selections_match_numpy(
    api: Any, store: zb.Store, selection: Any
) -> None:
    arr = await make(api, store)
    expected = full()
    value = np.arange(np.asarray(expected[selection]).size, dtype=np.int32) + 100
    value = value.reshape(np.shape(expected[selection]))
    await api.write_region(arr, selection, value)
    expected[selection] = value
    assert_same(await api.read_region(arr), expected, f"after write_region({selection!r})")


async def test_partial_chunk_writes_keep_the_rest_of_the_chunk(api: Any, store: zb.Store) -> None:
    arr = await make(api, store)
    await api.write_chunk(arr, (0, 0), 5)
    await api.write_region(arr, (slice(1, 3), 1), [8, 9])
    expected = full(5, CHUNKS)
    expected[1:3, 1] = [8, 9]
    assert_same(await api.read_chunk(arr, (0, 0)), expected, "chunk (0, 0) after partial write")
    await api.write_region(arr, (5, slice(4, 6)), 7)  # into the never-written chunk (1, 1)
    expected = full(shape=CHUNKS)
    expected[1, 1:3] = 7
    assert_same(await api.read_chunk(arr, (1, 1)), expected, "never-written chunk, partly set")


async def test_region_write_partial_edge_chunk_keeps_rest(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    arr = await make(api, file_store)
    await api.write_region(arr, (slice(8, 10), slice(3, 7)), 4)
    await api.write_region(arr, (9, slice(5, 7)), [1, 2])
    expected = full()
    expected[8:10, 3:7] = 4
    expected[9, 5:7] = [1, 2]
    assert_same(await api.read_region(arr), expected, "edge chunks after two partial writes")
    assert_same(zp_read(store_dir), expected, "zarr-python after partial edge writes")


# --------------------------------------------------------------------------------------------
# shapes: 0-d, zero-size
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("zarr_format", [2, 3], ids=["v2", "v3"])
async def test_zero_dimensional_array_round_trips(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    arr = await api.create_array(
        file_store, "s", shape=(), dtype="float64", fill_value=1.5, zarr_format=zarr_format
    )
    assert (arr.shape, arr.ndim, arr.size, arr.grid_shape) == ((), 0, 1, ()), (
        f"0-d handle: shape={arr.shape} ndim={arr.ndim} size={arr.size} grid={arr.grid_shape}"
    )
    got = await api.read_region(arr)
    assert got.shape == () and got[()] == 1.5, f"unwritten 0-d read: {got!r}"
    await api.write_region(arr, (), 2.5)
    assert (await api.read_region(arr, ...))[()] == 2.5
    assert (await api.read_chunk(arr, ()))[()] == 2.5
    await api.write_chunk(arr, (), np.float64(3.5))
    za = zarr.open_array(store=LocalStore(str(store_dir)), path="s", mode="r")
    assert za[()] == 3.5, f"zarr-python reads {za[()]!r}, expected 3.5"


async def test_zero_size_selection_reads_empty_and_writes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    arr = await make(api, file_store)
    got = await api.read_region(arr, (slice(3, 3), slice(None)))
    assert got.shape == (0, 7) and got.dtype == np.int32, f"zero-size read: {got.shape}"
    before = tree_snapshot(store_dir)
    await api.write_region(arr, (slice(3, 3), slice(None)), np.zeros((0, 7), np.int32))
    await api.write_region(arr, (slice(None), slice(7, None)), 5)
    assert tree_snapshot(store_dir) == before, "a zero-size write changed the store"


async def test_array_with_a_zero_length_dimension(api: Any, store: zb.Store) -> None:
    arr = await api.create_array(store, "z", shape=(0, 5), chunks=(2, 2), dtype="uint8")
    assert arr.grid_shape == (0, 3), f"grid_shape {arr.grid_shape}, expected (0, 3)"
    got = await api.read_region(arr)
    assert got.shape == (0, 5), f"read of a (0, 5) array has shape {got.shape}"
    await api.write_region(arr, ..., np.zeros((0, 5), np.uint8))


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("dtype", "zarr_format"),
    [(">u2", 3), (">i4", 2), ("<f8", 3), (">c16", 2)],
    ids=["v3-big-endian-u2", "v2-big-endian-i4", "v3-little-f8", "v2-big-endian-c16"],
)
async def test_results_are_writable_native_order_arrays_independent_of_the_store(
    api: Any, store: zb.Store, dtype: str, zarr_format: int
) -> None:
    arr = await api.create_array(
        store,
        "r",
        shape=(4, 3),
        chunks=(2, 3),
        dtype=dtype,
        fill_value=np.zeros((), dtype=dtype)[()],
        zarr_format=zarr_format,
    )
    data = np.arange(12).reshape(4, 3).astype(dtype)
    await api.write_region(arr, ..., data)
    assert arr.dtype.isnative, f"handle dtype {arr.dtype} is not in native byte order"
    for what, result in (
        ("read_region", await api.read_region(arr)),
        ("read_chunk", await api.read_chunk(arr, (1, 0))),
        ("read_chunks", (await api.read_chunks(arr, [(0, 0)]))[0]),
    ):
        assert isinstance(result, np.ndarray), f"{what} returned {type(result)}"
        assert result.dtype.isnative, f"{what} returned byte order {result.dtype.byteorder!r}"
        assert result.dtype == native_of(dtype), f"{what} dtype {result.dtype}"
        assert result.flags.writeable, f"{what} returned a read-only array"
        assert result.flags.c_contiguous, f"{what} returned a non C-contiguous array"
        result[...] = 7
    assert_same(await api.read_region(arr), data, "stored data after mutating the results")


def native_of(dtype: str) -> np.dtype:
    return np.dtype(dtype).newbyteorder("=")


# --------------------------------------------------------------------------------------------
# blocking conveniences
# --------------------------------------------------------------------------------------------


def test_getitem_setitem_and_asarray_match_numpy(store: zb.Store) -> None:
    arr = zbs.create_array(store, "a", shape=SHAPE, chunks=CHUNKS, dtype="int32", fill_value=FILL)
    expected = full()
    arr[2:9:3, ::-2] = 6
    expected[2:9:3, ::-2] = 6
    arr[-1] = np.arange(7)
    expected[-1] = np.arange(7)
    assert_same(arr[...], expected, "arr[...]")
    assert_same(arr[1:, 3], expected[1:, 3], "arr[1:, 3]")
    assert_same(np.asarray(arr), expected, "np.asarray(arr)")
    assert np.asarray(arr).dtype == np.int32
