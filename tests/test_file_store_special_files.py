"""A file store reads only regular files, and never waits on anything else.

A FIFO planted as a chunk once pinned every file-I/O thread of the process (opening a FIFO for
reading waits for a writer forever; cancelling the read does not stop the thread), after which
every file write hung. Files are now opened without blocking and checked before reading, so a
FIFO, socket or device at a key is refused at once with ``StoreError``. Every test runs its
calls under a watchdog: a hang fails the test instead of stalling the suite.
"""

from __future__ import annotations

import asyncio
import os
import socket
import stat
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError

WATCHDOG_S = 20.0


def within_watchdog(call: Callable[[], Any]) -> Any:
    """Run ``call`` in a daemon thread; fail if it has not finished within the watchdog."""
    outcome: dict[str, Any] = {}

    def target() -> None:
        try:
            outcome["value"] = call()
        except BaseException as e:  # handed to the test thread below
            outcome["error"] = e

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(WATCHDOG_S)
    assert not thread.is_alive(), f"the call hung for more than {WATCHDOG_S} s"
    if "error" in outcome:
        raise outcome["error"]
    return outcome["value"]


@pytest.fixture
def array_with_a_fifo_chunk(file_store: zb.Store, store_dir: Path) -> zb.Array:
    arr = zbs.create_array(file_store, "a", shape=(8,), dtype="i4", chunks=(2,))
    zbs.write_region(arr, slice(None), np.arange(8, dtype="i4"))
    chunk = store_dir / "a" / "c" / "0"
    chunk.unlink()
    os.mkfifo(chunk)
    return arr


def test_a_fifo_chunk_is_refused_at_once_by_every_read(array_with_a_fifo_chunk: zb.Array) -> None:
    arr = array_with_a_fifo_chunk
    store = arr.store
    for read in (
        lambda: zbs.read_chunk(arr, (0,)),
        lambda: zbs.read_chunks(arr, [(1,), (0,)]),
        lambda: zbs.read_region(arr, slice(0, 3)),
        lambda: store.get("a/c/0"),
        lambda: store.get_range("a/c/0", start=0, length=1),
        lambda: store.head("a/c/0"),
    ):
        with pytest.raises(StoreError, match="FIFO"):
            within_watchdog(read)
    assert within_watchdog(lambda: zbs.read_chunk(arr, (1,))).tolist() == [2, 3]


def test_a_fifo_as_a_metadata_document_is_refused_at_once(
    file_store: zb.Store, store_dir: Path
) -> None:
    zbs.create_group(file_store, "g")
    (store_dir / "g" / "zarr.json").unlink()
    os.mkfifo(store_dir / "g" / "zarr.json")
    with pytest.raises(StoreError, match="FIFO"):
        within_watchdog(lambda: zbs.open_group(file_store, "g"))
    # Only regular files are values: a directory holding nothing else is no child.
    zbs.create_group(file_store, "h")
    children = within_watchdog(lambda: zbs.list_children(file_store, ""))
    assert [c.path for c in children] == ["h"]


def test_cancelled_reads_of_a_fifo_chunk_leave_file_writes_working(
    array_with_a_fifo_chunk: zb.Array,
) -> None:
    """More cancelled reads than there are file-I/O threads, then writes and reads of other
    chunks: all finish (they once hung for good)."""
    arr = array_with_a_fifo_chunk

    async def scenario() -> list[int]:
        reads = [asyncio.ensure_future(zb.read_chunk(arr, (0,))) for _ in range(48)]
        await asyncio.sleep(0.05)
        for task in reads:
            task.cancel()
        await asyncio.gather(*reads, return_exceptions=True)
        writes = [
            zb.write_chunk(arr, (i,), np.full(2, 10 * i, dtype="i4"))
            for i in range(1, 4)
            for _ in range(12)
        ]
        await asyncio.wait_for(asyncio.gather(*writes), WATCHDOG_S)
        region = await asyncio.wait_for(zb.read_region(arr, slice(2, 8)), WATCHDOG_S)
        return [int(v) for v in region]

    assert within_watchdog(lambda: asyncio.run(scenario())) == [10, 10, 20, 20, 30, 30]
    assert within_watchdog(lambda: zbs.read_region(arr, slice(2, 4))).tolist() == [10, 10]


def test_a_socket_at_a_key_is_refused(file_store: zb.Store, store_dir: Path) -> None:
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        server.bind(str(store_dir / "sock"))
        server.listen(1)
        with pytest.raises(StoreError):
            within_watchdog(lambda: file_store.get("sock"))
    finally:
        server.close()


def test_a_device_at_a_key_is_refused(file_store: zb.Store, store_dir: Path) -> None:
    try:
        os.mknod(store_dir / "zero", 0o666 | stat.S_IFCHR, os.makedev(1, 5))  # /dev/zero
    except PermissionError:
        pytest.skip("this machine does not allow creating device nodes")
    with pytest.raises(StoreError, match="device"):
        within_watchdog(lambda: file_store.get("zero"))


def test_special_files_are_not_listed_but_can_be_deleted(
    array_with_a_fifo_chunk: zb.Array, store_dir: Path
) -> None:
    store = array_with_a_fifo_chunk.store
    listed = [m["path"] for chunk in store.list("a/c") for m in chunk]
    assert "a/c/0" not in listed and "a/c/1" in listed, listed
    store.delete("a/c/0")
    assert not (store_dir / "a" / "c" / "0").exists()
    assert zbs.read_chunk(array_with_a_fifo_chunk, (0,)).tolist() == [0, 0]  # fill value
