"""The array verbs of issue 13 on variable-length arrays (``string``, ``bytes``): stepped
regions, inner chunks, resize and append read back as numpy and zarr-python say; copies without
changes are byte for byte; encoded chunks are checked with the array's own codecs. Orthogonal
and vectorized selections, and copies that re-encode, raise ``UnsupportedError`` naming the data
type (they copy fixed-size elements), and change nothing in the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarr.storage import LocalStore
from zarrbridge import sync as zbs
from zarrbridge.errors import ChunkIndexError, CodecError, UnsupportedError

WORDS = np.array(
    [["", "a", "bb", "ccc", "dddd", "é", "日本"], ["x" * 40, "y", "", "zz", "w", "v", "u"]] * 3,
    dtype=object,
)  # (6, 7): empty and multi-byte values


def values(kind: str) -> np.ndarray[Any, Any]:
    if kind == "string":
        return WORDS.copy()
    return np.vectorize(lambda s: s.encode(), otypes=[object])(WORDS)


def create(store: zb.Store, kind: str, path: str = "a", **kw: Any) -> zb.Array:
    dtype = str if kind == "string" else "bytes"
    spec: dict[str, Any] = {"shape": (6, 7), "chunks": (4, 3), **kw}
    return zbs.create_array(store, path, dtype=dtype, **spec)


def zarr_python(store_dir: Path, path: str) -> Any:
    return zarr.open_array(store=LocalStore(str(store_dir)), path=path, mode="r")


def as_objects(arr: np.ndarray[Any, Any], kind: str) -> list[Any]:
    out = arr.astype(object) if kind == "string" else arr
    return [str(v) if kind == "string" else bytes(v) for v in out.ravel()]


KINDS = ["string", "bytes"]
STEPPED = [
    (slice(None, None, 2), slice(None)),
    (slice(None, None, -1), slice(1, None, 3)),
    (slice(5, 0, -2), slice(None, None, -3)),
    (1, slice(None, None, 2)),
]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("selection", STEPPED, ids=repr)
def test_stepped_regions_read_and_write_as_numpy_does(
    store_dir: Path, file_store: zb.Store, kind: str, selection: Any
) -> None:
    data = values(kind)
    arr = create(file_store, kind)
    arr[...] = data
    got = zbs.read_region(arr, selection, vlen="object")
    assert as_objects(got, kind) == as_objects(data[selection], kind)
    new = np.full(data[selection].shape, "new" if kind == "string" else b"new", dtype=object)
    zbs.write_region(arr, selection, new)
    expected = data.copy()
    expected[selection] = new
    back = zarr_python(store_dir, "a")[...]
    assert as_objects(np.asarray(back, dtype=object), kind) == as_objects(expected, kind)


@pytest.mark.parametrize("kind", KINDS)
def test_orthogonal_and_vectorized_selections_refuse_variable_length_data(
    file_store: zb.Store, tree_snapshot: Any, kind: str
) -> None:
    arr = create(file_store, kind)
    arr[...] = values(kind)
    root = Path(file_store.declaration["root"])
    before = tree_snapshot(root)
    name = "string" if kind == "string" else "bytes"
    calls = [
        lambda: arr.oindex[[0, 2], :],
        lambda: arr.vindex[[0, 2], [1, 1]],
        lambda: zbs.read_orthogonal(arr, ([5, 0], slice(None))),
        lambda: zbs.read_vectorized(arr, ([5, 0], [0, 6])),
    ]
    for call in calls:
        with pytest.raises(UnsupportedError, match=name):
            call()
    with pytest.raises(UnsupportedError, match=name):
        arr.oindex[[0, 2], :] = values(kind)[[0, 2], :]
    with pytest.raises(UnsupportedError, match=name):
        zbs.write_vectorized(arr, ([1, 3], [2, 2]), values(kind)[0, :2])
    assert tree_snapshot(root) == before


@pytest.mark.parametrize("kind", KINDS)
def test_inner_chunks_of_sharded_variable_length_arrays(memory_store: zb.Store, kind: str) -> None:
    data = values(kind)
    arr = create(memory_store, kind, chunks=(2, 3), shards=(4, 6))
    arr[...] = data
    assert arr.inner_grid_shape == (3, 3)
    got = zbs.read_chunk(arr, (1, 2), inner=True, vlen="object")
    # Inner chunk (1, 2) holds rows 2..4, columns 6..9 (past the edge: the fill value).
    fill = "" if kind == "string" else b""
    expected = np.array([[data[2, 6], fill, fill], [data[3, 6], fill, fill]], dtype=object)
    assert as_objects(got, kind) == as_objects(expected, kind)
    new = np.array([["p", "q", "r"], ["s", "t", "u"]], dtype=object)
    if kind == "bytes":
        new = np.vectorize(lambda s: s.encode(), otypes=[object])(new)
    zbs.write_chunk(arr, (0, 1), new, inner=True)
    data[0:2, 3:6] = new
    assert as_objects(zbs.read_region(arr, vlen="object"), kind) == as_objects(data, kind)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("where", ["memory", "file"])
def test_resize_and_append_variable_length_arrays(tmp_path: Path, kind: str, where: str) -> None:
    url = f"memory://vlen-resize-{kind}" if where == "memory" else str(tmp_path)
    store = zb.Store.from_url(url)
    data = values(kind)
    arr = create(store, kind, path=f"r-{kind}")
    arr[...] = data
    grown = zbs.append(arr, data[:2], axis=0)
    assert grown.shape == (8, 7)
    wider = zbs.resize(grown, (8, 9))
    fill = "" if kind == "string" else b""
    expected = np.full((8, 9), fill, dtype=object)
    expected[:6, :7] = data
    expected[6:8, :7] = data[:2]
    assert as_objects(zbs.read_region(wider, vlen="object"), kind) == as_objects(expected, kind)
    if where == "file":
        back = zarr_python(tmp_path, f"r-{kind}")
        assert back.shape == (8, 9)
        assert as_objects(np.asarray(back[...], dtype=object), kind) == as_objects(expected, kind)
    smaller = zbs.resize(wider, (3, 2))
    assert as_objects(zbs.read_region(smaller, vlen="object"), kind) == as_objects(
        expected[:3, :2], kind
    )


@pytest.mark.parametrize("kind", KINDS)
def test_copies_keep_variable_length_chunks_and_refuse_to_re_encode_them(
    file_store: zb.Store, kind: str
) -> None:
    data = values(kind)
    arr = create(file_store, kind)
    arr[...] = data
    dest = zb.Store.from_url(f"memory://vlen-copy-{kind}")
    copied = zbs.copy(arr, dest, "c")
    assert isinstance(copied, zb.Array)
    assert as_objects(zbs.read_region(copied, vlen="object"), kind) == as_objects(data, kind)
    for coords in [(0, 0), (1, 2)]:
        assert bytes(zbs.read_encoded_chunk(copied, coords)) == bytes(
            zbs.read_encoded_chunk(arr, coords)
        )
    with pytest.raises(UnsupportedError, match="variable-length"):
        zbs.copy(arr, dest, "d", chunks=(2, 2))
    assert not [m for c in dest.list("d") for m in c]  # refused before writing anything


@pytest.mark.parametrize("kind", KINDS)
def test_encoded_chunks_of_variable_length_arrays_are_checked_with_their_codecs(
    file_store: zb.Store, tree_snapshot: Any, kind: str
) -> None:
    data = values(kind)
    arr = create(file_store, kind)
    arr[...] = data
    stored = zbs.read_encoded_chunk(arr, (0, 0))
    assert stored is not None
    root = Path(file_store.declaration["root"])
    before = tree_snapshot(root)
    with pytest.raises(CodecError):
        zbs.write_encoded_chunk(arr, (1, 1), b"\x00\x01 not a chunk")
    with pytest.raises(ChunkIndexError):
        zbs.write_encoded_chunk(arr, (9, 9), bytes(stored))
    assert tree_snapshot(root) == before
    zbs.write_encoded_chunk(arr, (1, 1), bytes(stored))
    expected = data.copy()
    expected[4:6, 3:6] = data[0:2, 0:3]  # chunk (1, 1) is cut by the edge at row 6
    assert as_objects(zbs.read_region(arr, vlen="object"), kind) == as_objects(expected, kind)
