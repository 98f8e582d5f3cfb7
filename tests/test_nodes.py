"""Nodes: create / open / read_metadata / list_children / delete_node / update_attributes.

Every test body runs through the ``api`` fixture: once awaiting the async functions (under
asyncio and trio) and once calling ``zarrbridge.sync`` from a worker thread. zarr-python reads
the file store directly as the oracle for what is on disk.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarr.storage import LocalStore
from zarrbridge.errors import NodeExistsError, NodeNotFoundError

pytestmark = pytest.mark.anyio

FORMATS = pytest.mark.parametrize("zarr_format", [2, 3], ids=["v2", "v3"])


def zp_open(store_dir: Path, path: str) -> Any:
    return zarr.open(store=LocalStore(str(store_dir)), path=path, mode="r")


def files_under(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if p.is_file())


def v3_array_metadata(**overrides: Any) -> dict:
    meta = {
        "zarr_format": 3,
        "node_type": "array",
        "shape": [6, 5],
        "data_type": "int32",
        "chunk_grid": {"name": "regular", "configuration": {"chunk_shape": [4, 2]}},
        "chunk_key_encoding": {"name": "default", "configuration": {"separator": "/"}},
        "fill_value": -9,
        "codecs": [{"name": "bytes", "configuration": {"endian": "little"}}],
        "attributes": {"made": "by hand"},
        "dimension_names": ["y", "x"],
    }
    meta.update(overrides)
    return meta


def v2_array_metadata(**overrides: Any) -> dict:
    meta = {
        "zarr_format": 2,
        "shape": [6, 5],
        "chunks": [4, 2],
        "dtype": "<i4",
        "compressor": None,
        "fill_value": -9,
        "order": "C",
        "filters": None,
        "dimension_separator": ".",
    }
    meta.update(overrides)
    return meta


# --------------------------------------------------------------------------------------------
# create / open
# --------------------------------------------------------------------------------------------


@FORMATS
async def test_create_array_handle_reports_requested_properties(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    dims = {"dimension_names": ["y", "x"]} if zarr_format == 3 else {}
    arr = await api.create_array(
        store,
        "grp/arr",
        shape=(10, 7),
        chunks=(4, 3),
        dtype="int16",
        fill_value=-2,
        zarr_format=zarr_format,
        attributes={"k": "v", "n": [1, 2]},
        **dims,
    )
    assert isinstance(arr, zb.Array), f"create_array returned {type(arr)}"
    checks = {
        "store": (arr.store, store),
        "path": (arr.path, "grp/arr"),
        "name": (arr.name, "arr"),
        "shape": (arr.shape, (10, 7)),
        "dtype": (arr.dtype, np.dtype("int16")),
        "chunks": (arr.chunks, (4, 3)),
        "shards": (arr.shards, None),
        "chunk_shape": (arr.chunk_shape, (4, 3)),
        "grid_shape": (arr.grid_shape, (3, 3)),
        "fill_value": (arr.fill_value, -2),
        "attrs": (arr.attrs, {"k": "v", "n": [1, 2]}),
        "zarr_format": (arr.zarr_format, zarr_format),
        "ndim": (arr.ndim, 2),
        "size": (arr.size, 70),
        "nbytes": (arr.nbytes, 140),
        "dimension_names": (arr.dimension_names, ("y", "x") if zarr_format == 3 else None),
        "write_empty_chunks": (arr.write_empty_chunks, False),
    }
    wrong = {k: f"got {g!r}, expected {e!r}" for k, (g, e) in checks.items() if g != e}
    assert not wrong, f"handle attributes differ from what was requested: {wrong}"
    assert isinstance(arr.fill_value, np.generic) and arr.fill_value.dtype == np.int16, (
        f"fill_value should be a numpy int16 scalar, got {arr.fill_value!r}"
    )
    assert isinstance(arr.metadata, dict), f"metadata is {type(arr.metadata)}, expected dict"


async def test_sharded_array_reports_shard_as_stored_chunk_and_inner_chunks(
    api: Any, store: zb.Store
) -> None:
    arr = await api.create_array(
        store, "s", shape=(10, 7), chunks=(2, 3), shards=(4, 6), dtype="uint8"
    )
    got = (arr.chunks, arr.shards, arr.chunk_shape, arr.grid_shape)
    assert got == ((2, 3), (4, 6), (4, 6), (3, 2)), (
        f"(chunks, shards, chunk_shape, grid_shape) = {got}, expected "
        "((2, 3), (4, 6), (4, 6), (3, 2))"
    )


@FORMATS
async def test_create_array_without_chunks_makes_one_chunk_for_the_whole_array(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    arr = await api.create_array(store, "a", shape=(5, 3), dtype="float32", zarr_format=zarr_format)
    assert (arr.chunks, arr.grid_shape) == ((5, 3), (1, 1)), (
        f"chunks={arr.chunks}, grid_shape={arr.grid_shape}; expected (5, 3) and (1, 1)"
    )


@FORMATS
async def test_open_array_sees_what_create_array_wrote(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    created = await api.create_array(
        store,
        "a/b",
        shape=(9,),
        chunks=(4,),
        dtype="complex64",
        fill_value=1 + 2j,
        zarr_format=zarr_format,
        attributes={"x": 1},
    )
    opened = await api.open_array(store, "a/b")
    for attr in (
        "path",
        "shape",
        "dtype",
        "chunks",
        "chunk_shape",
        "attrs",
        "zarr_format",
        "metadata",
    ):
        assert getattr(opened, attr) == getattr(created, attr), (
            f"{attr}: opened handle has {getattr(opened, attr)!r}, created handle had "
            f"{getattr(created, attr)!r}"
        )
    assert opened.fill_value == np.complex64(1 + 2j), f"fill_value {opened.fill_value!r}"


@FORMATS
async def test_handle_metadata_equals_read_metadata(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    arr = await api.create_array(
        store, "a", shape=(3,), dtype="int8", zarr_format=zarr_format, attributes={"q": 2}
    )
    grp = await api.create_group(store, "g", zarr_format=zarr_format, attributes={"r": 3})
    assert arr.metadata == await api.read_metadata(store, "a")
    assert grp.metadata == await api.read_metadata(store, "g")
    assert (await api.read_metadata(store, "a"))["attributes"] == {"q": 2}
    assert (await api.read_metadata(store, "g"))["attributes"] == {"r": 3}


@FORMATS
async def test_open_group_returns_group_with_attributes(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    await api.create_group(store, "g", zarr_format=zarr_format, attributes={"title": "t"})
    g = await api.open_group(store, "g")
    assert isinstance(g, zb.Group), f"open_group returned {type(g)}"
    got = (g.path, g.name, g.attrs, g.zarr_format, g.store)
    assert got == ("g", "g", {"title": "t"}, zarr_format, store), f"group handle: {got}"


@FORMATS
async def test_open_node_returns_array_for_array_and_group_for_group(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    await api.create_group(store, "g", zarr_format=zarr_format)
    await api.create_array(store, "g/a", shape=(2,), dtype="uint8", zarr_format=zarr_format)
    g = await api.open_node(store, "g")
    a = await api.open_node(store, "g/a")
    assert isinstance(g, zb.Group) and not isinstance(g, zb.Array), f"open_node(g) -> {type(g)}"
    assert isinstance(a, zb.Array) and not isinstance(a, zb.Group), f"open_node(g/a) -> {type(a)}"
    assert a.shape == (2,) and a.path == "g/a"


FILL_CASTS = [
    pytest.param("complex64", 0, 0j, id="int-for-complex64"),
    pytest.param("complex128", 2.5, 2.5 + 0j, id="float-for-complex128"),
    pytest.param("complex64", float("nan"), complex(float("nan"), 0.0), id="nan-for-complex64"),
    pytest.param("float32", 1, 1.0, id="int-for-float32"),
    pytest.param("float16", float("-inf"), float("-inf"), id="minus-inf-for-float16"),
    pytest.param("float64", np.int8(3), 3.0, id="numpy-int8-for-float64"),
    pytest.param("int16", np.uint8(7), 7, id="numpy-uint8-for-int16"),
    pytest.param("uint64", 2**64 - 1, 2**64 - 1, id="max-for-uint64"),
    pytest.param("bool", np.True_, True, id="numpy-bool-for-bool"),
]


@pytest.mark.parametrize(("dtype", "fill", "expected"), FILL_CASTS)
@FORMATS
async def test_fill_value_is_cast_to_the_array_dtype(
    api: Any, store: zb.Store, zarr_format: int, dtype: str, fill: Any, expected: Any
) -> None:
    arr = await api.create_array(
        store, "f", shape=(2,), dtype=dtype, fill_value=fill, zarr_format=zarr_format
    )
    got = arr.fill_value
    assert np.asarray(got).dtype == np.dtype(dtype), f"fill_value {got!r} has the wrong dtype"
    assert np.array_equal(np.asarray(got), np.asarray(expected, dtype=dtype), equal_nan=True), (
        f"fill_value {got!r}, expected {expected!r}"
    )
    data = await api.read_region(await api.open_array(store, "f"))
    expected_data = np.full(2, expected, dtype=dtype)
    assert np.array_equal(data, expected_data, equal_nan=True), (
        f"unwritten array reads {data!r}, expected {expected_data!r}"
    )


@pytest.mark.parametrize(
    "fn", ["open_array", "open_group", "open_node", "read_metadata", "list_children"]
)
async def test_missing_node_raises_node_not_found_naming_the_path(
    api: Any, store: zb.Store, fn: str
) -> None:
    await api.create_group(store, "")
    with pytest.raises(NodeNotFoundError) as info:
        await getattr(api, fn)(store, "no/such_node")
    assert "no/such_node" in str(info.value), (
        f"{fn}: the error message should name the missing path, got {str(info.value)!r}"
    )
    assert isinstance(info.value, FileNotFoundError)


async def test_store_argument_accepts_url_string_and_pathlike(
    api: Any, store_dir: Path, file_store: zb.Store
) -> None:
    await api.create_array(str(store_dir), "a", shape=(2,), dtype="int8")
    arr = await api.open_array(store_dir, "a")
    assert arr.store == file_store, f"store {arr.store!r}, expected {file_store!r}"
    name = f"memory://nodes-url-{uuid.uuid4().hex}"
    await api.create_group(name, "g")
    g = await api.open_group(zb.Store.from_url(name), "g")
    assert g.path == "g"


# --------------------------------------------------------------------------------------------
# read_metadata
# --------------------------------------------------------------------------------------------


async def test_read_metadata_v3_equals_zarr_json_on_disk(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    await api.create_array(
        file_store,
        "a",
        shape=(3, 4),
        chunks=(2, 2),
        dtype="float64",
        fill_value=float("nan"),
        attributes={"u": "m"},
    )
    await api.create_group(file_store, "g", attributes={"v": 1})
    for path in ("a", "g"):
        on_disk = json.loads((store_dir / path / "zarr.json").read_text())
        got = await api.read_metadata(file_store, path)
        assert got == on_disk, f"read_metadata({path!r}) = {got}, but zarr.json holds {on_disk}"


@pytest.mark.parametrize("attributes", [{"x": 1, "y": [1, "z"]}, None], ids=["attrs", "no-attrs"])
async def test_read_metadata_v2_is_zarray_plus_zattrs_as_attributes(
    api: Any, file_store: zb.Store, store_dir: Path, attributes: dict | None
) -> None:
    zs = LocalStore(str(store_dir))
    zarr.create_array(zs, name="a", shape=(3,), dtype=">i4", zarr_format=2, attributes=attributes)
    zarr.create_group(zs, path="g", zarr_format=2, attributes=attributes)
    for path, doc in (("a", ".zarray"), ("g", ".zgroup")):
        zattrs = store_dir / path / ".zattrs"
        expected = json.loads((store_dir / path / doc).read_text())
        expected["attributes"] = json.loads(zattrs.read_text()) if zattrs.exists() else {}
        got = await api.read_metadata(file_store, path)
        assert got == expected, f"read_metadata({path!r}) = {got}, expected {expected}"


# --------------------------------------------------------------------------------------------
# list_children
# --------------------------------------------------------------------------------------------


async def make_tree(api: Any, store: Any, zarr_format: int = 3) -> None:
    await api.create_group(store, "", zarr_format=zarr_format, attributes={"root": 1})
    await api.create_array(
        store, "b", shape=(2,), dtype="int8", zarr_format=zarr_format, attributes={"name": "b"}
    )
    await api.create_group(store, "c", zarr_format=zarr_format, attributes={"name": "c"})
    await api.create_array(store, "c/d", shape=(3,), dtype="uint16", zarr_format=zarr_format)
    await api.create_group(store, "c/e", zarr_format=zarr_format)
    await api.create_array(store, "c/e/f", shape=(1,), dtype="bool", zarr_format=zarr_format)
    await api.create_array(
        store, "a", shape=(4, 4), dtype="float32", zarr_format=zarr_format, attributes={"name": "a"}
    )
    await api.create_group(store, "B", zarr_format=zarr_format)


@FORMATS
async def test_list_children_lists_one_level_sorted_by_name_with_metadata(
    api: Any, store: zb.Store, zarr_format: int
) -> None:
    await make_tree(api, store, zarr_format)
    children = await api.list_children(store)
    got = [(type(c).__name__, c.path) for c in children]
    expected = [("Group", "B"), ("Array", "a"), ("Array", "b"), ("Group", "c")]
    assert got == expected, f"list_children(root) = {got}, expected {expected}"
    by_path = {c.path: c for c in children}
    assert by_path["a"].shape == (4, 4) and by_path["a"].dtype == np.float32, (
        f"child 'a' should carry its metadata, got shape {by_path['a'].shape}"
    )
    assert by_path["a"].attrs == {"name": "a"}, f"child 'a' attrs {by_path['a'].attrs}"
    assert by_path["c"].attrs == {"name": "c"}, f"child 'c' attrs {by_path['c'].attrs}"


async def test_list_children_of_a_path_and_of_a_group_handle_agree(
    api: Any, store: zb.Store
) -> None:
    await make_tree(api, store)
    by_path = await api.list_children(store, "c")
    group = await api.open_group(store, "c")
    by_handle = await api.list_children(group)
    expected = [("Array", "c/d"), ("Group", "c/e")]
    for how, children in (("path", by_path), ("group handle", by_handle)):
        got = [(type(c).__name__, c.path) for c in children]
        assert got == expected, f"list_children by {how} = {got}, expected {expected}"
    assert [c.name for c in by_path] == ["d", "e"]


async def test_list_children_finds_non_ascii_names(api: Any, store: zb.Store) -> None:
    # object_store lists such names percent-encoded; they must come back as written.
    await api.create_group(store, "")
    await api.create_group(store, "ünï")
    await api.create_array(store, "ключ", shape=(1,), dtype="int8")
    children = await api.list_children(store, "")
    assert sorted(c.path for c in children) == sorted(["ünï", "ключ"])


async def test_list_children_of_empty_group_is_empty(api: Any, store: zb.Store) -> None:
    await api.create_group(store, "empty")
    assert await api.list_children(store, "empty") == []


@FORMATS
async def test_list_children_of_zarr_python_hierarchy(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    root = zarr.open_group(LocalStore(str(store_dir)), mode="w", zarr_format=zarr_format)
    root.create_array("x", shape=(2,), dtype="i2", attributes={"i": 1})
    sub = root.create_group("y", attributes={"j": 2})
    sub.create_array("z", shape=(2,), dtype="i2")
    children = await api.list_children(file_store)
    got = [(type(c).__name__, c.path, c.attrs) for c in children]
    expected = [("Array", "x", {"i": 1}), ("Group", "y", {"j": 2})]
    assert got == expected, f"list_children of zarr-python's hierarchy = {got}"


async def test_list_children_ignores_directories_without_metadata(
    api: Any, file_store: zb.Store, store_dir: Path
) -> None:
    await api.create_group(file_store, "g")
    await api.create_array(file_store, "g/a", shape=(1,), dtype="int8")
    (store_dir / "g" / "junk").mkdir()
    (store_dir / "g" / "junk" / "notes.txt").write_text("not zarr")
    got = [c.path for c in await api.list_children(file_store, "g")]
    assert got == ["g/a"], f"list_children should list only Zarr nodes, got {got}"


# --------------------------------------------------------------------------------------------
# delete_node
# --------------------------------------------------------------------------------------------


@FORMATS
async def test_delete_node_removes_array_metadata_and_chunks(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    arr = await api.create_array(
        file_store, "a", shape=(4,), chunks=(2,), dtype="int8", zarr_format=zarr_format
    )
    await api.write_region(arr, ..., [1, 2, 3, 4])
    assert files_under(store_dir / "a"), "setup: the array should have files on disk"
    await api.delete_node(file_store, "a")
    left = files_under(store_dir / "a") if (store_dir / "a").exists() else []
    assert left == [], f"files left after delete_node: {left}"
    with pytest.raises(NodeNotFoundError):
        await api.open_array(file_store, "a")


async def test_delete_node_removes_group_recursively(api: Any, store: zb.Store) -> None:
    await make_tree(api, store)
    await api.delete_node(store, "c")
    for path in ("c", "c/d", "c/e", "c/e/f"):
        with pytest.raises(NodeNotFoundError):
            await api.open_node(store, path)
    left = [c.path for c in await api.list_children(store)]
    assert left == ["B", "a", "b"], f"after deleting 'c' the root lists {left}"


async def test_delete_node_keeps_siblings_whose_names_share_its_prefix(
    api: Any, store: zb.Store
) -> None:
    await api.create_group(store, "")
    for path in ("a", "ab", "a_b", "a.b"):
        arr = await api.create_array(store, path, shape=(2,), dtype="int8", fill_value=0)
        await api.write_region(arr, ..., [5, 6])
    await api.delete_node(store, "a")
    for path in ("ab", "a_b", "a.b"):
        arr = await api.open_array(store, path)
        got = await api.read_region(arr)
        assert got.tolist() == [5, 6], f"sibling {path!r} damaged by deleting 'a': {got}"


async def test_delete_missing_node_raises_node_not_found(api: Any, store: zb.Store) -> None:
    await api.create_group(store, "")
    with pytest.raises(NodeNotFoundError) as info:
        await api.delete_node(store, "nothing/here")
    assert "nothing/here" in str(info.value), f"message: {str(info.value)!r}"


# --------------------------------------------------------------------------------------------
# update_attributes
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["array", "group"])
@FORMATS
async def test_update_attributes_merges_shallowly_and_returns_a_new_handle(
    api: Any, store: zb.Store, zarr_format: int, kind: str
) -> None:
    before = {"a": 1, "b": {"x": 1}}
    if kind == "array":
        node = await api.create_array(
            store, "n", shape=(2,), dtype="int8", zarr_format=zarr_format, attributes=before
        )
    else:
        node = await api.create_group(store, "n", zarr_format=zarr_format, attributes=before)
    new = await api.update_attributes(node, {"b": {"y": 2}, "c": [3]})
    expected = {"a": 1, "b": {"y": 2}, "c": [3]}
    assert type(new) is type(node), f"update_attributes returned {type(new)} for {type(node)}"
    assert new.attrs == expected, f"returned handle attrs {new.attrs}, expected {expected}"
    assert node.attrs == before, f"the old handle changed: {node.attrs} (handles are immutable)"
    meta = await api.read_metadata(store, "n")
    assert meta["attributes"] == expected, f"stored attributes {meta['attributes']}"
    reopened = await api.open_node(store, "n")
    assert reopened.attrs == expected


@pytest.mark.parametrize("kind", ["array", "group"])
@FORMATS
async def test_two_handles_updating_different_keys_keep_both(
    api: Any, store: zb.Store, zarr_format: int, kind: str
) -> None:
    """Attributes are merged against the document as stored, not the handle's copy: a second
    stale handle adding its key keeps the key the first one added."""
    if kind == "array":
        first = await api.create_array(
            store, "n", shape=(2,), dtype="int8", zarr_format=zarr_format, attributes={"a": 1}
        )
    else:
        first = await api.create_group(store, "n", zarr_format=zarr_format, attributes={"a": 1})
    second = await api.open_node(store, "n")
    await api.update_attributes(first, {"from_first": 1})
    updated = await api.update_attributes(second, {"from_second": 2})
    expected = {"a": 1, "from_first": 1, "from_second": 2}
    assert updated.attrs == expected, f"the second update returned {updated.attrs}"
    stored = (await api.read_metadata(store, "n"))["attributes"]
    assert stored == expected, f"stored attributes {stored}, expected both handles' keys"


@FORMATS
async def test_update_attributes_is_visible_to_zarr_python_and_keeps_data(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    arr = await api.create_array(
        file_store,
        "a",
        shape=(3,),
        dtype="int32",
        zarr_format=zarr_format,
        attributes={"keep": True},
    )
    await api.write_region(arr, ..., [7, 8, 9])
    await api.update_attributes(arr, {"units": "m"})
    za = zp_open(store_dir, "a")
    assert dict(za.attrs) == {"keep": True, "units": "m"}, f"zarr-python sees {dict(za.attrs)}"
    assert za[...].tolist() == [7, 8, 9], f"data changed by update_attributes: {za[...]}"


# --------------------------------------------------------------------------------------------
# overwrite
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("existing", ["array", "group"])
@pytest.mark.parametrize("new", ["array", "group"])
async def test_create_over_existing_node_without_overwrite_raises_and_changes_nothing(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any, existing: str, new: str
) -> None:
    path = "grp/existing_node"
    if existing == "array":
        arr = await api.create_array(file_store, path, shape=(4,), chunks=(2,), dtype="int16")
        await api.write_region(arr, ..., [1, 2, 3, 4])
    else:
        await api.create_group(file_store, path, attributes={"keep": 1})
    before = tree_snapshot(store_dir)
    with pytest.raises(NodeExistsError) as info:
        if new == "array":
            await api.create_array(file_store, path, shape=(8,), dtype="float64")
        else:
            await api.create_group(file_store, path)
    assert isinstance(info.value, FileExistsError)
    assert path in str(info.value), f"the message should name {path!r}: {str(info.value)!r}"
    after = tree_snapshot(store_dir)
    assert after == before, (
        f"a rejected create changed the store: before {sorted(before)}, after {sorted(after)}"
    )


@FORMATS
async def test_create_array_with_overwrite_replaces_node_and_drops_old_chunks(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    old = await api.create_array(
        file_store,
        "n",
        shape=(4,),
        chunks=(2,),
        dtype="int16",
        zarr_format=zarr_format,
        attributes={"old": True},
    )
    await api.write_region(old, ..., [1, 2, 3, 4])
    new = await api.create_array(
        file_store,
        "n",
        shape=(4,),
        chunks=(2,),
        dtype="int16",
        fill_value=-1,
        zarr_format=zarr_format,
        overwrite=True,
    )
    assert new.attrs == {}, f"new array attrs {new.attrs}"
    got = await api.read_region(await api.open_array(file_store, "n"))
    assert got.tolist() == [-1, -1, -1, -1], (
        f"after overwrite the array should hold only fill values, got {got.tolist()}"
    )
    za = zp_open(store_dir, "n")
    assert za[...].tolist() == [-1, -1, -1, -1] and dict(za.attrs) == {}, (
        f"zarr-python sees {za[...].tolist()} with attrs {dict(za.attrs)}"
    )


async def test_create_with_overwrite_over_group_removes_its_children(
    api: Any, store: zb.Store
) -> None:
    await make_tree(api, store)
    await api.create_array(store, "c", shape=(1,), dtype="int8", overwrite=True)
    for path in ("c/d", "c/e", "c/e/f"):
        with pytest.raises(NodeNotFoundError):
            await api.open_node(store, path)
    node = await api.open_node(store, "c")
    assert isinstance(node, zb.Array), f"'c' should now be an array, got {type(node)}"


async def test_create_group_with_overwrite_over_array_replaces_it(
    api: Any, store: zb.Store
) -> None:
    await api.create_array(store, "n", shape=(2,), dtype="int8")
    g = await api.create_group(store, "n", attributes={"now": "group"}, overwrite=True)
    assert isinstance(await api.open_node(store, "n"), zb.Group)
    assert g.attrs == {"now": "group"}


# --------------------------------------------------------------------------------------------
# parents
# --------------------------------------------------------------------------------------------


@FORMATS
async def test_create_nested_array_creates_parent_groups_readable_by_zarr_python(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    await api.create_array(file_store, "a/b/c", shape=(2,), dtype="int16", zarr_format=zarr_format)
    for parent in ("a", "a/b"):
        g = zp_open(store_dir, parent)
        assert isinstance(g, zarr.Group), f"zarr-python opens {parent!r} as {type(g)}"
        assert g.metadata.zarr_format == zarr_format
    assert sorted(zp_open(store_dir, "a/b").keys()) == ["c"]
    assert isinstance(await api.open_node(file_store, "a/b"), zb.Group)


@FORMATS
async def test_create_nested_array_creates_root_group_too(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    await api.create_array(file_store, "a/b", shape=(2,), dtype="int8", zarr_format=zarr_format)
    root = zp_open(store_dir, "")
    assert isinstance(root, zarr.Group), f"zarr-python opens the root as {type(root)}"
    assert sorted(root.keys()) == ["a"], f"root lists {sorted(root.keys())}"


async def test_create_nested_node_keeps_existing_parent_attributes(
    api: Any, store: zb.Store
) -> None:
    await api.create_group(store, "p", attributes={"keep": "me"})
    await api.create_array(store, "p/q/r", shape=(1,), dtype="int8")
    p = await api.open_group(store, "p")
    assert p.attrs == {"keep": "me"}, f"creating a descendant reset the parent: {p.attrs}"


# --------------------------------------------------------------------------------------------
# handles from metadata, create_array(metadata=...)
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("metadata", [v3_array_metadata(), v2_array_metadata()], ids=["v3", "v2"])
async def test_array_handle_from_metadata_does_no_io_and_reads_fill_values(
    api: Any, file_store: zb.Store, store_dir: Path, tree_snapshot: Any, metadata: dict
) -> None:
    before = tree_snapshot(store_dir)
    arr = zb.Array(file_store, "never/written", metadata)
    assert tree_snapshot(store_dir) == before, "making a handle from metadata wrote to the store"
    got = (arr.shape, arr.chunks, arr.dtype, arr.fill_value, arr.zarr_format, arr.path)
    expected = ((6, 5), (4, 2), np.dtype("int32"), -9, metadata["zarr_format"], "never/written")
    assert got == expected, f"handle from metadata: {got}, expected {expected}"
    data = await api.read_region(arr)
    assert (data == -9).all() and data.shape == (6, 5), f"expected only fill values, got {data}"
    assert tree_snapshot(store_dir) == before, "reading a never-written array wrote to the store"


async def test_group_handle_from_metadata_does_no_io(
    file_store: zb.Store, store_dir: Path, tree_snapshot: Any
) -> None:
    before = tree_snapshot(store_dir)
    g = zb.Group(
        file_store, "x/y", {"zarr_format": 3, "node_type": "group", "attributes": {"a": 1}}
    )
    got = (g.path, g.name, g.attrs, g.zarr_format)
    assert got == ("x/y", "y", {"a": 1}, 3), f"group handle from metadata: {got}"
    assert tree_snapshot(store_dir) == before


@pytest.mark.parametrize("metadata", [v3_array_metadata(), v2_array_metadata()], ids=["v3", "v2"])
async def test_create_array_from_full_metadata_document(
    api: Any, file_store: zb.Store, store_dir: Path, metadata: dict
) -> None:
    arr = await api.create_array(file_store, "m", metadata=metadata)
    assert (arr.shape, arr.chunks, arr.fill_value) == ((6, 5), (4, 2), -9)
    await api.write_region(arr, (slice(0, 2), slice(None)), 1)
    za = zp_open(store_dir, "m")
    expected = np.full((6, 5), -9, dtype=np.int32)
    expected[:2] = 1
    np.testing.assert_array_equal(za[...], expected, err_msg="zarr-python reading m")
    assert za.chunks == (4, 2) and za.metadata.zarr_format == metadata["zarr_format"]
    stored = await api.read_metadata(file_store, "m")
    for key, value in metadata.items():
        if key != "attributes":
            assert stored.get(key) == value, f"metadata[{key!r}] stored as {stored.get(key)!r}"
    assert stored["attributes"] == metadata.get("attributes", {})


@FORMATS
async def test_read_metadata_output_recreates_the_array_elsewhere(
    api: Any, file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    zarr.create_array(
        LocalStore(str(store_dir)),
        name="src",
        shape=(5, 4),
        chunks=(2, 3),
        dtype="float32",
        fill_value=2.5,
        zarr_format=zarr_format,
        attributes={"copied": [1, 2]},
    )
    meta = await api.read_metadata(file_store, "src")
    await api.create_array(file_store, "dst", metadata=meta)
    src, dst = zp_open(store_dir, "src"), zp_open(store_dir, "dst")
    for attr in ("shape", "chunks", "dtype", "fill_value"):
        assert getattr(dst, attr) == getattr(src, attr), (
            f"{attr}: copy has {getattr(dst, attr)!r}, source {getattr(src, attr)!r}"
        )
    assert dict(dst.attrs) == {"copied": [1, 2]}, f"copied attributes {dict(dst.attrs)}"


# --------------------------------------------------------------------------------------------
# handle methods (async only)
# --------------------------------------------------------------------------------------------


async def test_group_methods_create_list_open_and_update(store: zb.Store) -> None:
    g = await zb.create_group(store, "g", attributes={"a": 1})
    arr = await g.create_array("x", shape=(3,), dtype="int8", fill_value=4)
    sub = await g.create_group("y", attributes={"b": 2})
    assert (arr.path, sub.path) == ("g/x", "g/y"), f"child paths {(arr.path, sub.path)}"
    children = await g.list_children()
    assert [c.path for c in children] == ["g/x", "g/y"], f"children {[c.path for c in children]}"
    node = await g.open_node("x")
    assert isinstance(node, zb.Array) and node.fill_value == 4
    g2 = await g.update_attributes({"c": 3})
    assert g2.attrs == {"a": 1, "c": 3}, f"group attrs after update: {g2.attrs}"


async def test_array_methods_delegate_to_the_functions(store: zb.Store) -> None:
    arr = await zb.create_array(
        store, "a", shape=(5, 4), chunks=(2, 2), dtype="int32", fill_value=0
    )
    await arr.write_region((slice(1, 3), slice(None)), 7)
    await arr.write_chunk((2, 1), [[1, 2], [3, 4]])
    await arr.write_chunks([(0, 0)], [[[9, 9], [9, 9]]])
    expected = np.zeros((5, 4), dtype=np.int32)
    expected[1:3] = 7
    expected[4, 2:] = [1, 2]
    expected[0:2, 0:2] = 9
    np.testing.assert_array_equal(await arr.read_region(), expected, err_msg="arr.read_region()")
    np.testing.assert_array_equal(await arr.read_chunk((0, 1)), expected[0:2, 2:4])
    chunks = await arr.read_chunks([(0, 0), (1, 1)])
    np.testing.assert_array_equal(chunks[1], expected[2:4, 2:4])
    await arr.delete_chunk((0, 0))
    np.testing.assert_array_equal(await arr.read_chunk((0, 0)), np.zeros((2, 2), np.int32))
    arr2 = await arr.update_attributes({"k": 1})
    assert arr2.attrs == {"k": 1} and isinstance(arr2, zb.Array)
