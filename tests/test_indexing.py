"""Orthogonal and vectorized selections: numpy's semantics on every store kind and both APIs
(negative, repeated and unsorted positions, masks, broadcasting of written values, the last of
repeated values winning), only the chunks touched read and each once (a store written in Python
logs what it is asked for), only the inner chunks touched of a shard, clear errors that change
nothing, and the handle forms ``a.oindex`` / ``a.vindex`` (blocking and async)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from conftest import Api
from test_indexing_properties import read_reference, write_reference
from test_shard_reads import LoggedStore
from zarrbridge import sync as zbs
from zarrbridge.errors import InvalidDataError, SelectionError, UnsupportedError
from zarrbridge.store import python_store

REFERENCE = np.arange(20 * 30, dtype="int32").reshape(20, 30)

ORTHOGONAL = [
    ([3, -1, 3, 0], slice(None)),
    (np.array([19, 2, 2]), [True] * 15 + [False] * 15),
    (slice(None, None, -7), np.array([29, 0, -30], dtype=np.int8)),
    (4, [5, 1]),
    ([], slice(2, 5)),
    (..., [0, 29]),
    (np.uint64(3), slice(None)),
]

VECTORIZED = [
    ([3, -1, 3, 0], [0, 29, 29, 5]),
    (np.array([[1], [2]]), np.array([4, 5, 6])),  # broadcast to (2, 3)
    (7, [1, 2, 3]),
    (np.array([], dtype=int), np.array([], dtype=int)),
]


SPEC: dict[str, Any] = {"shape": (20, 30), "dtype": "int32", "chunks": (6, 7), "fill_value": -1}


def array_on(store: zb.Store, **kw: Any) -> zb.Array:
    return zbs.create_array(store, "a", **SPEC, **kw)


@pytest.mark.anyio
@pytest.mark.parametrize("selection", ORTHOGONAL, ids=repr)
async def test_orthogonal_reads_and_writes_follow_numpy(
    api: Api, store: zb.Store, selection: Any
) -> None:
    arr = await api.create_array(store, "a", **SPEC)
    await api.write_region(arr, ..., REFERENCE)
    expected = read_reference(REFERENCE, selection)
    got = await api.read_orthogonal(arr, selection)
    np.testing.assert_array_equal(got, expected)
    assert got.dtype == np.int32 and got.shape == expected.shape
    # A position selected twice gets the last of its values.
    values = np.arange(expected.size, dtype="int32").reshape(expected.shape) + 1000
    await api.write_orthogonal(arr, selection, values)
    reference = REFERENCE.copy()
    write_reference(reference, selection, values)
    np.testing.assert_array_equal(await api.read_region(arr), reference)


@pytest.mark.anyio
@pytest.mark.parametrize("selection", VECTORIZED, ids=repr)
async def test_vectorized_reads_and_writes_follow_numpy(
    api: Api, store: zb.Store, selection: Any
) -> None:
    arr = await api.create_array(store, "a", **SPEC)
    await api.write_region(arr, ..., REFERENCE)
    expected = REFERENCE[selection]
    got = await api.read_vectorized(arr, selection)
    np.testing.assert_array_equal(got, expected)
    assert got.shape == expected.shape
    values = (np.arange(expected.size, dtype="int32") + 1000).reshape(expected.shape)
    await api.write_vectorized(arr, selection, values)
    reference = REFERENCE.copy()
    reference[selection] = values
    np.testing.assert_array_equal(await api.read_region(arr), reference)


def test_a_mask_of_the_arrays_shape_selects_in_c_order(memory_store: zb.Store) -> None:
    arr = array_on(memory_store)
    arr[:] = REFERENCE
    mask = REFERENCE % 7 == 3
    np.testing.assert_array_equal(arr.vindex[mask], REFERENCE[mask])
    arr.vindex[mask] = 0
    reference = REFERENCE.copy()
    reference[mask] = 0
    np.testing.assert_array_equal(arr[:], reference)


def test_repeated_positions_take_the_last_value_written(memory_store: zb.Store) -> None:
    arr = array_on(memory_store)
    arr.vindex[[5, 5, 5], [6, 6, 6]] = [1, 2, 3]
    arr.oindex[[0, 0], [1, 8]] = [[10, 11], [20, 21]]
    assert arr[5, 6] == 3
    np.testing.assert_array_equal(arr.oindex[0, [1, 8]], [20, 21])


def test_values_broadcast_to_the_selection(memory_store: zb.Store) -> None:
    arr = array_on(memory_store)
    arr.oindex[[1, 3], :] = np.arange(30)  # one row to two
    arr.vindex[np.array([[0], [19]]), np.array([0, 29])] = np.array([[7], [8]])
    reference = np.full((20, 30), -1, dtype="int32")
    reference[[1, 3], :] = np.arange(30)
    reference[np.array([[0], [19]]), np.array([0, 29])] = np.array([[7], [8]])
    np.testing.assert_array_equal(arr[:], reference)


def gets_by_key(log: list[tuple[str, str, Any]]) -> Counter[str]:
    return Counter(key for method, key, _ in log if method.startswith("get") and "/c" in key)


def test_only_the_chunks_touched_are_read_each_once() -> None:
    logged = LoggedStore()
    arr = array_on(python_store(logged), compressors=None)
    arr[:] = REFERENCE
    logged.log.clear()
    # Points in chunks (0, 0) (three of them) and (3, 4): two chunks, each read once.
    got = arr.vindex[[0, 5, 1, 19], [0, 6, 3, 29]]
    np.testing.assert_array_equal(got, REFERENCE[[0, 5, 1, 19], [0, 6, 3, 29]])
    assert gets_by_key(logged.log) == Counter({"a/c/0/0": 1, "a/c/3/4": 1})
    logged.log.clear()
    # Rows 0 and 13, columns 0 and 29: chunk rows 0 and 2, chunk columns 0 and 4.
    arr.oindex[[13, 0], [29, 0]]
    expected = {f"a/c/{r}/{c}": 1 for r in (0, 2) for c in (0, 4)}
    assert gets_by_key(logged.log) == Counter(expected)
    logged.log.clear()
    # A stepped slice reads the chunks holding its elements, not its bounding box.
    np.testing.assert_array_equal(arr[::18, ::28], REFERENCE[::18, ::28])
    expected = {f"a/c/{r}/{c}": 1 for r in (0, 3) for c in (0, 4)}
    assert gets_by_key(logged.log) == Counter(expected)


def test_only_the_inner_chunks_touched_of_a_shard_are_read() -> None:
    logged = LoggedStore()
    arr = zbs.create_array(
        python_store(logged),
        "s",
        shape=(64, 64),
        dtype="uint16",
        chunks=(8, 8),
        shards=(32, 32),
        compressors=None,
    )
    reference = np.arange(64 * 64, dtype="uint16").reshape(64, 64)
    arr[:] = reference
    logged.log.clear()
    points = ([1, 2, 30], [1, 3, 30])  # inner chunks (0, 0) twice and (3, 3): shard (0, 0)
    np.testing.assert_array_equal(arr.vindex[points], reference[points])
    reads = [(m, k, what) for m, k, what in logged.log if k == "s/c/0/0"]
    # The index (a suffix get), then the two inner chunks in one get_ranges call.
    assert [m for m, _, _ in reads] == ["get", "get_ranges"]
    assert len(reads[1][2]) == 2


@pytest.mark.anyio
async def test_handle_forms_block_or_await(anyio_backend: str, memory_store: zb.Store) -> None:
    arr = array_on(memory_store)
    await arr.oindex.setitem(([2, 4], slice(None)), 5)
    await arr.vindex.setitem(([0, 19], [0, 29]), [8, 9])
    np.testing.assert_array_equal(await arr.oindex.getitem(([4, 2], 0)), [5, 5])
    np.testing.assert_array_equal(await arr.vindex.getitem(([19, 0], [29, 0])), [9, 8])
    np.testing.assert_array_equal(await arr.read_orthogonal(([0],)), arr.oindex[[0]])
    np.testing.assert_array_equal(
        await arr.read_vectorized(([0, 19], [0, 29])), arr.vindex[[0, 19], [0, 29]]
    )


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda a: a.oindex[[20]], SelectionError),
        (lambda a: a.oindex[[-21]], SelectionError),
        (lambda a: a.oindex[[True] * 19], SelectionError),
        (lambda a: a.oindex[[1.5]], SelectionError),
        (lambda a: a.oindex[np.zeros((2, 2), dtype=int)], SelectionError),
        (lambda a: a.oindex[0, 0, 0], SelectionError),
        (lambda a: a.oindex[np.array([2**63], dtype=np.uint64)], SelectionError),
        (lambda a: a.vindex[[0, 1]], SelectionError),  # one array for two dimensions
        (lambda a: a.vindex[[0, 1], [0, 1, 2]], SelectionError),  # do not broadcast
        (lambda a: a.vindex[[0], [30]], SelectionError),
        (lambda a: a.vindex[:, [0]], UnsupportedError),
        (lambda a: a.vindex[np.ones((20, 29), dtype=bool)], SelectionError),
        (lambda a: a.vindex[[True, False], [0, 1]], UnsupportedError),
    ],
)
def test_bad_selections_are_typed_errors(
    memory_store: zb.Store, call: Any, error: type[Exception]
) -> None:
    arr = array_on(memory_store)
    with pytest.raises(error):
        call(arr)


def test_rejected_writes_change_nothing(file_store: zb.Store, tree_snapshot: Any) -> None:
    arr = array_on(file_store)
    arr[:] = REFERENCE
    root = Path(file_store.declaration["root"])
    before = tree_snapshot(root)
    with pytest.raises(InvalidDataError):
        arr.oindex[[1, 2], :] = np.zeros((3, 30))  # does not broadcast
    with pytest.raises(InvalidDataError):
        arr.vindex[[1, 2], [3, 4]] = [1.5, 2.5]  # float to int
    with pytest.raises(SelectionError):
        arr.vindex[[1, 20], [3, 4]] = 0  # out of bounds
    assert tree_snapshot(root) == before


def test_a_selection_made_for_one_shape_is_refused_by_another(memory_store: zb.Store) -> None:
    from zarrbridge import _native

    small = zbs.create_array(memory_store, "small", shape=(4,), dtype="u1")
    big = zbs.create_array(memory_store, "big", shape=(8,), dtype="u1")
    sel = _native.orthogonal_selection(small._native, ((np.arange(2, dtype=np.int64)),))
    with pytest.raises(SelectionError, match="shape"):
        _native.read_selection(big._native, sel)
