"""resize and append: zarr-python reads the results identically (v2, v3, sharded); shrinking
deletes the chunks wholly outside the new shape; growing shows the fill value even where a
shrink left old values in an edge chunk; attributes another handle wrote are kept; bad input
changes nothing; and readers polling while another thread appends (zarrbridge and zarr-python)
never fail and always see a whole prefix of the data."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from conftest import Api
from zarrbridge import sync as zbs
from zarrbridge.errors import InvalidDataError

LAYOUTS: dict[str, dict[str, Any]] = {
    "v3": {"zarr_format": 3, "chunks": (4, 3)},
    "v3-sharded": {"zarr_format": 3, "chunks": (2, 3), "shards": (4, 6)},
    "v2": {"zarr_format": 2, "chunks": (4, 3)},
}


def stored_chunks(store_dir: Path, name: str) -> set[str]:
    root = store_dir / name
    return {
        str(p.relative_to(root))
        for p in root.rglob("*")
        if p.is_file() and p.name not in ("zarr.json", ".zarray", ".zattrs")
    }


@pytest.mark.anyio
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_resized_arrays_read_identically_in_zarr_python(
    api: Api, store_dir: Path, file_store: zb.Store, layout: str
) -> None:
    arr = await api.create_array(
        file_store, "a", shape=(10, 10), dtype="int16", fill_value=-1, **LAYOUTS[layout]
    )
    data = np.arange(100, dtype="int16").reshape(10, 10)
    await api.write_region(arr, ..., data)
    grown = await api.resize(arr, (13, 11))
    assert grown.shape == (13, 11) and arr.shape == (10, 10)
    expected = np.full((13, 11), -1, dtype="int16")
    expected[:10, :10] = data
    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="a", mode="r")
    np.testing.assert_array_equal(z[:], expected)
    np.testing.assert_array_equal(await api.read_region(grown), expected)
    shrunk = await api.resize(grown, (5, 4))
    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="a", mode="r")
    assert z.shape == (5, 4)
    np.testing.assert_array_equal(z[:], data[:5, :4])
    np.testing.assert_array_equal(await api.read_region(shrunk), data[:5, :4])
    # Chunks wholly outside are gone; those holding part of (5, 4) are kept.
    chunk = shrunk.chunk_shape
    kept = {(r, c) for r in range(-(-5 // chunk[0])) for c in range(-(-4 // chunk[1]))}
    sep = "." if layout == "v2" else "/"
    prefix = "" if layout == "v2" else "c/"
    assert stored_chunks(store_dir, "a") == {f"{prefix}{r}{sep}{c}" for r, c in kept}
    # Growing again shows the fill value where the old values were, in both libraries.
    regrown = await api.resize(shrunk, (10, 10))
    expected = np.full((10, 10), -1, dtype="int16")
    expected[:5, :4] = data[:5, :4]
    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="a", mode="r")
    np.testing.assert_array_equal(z[:], expected)
    np.testing.assert_array_equal(await api.read_region(regrown), expected)


@pytest.mark.anyio
@pytest.mark.parametrize("layout", LAYOUTS)
async def test_appended_arrays_read_identically_in_zarr_python(
    api: Api, store_dir: Path, file_store: zb.Store, layout: str
) -> None:
    arr = await api.create_array(
        file_store, "a", shape=(5, 7), dtype="float32", fill_value=0.5, **LAYOUTS[layout]
    )
    first = np.arange(35, dtype="float32").reshape(5, 7)
    await api.write_region(arr, ..., first)
    rows = np.full((6, 7), 9, dtype="float32")
    arr2 = await api.append(arr, rows)
    columns = -np.arange(11 * 2, dtype="float32").reshape(11, 2)
    arr3 = await api.append(arr2, columns, axis=-1)
    expected = np.concatenate([np.concatenate([first, rows]), columns], axis=1)
    assert arr3.shape == (11, 9)
    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="a", mode="r")
    np.testing.assert_array_equal(z[:], expected)
    np.testing.assert_array_equal(await api.read_region(arr3), expected)


def test_resizing_keeps_attributes_another_handle_wrote(memory_store: zb.Store) -> None:
    arr = zbs.create_array(memory_store, "a", shape=(4,), dtype="u1", write_empty_chunks=True)
    zbs.update_attributes(zbs.open_array(memory_store, "a"), {"units": "m"})
    resized = zbs.resize(arr, 8)
    assert resized.attrs == {"units": "m"} and resized.write_empty_chunks
    appended = zbs.append(resized, [1, 2])
    assert zbs.open_array(memory_store, "a").attrs == {"units": "m"}
    assert appended.shape == (10,) and appended.write_empty_chunks


def test_bad_shapes_and_data_change_nothing(file_store: zb.Store, tree_snapshot: Any) -> None:
    arr = zbs.create_array(file_store, "a", shape=(4, 4), dtype="int8", chunks=2)
    arr[:] = 1
    root = Path(file_store.declaration["root"])
    before = tree_snapshot(root)
    with pytest.raises(InvalidDataError):
        zbs.resize(arr, (4, 4, 4))
    with pytest.raises(InvalidDataError):
        zbs.append(arr, np.zeros((2, 3), dtype="int8"))  # 3 columns, not 4
    with pytest.raises(InvalidDataError):
        zbs.append(arr, np.zeros(4, dtype="int8"))  # 1-d
    with pytest.raises(InvalidDataError):
        zbs.append(arr, np.zeros((2, 4), dtype="int8"), axis=2)
    with pytest.raises(InvalidDataError):
        zbs.append(arr, np.full((2, 4), 1.5))  # float to int
    assert tree_snapshot(root) == before


@pytest.mark.slow
def test_readers_polling_during_appends_never_fail(store_dir: Path, file_store: zb.Store) -> None:
    width, steps, rows = 40, 30, 3
    arr = zbs.create_array(file_store, "t", shape=(0, width), dtype="int32", chunks=(4, 16))
    full = np.arange(steps * rows * width, dtype="int32").reshape(steps * rows, width)
    done = threading.Event()
    seen: dict[str, list[int]] = {"zarrbridge": [], "zarr-python": []}
    failures: list[BaseException] = []

    def check(name: str, shape: tuple[int, ...], data: np.ndarray) -> None:
        assert shape[0] % rows == 0, f"{name} saw {shape[0]} rows, not a whole append"
        np.testing.assert_array_equal(data, full[: shape[0]], err_msg=f"{name}: {shape}")
        seen[name].append(shape[0])

    def poll(name: str) -> None:
        try:
            while not done.is_set():
                if name == "zarrbridge":
                    a = zbs.open_array(file_store, "t")
                    check(name, a.shape, a[:])
                else:
                    z = zarr.open_array(zarr.storage.LocalStore(store_dir), path="t", mode="r")
                    check(name, z.shape, z[:])
        except BaseException as e:
            failures.append(e)

    readers = [threading.Thread(target=poll, args=(n,)) for n in seen]
    for r in readers:
        r.start()
    try:
        for step in range(steps):
            arr = zbs.append(arr, full[step * rows : (step + 1) * rows])
            time.sleep(0.002)
    finally:
        done.set()
        for r in readers:
            r.join(timeout=60)
    assert not failures, f"a reader failed: {failures[0]!r}"
    for name, shapes in seen.items():
        assert len(shapes) > 3, f"{name} polled only {len(shapes)} times"
        assert shapes == sorted(shapes), f"{name} saw the array shrink: {shapes}"
    np.testing.assert_array_equal(zbs.open_array(file_store, "t")[:], full)
