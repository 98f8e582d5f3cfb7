"""Symbolic links below a file store's root are never followed.

Every test plants links inside the store that point at a directory or file outside it (the
"outside" tree sits beside the store under ``tmp_path``), drives reads, writes, listings and
deletes through every API, and then compares the outside tree byte for byte with its state
before: nothing outside may be read, written or deleted. What links inside the root do is
documented in ``crates/zarrbridge-core/src/store/file.rs`` and docs/API.md: reads through one
raise ``StoreError``, listings leave them out, deletes remove the link itself, writes through a
linked directory fail, and a write to a key that is a link replaces the link.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError

Snapshot = Callable[[Path], dict[str, object]]


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the store holding a zarr array and a secret file."""
    out = tmp_path / "outside"
    out.mkdir()
    arr = zbs.create_array(
        zb.Store.from_url(str(out)), "victim", shape=(4,), dtype="i4", chunks=(2,)
    )
    zbs.write_region(arr, slice(None), np.arange(4, dtype="i4"))
    (out / "secret.txt").write_bytes(b"do not touch")
    return out


def test_reading_through_a_linked_directory_raises_and_reads_nothing_outside(
    file_store: zb.Store, store_dir: Path, outside: Path
) -> None:
    os.symlink(outside / "victim", store_dir / "linked")
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.open_array(file_store, "linked")
    with pytest.raises(StoreError, match="symbolic link"):
        file_store.get("linked/zarr.json")
    with pytest.raises(StoreError, match="symbolic link"):
        file_store.head("linked/zarr.json")
    with pytest.raises(StoreError, match="symbolic link"):
        file_store.get_range("linked/zarr.json", start=0, length=4)


def test_a_chunk_that_is_a_link_to_a_file_outside_raises_instead_of_reading_it(
    file_store: zb.Store, store_dir: Path, outside: Path
) -> None:
    arr = zbs.create_array(file_store, "a", shape=(4,), dtype="i4", chunks=(2,))
    zbs.write_region(arr, slice(None), np.ones(4, dtype="i4"))
    chunk = store_dir / "a" / "c" / "0"
    chunk.unlink()
    os.symlink(outside / "victim" / "c" / "0", chunk)
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.read_chunk(arr, (0,))
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.read_region(arr, slice(None))
    assert zbs.read_chunk(arr, (1,)).tolist() == [1, 1], "the other chunk still reads"


@pytest.mark.anyio
async def test_async_reads_through_links_raise_too(
    file_store: zb.Store, store_dir: Path, outside: Path
) -> None:
    os.symlink(outside / "victim", store_dir / "linked")
    with pytest.raises(StoreError, match="symbolic link"):
        await zb.open_array(file_store, "linked")
    with pytest.raises(StoreError, match="symbolic link"):
        await file_store.get_async("linked/zarr.json")


def test_listings_leave_links_out(file_store: zb.Store, store_dir: Path, outside: Path) -> None:
    zbs.create_group(file_store, "g")
    os.symlink(outside / "victim", store_dir / "g" / "linked_dir")
    os.symlink(outside / "secret.txt", store_dir / "g" / "linked_file")
    listed = [m["path"] for chunk in file_store.list() for m in chunk]
    assert listed == ["g/zarr.json", "zarr.json"], listed
    level = file_store.list_with_delimiter("g")
    assert level["common_prefixes"] == [], level
    assert [m["path"] for m in level["objects"]] == ["g/zarr.json"], level
    assert zbs.list_children(file_store, "g") == []


def test_delete_node_with_a_linked_child_removes_the_link_and_nothing_outside(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    zbs.create_group(file_store, "g")
    zbs.create_array(file_store, "g/a", shape=(2,), dtype="u1", chunks=(2,))
    os.symlink(outside / "victim", store_dir / "g" / "linked_dir")
    os.symlink(outside / "secret.txt", store_dir / "g" / "a" / "linked_file")
    before = tree_snapshot(outside)
    zbs.delete_node(file_store, "g")
    assert tree_snapshot(outside) == before, "delete_node changed files outside the store"
    assert not (store_dir / "g").exists() and not (store_dir / "g").is_symlink()


@pytest.mark.parametrize("kind", ["group", "array"])
def test_overwrite_through_a_linked_child_deletes_nothing_outside(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot, kind: str
) -> None:
    zbs.create_group(file_store, "g")
    os.symlink(outside / "victim", store_dir / "g" / "linked_dir")
    os.symlink(outside, store_dir / "g" / "linked_root")
    before = tree_snapshot(outside)
    if kind == "group":
        zbs.create_group(file_store, "g", overwrite=True)
    else:
        zbs.create_array(file_store, "g", shape=(2,), dtype="u1", chunks=(2,), overwrite=True)
    assert tree_snapshot(outside) == before, "overwrite=True changed files outside the store"
    assert sorted(p.name for p in (store_dir / "g").iterdir()) == ["zarr.json"]


def test_a_linked_node_given_to_delete_node_removes_only_the_link(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    # zarr.json is a regular file, so the node exists; its whole directory is then a link.
    zbs.create_group(file_store, "real")
    os.symlink(outside / "victim", store_dir / "real" / "sub")
    before = tree_snapshot(outside)
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.delete_node(file_store, "real/sub")  # reading its metadata goes through the link
    zbs.delete_node(file_store, "real")
    assert tree_snapshot(outside) == before


@pytest.mark.parametrize(
    "action",
    [
        lambda s: s.put("linked/new_key", b"x"),
        lambda s: zbs.create_group(s, "linked/g"),
        lambda s: zbs.create_array(s, "linked/a", shape=(2,), dtype="u1", chunks=(2,)),
        lambda s: zbs.create_group(s, "linked/deeper/g"),
    ],
    ids=["put", "create_group", "create_array", "create_group_with_parents"],
)
def test_writes_under_a_linked_directory_fail_and_write_nothing_outside(
    file_store: zb.Store,
    store_dir: Path,
    outside: Path,
    tree_snapshot: Snapshot,
    action: Callable[[zb.Store], object],
) -> None:
    os.symlink(outside, store_dir / "linked")
    before = tree_snapshot(outside)
    with pytest.raises(StoreError, match="symbolic link"):
        action(file_store)
    assert tree_snapshot(outside) == before, "a write went through the link"


def test_writes_into_a_linked_array_fail_and_write_nothing_outside(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    arr = zbs.create_array(file_store, "a", shape=(4,), dtype="i4", chunks=(2,))
    os.symlink(outside / "victim" / "c", store_dir / "a" / "c")
    before = tree_snapshot(outside)
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.write_chunk(arr, (0,), np.full(2, 9, dtype="i4"))
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.write_region(arr, slice(0, 1), np.full(1, 9, dtype="i4"))
    with pytest.raises(StoreError, match="symbolic link"):
        zbs.delete_chunk(arr, (0,))
    assert tree_snapshot(outside) == before


def test_a_write_to_a_key_that_is_a_link_replaces_the_link_not_its_target(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    os.symlink(outside / "secret.txt", store_dir / "k")
    before = tree_snapshot(outside)
    file_store.put("k", b"new value")
    assert tree_snapshot(outside) == before
    assert not (store_dir / "k").is_symlink()
    assert file_store.get("k").bytes() == b"new value"


def test_deleting_a_key_that_is_a_link_removes_the_link_only(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    os.symlink(outside / "secret.txt", store_dir / "k")
    os.symlink(outside / "victim", store_dir / "d")
    before = tree_snapshot(outside)
    file_store.delete("k")
    with pytest.raises(StoreError, match="symbolic link"):
        file_store.delete("d/zarr.json")
    assert tree_snapshot(outside) == before
    assert not (store_dir / "k").is_symlink()


def test_a_root_that_is_itself_a_link_works(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    os.symlink(real, tmp_path / "alias")
    store = zb.Store.from_url(str(tmp_path / "alias"))
    arr = zbs.create_array(store, "a", shape=(3,), dtype="u2", chunks=(2,))
    zbs.write_region(arr, slice(None), np.arange(3, dtype="u2"))
    assert zbs.read_region(arr, slice(None)).tolist() == [0, 1, 2]
    assert (real / "a" / "zarr.json").is_file()


SWAPPER = """
import ctypes, os, sys
libc = ctypes.CDLL(None, use_errno=True)
AT_FDCWD, RENAME_EXCHANGE = -100, 2
a, b = sys.argv[1].encode(), sys.argv[2].encode()
if libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0:
    print("unsupported", ctypes.get_errno(), flush=True)
    sys.exit(0)
print("swapping", flush=True)
while True:
    libc.renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE)
"""


def test_swapping_a_directory_for_a_link_during_writes_never_lets_one_out(
    file_store: zb.Store, store_dir: Path, outside: Path, tree_snapshot: Snapshot
) -> None:
    """Resolution is relative to descriptors with links refused at every step, so a link
    swapped in between a check and a use (the classic race) cannot redirect a write. Another
    process swaps the directory ``d`` with a link to the outside tree, atomically, as fast as
    it can, while this one writes keys below ``d``."""
    (store_dir / "d").mkdir()
    os.symlink(outside, store_dir / "l")
    before = tree_snapshot(outside)
    swapper = subprocess.Popen(
        [sys.executable, "-c", SWAPPER, str(store_dir / "d"), str(store_dir / "l")],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert swapper.stdout is not None
        state = swapper.stdout.readline().split()
        if state[:1] != ["swapping"]:
            pytest.skip(f"renameat2(RENAME_EXCHANGE) is not available here: {state}")
        written = refused = tries = 0
        deadline = time.monotonic() + 1.5
        while time.monotonic() < deadline:
            try:
                file_store.put(f"d/k{tries}", b"payload")
                written += 1
            except StoreError as e:
                # "Not a directory" when the link was swapped out again before the error was
                # told apart from a file in the way.
                assert "symbolic link" in str(e) or "Not a directory" in str(e), e
                refused += 1
            tries += 1
    finally:
        swapper.kill()
        swapper.wait()
    print(f"\n{written} writes landed, {refused} refused (a link was in the way)")
    assert tree_snapshot(outside) == before, "a write landed outside the store"
    assert written > 0 and refused > 0, f"no race happened: {written} written, {refused} refused"
