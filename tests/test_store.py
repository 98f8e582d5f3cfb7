"""Stores: URL forms, declarations, equality, hashing, pickling, and pickled handles."""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
import uuid
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import UnsupportedError, ZarrBridgeError


def same_dir(a: str | os.PathLike, b: str | os.PathLike) -> bool:
    return os.path.realpath(a) == os.path.realpath(b)


def unique_memory_url() -> str:
    return f"memory://store-test-{uuid.uuid4().hex}"


# --------------------------------------------------------------------------------------------
# from_url
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "form",
    ["str", "pathlib", "file-url", "str-trailing-slash"],
)
def test_file_store_from_every_url_form_points_at_the_directory(store_dir: Path, form: str) -> None:
    given = {
        "str": str(store_dir),
        "pathlib": store_dir,
        "file-url": store_dir.as_uri(),
        "str-trailing-slash": str(store_dir) + "/",
    }[form]
    store = zb.Store.from_url(given)
    decl = store.declaration
    assert decl["kind"] == "file", f"declaration {decl}"
    assert os.path.isabs(decl["root"]), f"root {decl['root']!r} is not absolute"
    assert same_dir(decl["root"], store_dir), f"root {decl['root']!r}, expected {store_dir}"
    zbs.create_group(store, "g", attributes={"form": form})
    assert (store_dir / "g" / "zarr.json").is_file(), "the group was not written in the directory"


def test_file_store_forms_are_equal_and_share_data(store_dir: Path) -> None:
    stores = [
        zb.Store.from_url(str(store_dir)),
        zb.Store.from_url(store_dir),
        zb.Store.from_url(store_dir.as_uri()),
    ]
    assert stores[0] == stores[1] == stores[2], f"declarations {[s.declaration for s in stores]}"
    assert len({hash(s) for s in stores}) == 1, "equal stores must hash equally"
    zbs.create_array(stores[0], "a", shape=(2,), dtype="int8", fill_value=4)
    for s in stores[1:]:
        assert zbs.open_array(s, "a").fill_value == 4


def test_relative_path_is_made_absolute_against_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "rel").mkdir()
    monkeypatch.chdir(tmp_path)
    store = zb.Store.from_url("rel")
    root = store.declaration["root"]
    assert os.path.isabs(root), f"root {root!r} should be absolute"
    assert same_dir(root, tmp_path / "rel"), f"root {root!r}, expected {tmp_path / 'rel'}"
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    zbs.create_group(store, "g")
    assert (tmp_path / "rel" / "g" / "zarr.json").is_file(), (
        "after a chdir the store must still write where it was made"
    )
    assert not (elsewhere / "rel").exists()


def test_memory_stores_with_the_same_name_share_data_and_different_names_do_not() -> None:
    name = unique_memory_url()
    a, b = zb.Store.from_url(name), zb.Store.from_url(name)
    other = zb.Store.from_url(unique_memory_url())
    arr = zbs.create_array(a, "x", shape=(3,), dtype="int16", fill_value=0)
    zbs.write_region(arr, ..., [1, 2, 3])
    got = zbs.read_region(zbs.open_array(b, "x"))
    assert got.tolist() == [1, 2, 3], f"same-name memory store reads {got.tolist()}"
    with pytest.raises(FileNotFoundError):
        zbs.open_array(other, "x")


def test_memory_store_declaration_and_url() -> None:
    url = unique_memory_url()
    store = zb.Store.from_url(url)
    assert store.declaration == {"kind": "memory", "name": url.removeprefix("memory://")}, (
        f"declaration {store.declaration}"
    )
    assert store.url == url, f"url {store.url!r}, expected {url!r}"


@pytest.mark.parametrize("url", ["nosuchscheme://bucket/x", "ftp://host/dir"])
def test_unknown_scheme_raises_a_typed_error(url: str) -> None:
    with pytest.raises(ZarrBridgeError) as info:
        zb.Store.from_url(url)
    assert url.split("://")[0] in str(info.value), (
        f"the message should name the scheme: {str(info.value)!r}"
    )


def test_functions_accept_urls_and_paths_in_place_of_a_store(store_dir: Path) -> None:
    zbs.create_group(str(store_dir), "g")
    zbs.create_array(store_dir, "g/a", shape=(2,), dtype="int8", fill_value=1)
    zbs.create_array(store_dir.as_uri(), "g/b", shape=(2,), dtype="int8", fill_value=2)
    children = zbs.list_children(zb.Store.from_url(store_dir), "g")
    assert [(c.path, int(c.fill_value)) for c in children] == [("g/a", 1), ("g/b", 2)]
    assert zbs.read_metadata(str(store_dir), "g/a")["fill_value"] == 1


# --------------------------------------------------------------------------------------------
# declaration, equality, immutability
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["file", "memory"])
def test_declaration_is_json_able_and_round_trips(
    kind: str, file_store: zb.Store, memory_store: zb.Store
) -> None:
    store = file_store if kind == "file" else memory_store
    decl = store.declaration
    text = json.dumps(decl)
    again = zb.Store.from_declaration(json.loads(text))
    assert again == store, f"from_declaration({decl}) gave {again.declaration}"
    assert hash(again) == hash(store)
    assert zb.Store.from_url(store.url) == store, f"from_url({store.url!r}) differs"


def test_stores_compare_and_hash_by_declaration(tmp_path: Path) -> None:
    (tmp_path / "x").mkdir()
    (tmp_path / "y").mkdir()
    x1, x2 = zb.Store.from_url(tmp_path / "x"), zb.Store.from_url(str(tmp_path / "x"))
    y = zb.Store.from_url(tmp_path / "y")
    m1, m2 = zb.Store.from_url("memory://same"), zb.Store.from_url("memory://same")
    assert x1 == x2 and m1 == m2
    assert x1 != y and x1 != m1 and m1 != zb.Store.from_url("memory://other")
    assert len({x1, x2, y, m1, m2}) == 3, "a set should hold one entry per declaration"
    assert {x1: "v"}[x2] == "v"
    assert (x1 == "not a store") is False


def test_store_is_immutable(file_store: zb.Store) -> None:
    decl = file_store.declaration
    decl["root"] = "/somewhere/else"
    assert file_store.declaration["root"] != "/somewhere/else", (
        "mutating the returned declaration changed the store"
    )
    with pytest.raises((AttributeError, TypeError)):
        file_store.declaration = {"kind": "memory", "name": "x"}  # type: ignore[misc]
    with pytest.raises((AttributeError, TypeError)):
        file_store.anything = 1  # type: ignore[attr-defined]


# --------------------------------------------------------------------------------------------
# pickling
# --------------------------------------------------------------------------------------------


def test_file_store_pickles_to_an_equal_working_store(file_store: zb.Store) -> None:
    zbs.create_array(file_store, "a", shape=(2,), dtype="int8", fill_value=6)
    again = pickle.loads(pickle.dumps(file_store))
    assert again == file_store, f"unpickled {again.declaration}, expected {file_store.declaration}"
    assert zbs.open_array(again, "a").fill_value == 6


def test_pickling_a_memory_store_raises_unsupported_error(memory_store: zb.Store) -> None:
    with pytest.raises(UnsupportedError):
        pickle.dumps(memory_store)


def test_copying_a_store_keeps_it_equal(memory_store: zb.Store) -> None:
    assert copy.copy(memory_store) == memory_store
    assert copy.deepcopy(memory_store) == memory_store


@pytest.mark.parametrize("zarr_format", [2, 3], ids=["v2", "v3"])
def test_pickled_array_reads_the_same_data_without_rereading_metadata(
    file_store: zb.Store, store_dir: Path, zarr_format: int
) -> None:
    arr = zbs.create_array(
        file_store,
        "g/a",
        shape=(5, 4),
        chunks=(2, 3),
        dtype="float32",
        fill_value=-1.0,
        zarr_format=zarr_format,
        attributes={"k": "v"},
    )
    data = np.arange(20, dtype=np.float32).reshape(5, 4)
    zbs.write_region(arr, ..., data)
    blob = pickle.dumps(arr)
    # Remove the metadata documents: an unpickled handle must not need them.
    for doc in ("zarr.json", ".zarray", ".zattrs"):
        (store_dir / "g" / "a" / doc).unlink(missing_ok=True)
    again = pickle.loads(blob)
    assert isinstance(again, zb.Array)
    checks = {
        "store": (again.store, file_store),
        "path": (again.path, "g/a"),
        "shape": (again.shape, (5, 4)),
        "chunks": (again.chunks, (2, 3)),
        "dtype": (again.dtype, np.dtype("float32")),
        "attrs": (again.attrs, {"k": "v"}),
        "zarr_format": (again.zarr_format, zarr_format),
        "metadata": (again.metadata, arr.metadata),
    }
    wrong = {k: f"got {g!r}, expected {e!r}" for k, (g, e) in checks.items() if g != e}
    assert not wrong, f"unpickled handle differs: {wrong}"
    np.testing.assert_array_equal(
        zbs.read_region(again), data, err_msg="unpickled handle reading the array"
    )
    np.testing.assert_array_equal(
        zbs.read_chunk(again, (2, 1)), np.array([[19, -1, -1], [-1, -1, -1]], dtype=np.float32)
    )


def test_pickled_array_keeps_write_empty_chunks(file_store: zb.Store) -> None:
    arr = zbs.create_array(file_store, "a", shape=(2,), dtype="int8", write_empty_chunks=True)
    again = pickle.loads(pickle.dumps(arr))
    assert again.write_empty_chunks is True, f"write_empty_chunks {again.write_empty_chunks!r}"


def test_pickled_sharded_array_reads_the_same_data(file_store: zb.Store) -> None:
    arr = zbs.create_array(
        file_store, "s", shape=(6, 6), chunks=(2, 2), shards=(4, 4), dtype="uint16", fill_value=0
    )
    data = np.arange(36, dtype=np.uint16).reshape(6, 6)
    zbs.write_region(arr, ..., data)
    again = pickle.loads(pickle.dumps(arr))
    assert (again.chunks, again.shards) == ((2, 2), (4, 4))
    np.testing.assert_array_equal(zbs.read_region(again), data)


def test_pickled_group_keeps_path_attributes_and_works(
    file_store: zb.Store, store_dir: Path
) -> None:
    g = zbs.create_group(file_store, "grp", attributes={"x": [1, 2]})
    zbs.create_array(file_store, "grp/child", shape=(1,), dtype="int8")
    again = pickle.loads(pickle.dumps(g))
    assert isinstance(again, zb.Group)
    assert (again.store, again.path, again.attrs, again.zarr_format) == (
        file_store,
        "grp",
        {"x": [1, 2]},
        3,
    )
    assert [c.path for c in zbs.list_children(again)] == ["grp/child"]


def test_handles_from_list_children_pickle(file_store: zb.Store) -> None:
    zbs.create_group(file_store, "")
    zbs.create_array(file_store, "a", shape=(2,), dtype="int8", fill_value=9)
    zbs.create_group(file_store, "b")
    children = pickle.loads(pickle.dumps(zbs.list_children(file_store)))
    assert [(type(c).__name__, c.path) for c in children] == [("Array", "a"), ("Group", "b")]
    assert zbs.read_region(children[0]).tolist() == [9, 9]


CHILD = """
import pickle, sys
from zarrbridge import sync as zbs
arr = pickle.loads(sys.stdin.buffer.read())
print(zbs.read_region(arr).tolist())
"""


def test_pickled_array_works_in_a_fresh_process(file_store: zb.Store) -> None:
    arr = zbs.create_array(file_store, "a", shape=(3,), dtype="int32", fill_value=0)
    zbs.write_region(arr, ..., [4, 5, 6])
    proc = subprocess.run(
        [sys.executable, "-c", CHILD],
        input=pickle.dumps(arr),
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, f"child failed: {proc.stderr.decode(errors='replace')}"
    assert proc.stdout.decode().strip() == "[4, 5, 6]", f"child read {proc.stdout!r}"
