"""Deletes on a file store leave no trace: the directories a delete empties are removed (up to,
never including, the root), so listings after deletes show no deleted node, and a later value
whose key equals such a directory can be written. zarr-python's LocalStore shows the same keys
and prefixes as these listings; a directory that holds keys still cannot become a value (a
file system cannot hold both ``k`` and ``k/x``), which is a typed error.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb
from zarr.core.sync import sync
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError
from zarrbridge.zarr import ZarrStore


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def test_deleting_the_last_key_removes_the_directories_it_leaves_empty(
    file_store: zb.Store, store_dir: Path
) -> None:
    file_store.put("a/b/c/k", b"1")
    file_store.put("a/x", b"2")
    file_store.delete("a/b/c/k")
    assert tree(store_dir) == ["a", "a/x"]
    file_store.delete("a/x")
    assert tree(store_dir) == [], "the root stays, everything below it went"
    assert store_dir.is_dir()


def test_delete_node_leaves_no_directory_and_listings_forget_the_node(
    file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_group(file_store, "g")
    arr = zbs.create_array(file_store, "g/deep/a", shape=(4,), dtype="u1", chunks=(2,))
    zbs.write_region(arr, slice(None), np.arange(4, dtype="u1"))
    zbs.create_group(file_store, "h")
    zbs.delete_node(file_store, "g/deep")
    assert tree(store_dir / "g") == ["zarr.json"]
    zbs.delete_node(file_store, "g")
    assert tree(store_dir) == ["h", "h/zarr.json", "zarr.json"]
    assert file_store.list_with_delimiter("")["common_prefixes"] == ["h"]
    assert [n.path for n in zbs.list_children(file_store, "")] == ["h"]

    async def children() -> list[str]:
        return [name async for name in ZarrStore(file_store).list_dir("")]

    assert sync(children()) == ["h", "zarr.json"]


def test_deleting_a_chunk_removes_its_emptied_directories(
    file_store: zb.Store, store_dir: Path
) -> None:
    arr = zbs.create_array(file_store, "a", shape=(2, 2), dtype="u1", chunks=(1, 1))
    zbs.write_chunk(arr, (1, 1), np.full((1, 1), 5, dtype="u1"))
    zbs.delete_chunk(arr, (1, 1))
    assert tree(store_dir / "a") == ["zarr.json"]


def test_a_value_can_be_written_where_an_empty_directory_was_left(
    file_store: zb.Store, store_dir: Path
) -> None:
    """Directories left behind by a crash or another tool give way to a value of that key."""
    (store_dir / "k").mkdir()
    (store_dir / "n" / "m").mkdir(parents=True)
    file_store.put("k", b"value")
    file_store.put("n", b"other")
    assert file_store.get("k").bytes() == b"value"
    assert file_store.get("n").bytes() == b"other"


def test_a_directory_holding_keys_cannot_become_a_value(
    file_store: zb.Store, store_dir: Path
) -> None:
    file_store.put("d/x", b"1")
    with pytest.raises(StoreError, match="directory holding other keys"):
        file_store.put("d", b"2")
    assert file_store.get("d/x").bytes() == b"1"
    assert sorted(os.listdir(store_dir / "d")) == ["x"], "no temporary file left behind"


def test_empty_directories_are_not_listed_as_prefixes(
    file_store: zb.Store, store_dir: Path
) -> None:
    (store_dir / "left" / "behind").mkdir(parents=True)
    file_store.put("kept/k", b"1")
    listing = file_store.list_with_delimiter("")
    assert listing["common_prefixes"] == ["kept"], listing
    assert zbs.list_children(file_store, "") == []


def test_writes_racing_deletes_that_empty_their_directory_all_land(
    file_store: zb.Store, store_dir: Path
) -> None:
    """A delete removes the directory it empties; a write that had just found or made that
    directory starts over instead of failing (zarr-python's writers delete chunks that equal the
    fill value while writing their siblings; this once failed with ENOENT under load)."""
    arr = zbs.create_array(file_store, "a", shape=(64,), dtype="u1", chunks=(1,), compressors=None)

    def write(i: int, value: int) -> None:
        zbs.write_chunk(arr, (i,), np.full(1, value, "u1"))

    with ThreadPoolExecutor(16) as pool:
        for trial in range(1, 51):
            jobs = [pool.submit(write, i, trial) for i in range(0, 64, 2)]
            jobs += [pool.submit(zbs.delete_chunk, arr, (i,)) for i in range(1, 64, 2)]
            for job in jobs:
                job.result()
            back = zbs.read_region(arr)
            assert (back[::2] == trial).all() and (back[1::2] == 0).all(), (trial, back)
            zbs.write_region(arr, slice(None), 0)  # empties the directory for the next trial
            assert not (store_dir / "a" / "c").exists()
