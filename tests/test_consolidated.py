"""Consolidated metadata, in zarr-python's formats both ways: zarr-python reads what
consolidate_metadata writes and this library reads what zarr-python writes (v2 `.zmetadata`,
v3 `consolidated_metadata`), shown by deleting every child's own metadata first. Then
zarr-python's use_consolidated semantics, the snapshot's staleness, and opening and listing
through a consolidated group without a request."""

from __future__ import annotations

import json
import pickle
import warnings
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import MetadataError, NodeNotFoundError

METADATA_FILES = ("zarr.json", ".zarray", ".zgroup", ".zattrs")


@pytest.fixture(autouse=True)
def quiet_zarr_python() -> Iterator[None]:
    # zarr-python warns that v3 consolidated metadata is not in the spec yet.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*[Cc]onsolidated metadata.*")
        yield


def strip_children(root: Path) -> None:
    """Delete the metadata documents of every node below the root group."""
    for path in root.rglob("*"):
        if path.name in METADATA_FILES and path.parent != root:
            path.unlink()


def build(store: zb.Store, zarr_format: int) -> None:
    zbs.create_group(store, "", zarr_format=zarr_format, attributes={"title": "t"})
    a = zbs.create_array(
        store, "a", shape=(5,), dtype="int16", zarr_format=zarr_format, attributes={"u": 1}
    )
    a[:] = np.arange(5)
    zbs.create_group(store, "g", zarr_format=zarr_format, attributes={"k": "v"})
    b = zbs.create_array(store, "g/b", shape=(2, 3), dtype="float32", zarr_format=zarr_format)
    b[:] = 1.5


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_zarr_python_reads_the_consolidated_metadata_we_write(
    store_dir: Path, zarr_format: int
) -> None:
    build(zb.Store.from_url(str(store_dir)), zarr_format)
    group = zbs.consolidate_metadata(str(store_dir))
    assert [c.name for c in zbs.list_children(group)] == ["a", "g"]
    strip_children(store_dir)
    z = zarr.open_group(
        zarr.storage.LocalStore(store_dir, read_only=True),
        mode="r",
        use_consolidated=True,
        zarr_format=zarr_format,
    )
    assert sorted(name for name, _ in z.members(max_depth=None)) == ["a", "g", "g/b"]
    assert z.attrs.asdict() == {"title": "t"}
    assert z["a"].attrs.asdict() == {"u": 1}
    assert z["g"].attrs.asdict() == {"k": "v"}
    np.testing.assert_array_equal(z["a"][:], np.arange(5))
    np.testing.assert_array_equal(z["g/b"][:], np.full((2, 3), 1.5, dtype="float32"))


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_we_read_the_consolidated_metadata_zarr_python_writes(
    store_dir: Path, zarr_format: int
) -> None:
    zstore = zarr.storage.LocalStore(store_dir)
    root = zarr.create_group(zstore, zarr_format=zarr_format, attributes={"title": "z"})
    root.create_array("a", shape=(4,), dtype="int32", attributes={"u": 2})[:] = [1, 2, 3, 4]
    sub = root.create_group("g", attributes={"k": 1})
    sub.create_array("b", shape=(3,), dtype="float64")[:] = [0.5, 1.5, 2.5]
    zarr.consolidate_metadata(zstore)
    strip_children(store_dir)
    group = zbs.open_group(str(store_dir), use_consolidated=True)
    assert group.attrs == {"title": "z"}
    children = zbs.list_children(group)
    assert [(c.name, type(c).__name__) for c in children] == [("a", "Array"), ("g", "Group")]
    a, g = children
    assert a.attrs == {"u": 2} and g.attrs == {"k": 1}
    np.testing.assert_array_equal(a[:], [1, 2, 3, 4])
    assert [c.path for c in zbs.list_children(g)] == ["g/b"]
    b = zbs.open_node(group, "g/b")
    assert isinstance(b, zb.Array)
    np.testing.assert_array_equal(b[:], [0.5, 1.5, 2.5])
    # Without it, the children are gone (their documents were deleted).
    assert zbs.list_children(str(store_dir), use_consolidated=False) == []


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_use_consolidated_follows_zarr_python(memory_store: zb.Store, zarr_format: int) -> None:
    build(memory_store, zarr_format)
    with pytest.raises(MetadataError, match="use_consolidated=True"):
        zbs.open_group(memory_store, use_consolidated=True)
    with pytest.raises(MetadataError, match="use_consolidated=True"):
        zbs.list_children(memory_store, use_consolidated=True)
    zbs.consolidate_metadata(memory_store)
    # A snapshot: a node created afterwards is not in it...
    zbs.create_array(memory_store, "late", shape=(1,), dtype="int8", zarr_format=zarr_format)
    for use in (None, True):
        assert [c.name for c in zbs.list_children(memory_store, use_consolidated=use)] == [
            "a",
            "g",
        ]
    # ... until it is written again, or unless the store is listed instead.
    names = ["a", "g", "late"]
    assert [c.name for c in zbs.list_children(memory_store, use_consolidated=False)] == names
    group = zbs.open_group(memory_store)
    assert [c.name for c in zbs.list_children(group, use_consolidated=False)] == names
    late = zbs.open_node(group, "late")  # missing from it: looked for in the store
    assert isinstance(late, zb.Array)
    zbs.consolidate_metadata(memory_store)
    assert [c.name for c in zbs.list_children(memory_store)] == names
    with pytest.raises(TypeError):
        zbs.open_group(memory_store, use_consolidated="yes")  # type: ignore[arg-type]


@pytest.mark.parametrize("zarr_format", [2, 3])
def test_a_consolidated_group_lists_and_opens_its_nodes_with_no_request(
    memory_store: zb.Store, zarr_format: int
) -> None:
    build(memory_store, zarr_format)
    zbs.consolidate_metadata(memory_store)
    with zb.io_stats() as stats:
        group = zbs.open_group(memory_store, zarr_format=zarr_format)
    assert stats.total_requests == 1
    with zb.io_stats() as stats:
        children = zbs.list_children(group)
        g = children[1]
        assert isinstance(g, zb.Group)
        assert [c.path for c in zbs.list_children(g)] == ["g/b"]
        assert [c.path for c in zbs.list_children(group, "g")] == ["g/b"]
        assert zbs.list_children(group, "a") == []
        b = zbs.open_node(group, "g/b")
        assert zbs.open_node(g, "b").path == b.path == "g/b"
        assert zbs.open_node(group, "").path == ""
    assert stats.total_requests == 0
    assert isinstance(b, zb.Array) and b.shape == (2, 3)


def test_a_pickled_v3_group_keeps_its_consolidated_metadata(file_store: zb.Store) -> None:
    build(file_store, 3)
    group = pickle.loads(pickle.dumps(zbs.consolidate_metadata(file_store)))
    with zb.io_stats() as stats:
        assert [c.name for c in zbs.list_children(group)] == ["a", "g"]
    assert stats.total_requests == 0


def test_attribute_updates_keep_the_v3_consolidated_metadata(store_dir: Path) -> None:
    store = zb.Store.from_url(str(store_dir))
    build(store, 3)
    group = zbs.update_attributes(zbs.consolidate_metadata(store), {"extra": 1})
    assert [c.name for c in zbs.list_children(group)] == ["a", "g"]
    z = zarr.open_group(zarr.storage.LocalStore(store_dir), mode="r", use_consolidated=True)
    assert z.attrs.asdict() == {"title": "t", "extra": 1}
    assert z.metadata.consolidated_metadata is not None


def test_consolidating_needs_a_group_and_leaves_other_formats_out(
    memory_store: zb.Store,
) -> None:
    with pytest.raises(NodeNotFoundError):
        zbs.consolidate_metadata(memory_store, "nothing")
    build(memory_store, 3)
    with pytest.raises(NodeNotFoundError, match="not a group"):
        zbs.consolidate_metadata(memory_store, "a")
    zbs.create_array(memory_store, "g/old", shape=(1,), dtype="int8", zarr_format=2)
    group = zbs.consolidate_metadata(zbs.open_group(memory_store), "g")
    assert [c.name for c in zbs.list_children(group)] == ["b"]


def test_malformed_consolidated_metadata_is_an_error_unless_ignored(
    memory_store: zb.Store,
) -> None:
    doc = {
        "zarr_format": 3,
        "node_type": "group",
        "attributes": {},
        "consolidated_metadata": {"kind": "remote", "metadata": {}},
    }
    memory_store.put("zarr.json", json.dumps(doc).encode())
    with pytest.raises(MetadataError, match="consolidated metadata"):
        zbs.open_group(memory_store)
    group = zbs.open_group(memory_store, use_consolidated=False)
    assert group.attrs == {} and zbs.list_children(group, use_consolidated=False) == []
