"""After the parent has used zarrbridge (runtime and compute pool running), child processes made
by os.fork, multiprocessing (fork, spawn, forkserver) and ProcessPoolExecutor can use it too,
with a runtime and compute pool of their own; none hangs, even when the fork lands while other
parent threads are in the middle of zarrbridge calls."""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import threading
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs

CHILD_TIMEOUT = 30


def make_array(root: Path) -> zb.Array:
    a = zbs.create_array(str(root), "a", shape=(64, 64), dtype="int32", chunks=(16, 16))
    zbs.write_region(a, ..., np.arange(64 * 64, dtype="int32").reshape(64, 64))
    return a


def library_threads() -> set[str]:
    names = set()
    for tid in os.listdir("/proc/self/task"):
        try:
            with open(f"/proc/self/task/{tid}/comm") as f:
                name = f.read().strip()
        except FileNotFoundError:  # the thread just ended
            continue
        # comm holds 15 characters: "zarrbridge-compute-0" reads "zarrbridge-comp".
        if name.startswith("zarrbridge-io"):
            names.add("io")
        elif name.startswith("zarrbridge-comp"):
            names.add("compute")
    return names


def use_library(root: str) -> int:
    """Read through both APIs (codec work needs the compute pool); the total of the array."""
    a = zbs.open_array(root, "a")
    total = int(zbs.read_region(a).sum())

    async def read() -> int:
        chunks = await zb.read_chunks(a, [(i, j) for i in range(4) for j in range(4)])
        return sum(int(c.sum()) for c in chunks)

    assert asyncio.run(read()) == total
    return total


EXPECTED = int(np.arange(64 * 64).sum())


def wait_child(pid: int) -> int:
    deadline = time.monotonic() + CHILD_TIMEOUT
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)
    os.kill(pid, 9)
    os.waitpid(pid, 0)
    raise AssertionError(f"forked child {pid} hung")


def test_os_fork_child_gets_a_fresh_runtime_and_pool(store_dir: Path) -> None:
    make_array(store_dir)
    assert use_library(str(store_dir)) == EXPECTED
    assert library_threads() == {"io", "compute"}
    pid = os.fork()
    if pid == 0:  # child: exit status 0 only if everything held
        code = 1
        try:
            fresh = library_threads() == set()  # fork copied only the forking thread
            ok = use_library(str(store_dir)) == EXPECTED
            started = library_threads() == {"io", "compute"}
            code = 0 if fresh and ok and started else 2
        finally:
            os._exit(code)
    assert wait_child(pid) == 0


@pytest.mark.parametrize("method", ["fork", "spawn", "forkserver"])
def test_multiprocessing_children_use_the_library(store_dir: Path, method: str) -> None:
    make_array(store_dir)
    assert use_library(str(store_dir)) == EXPECTED
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(2) as pool:
        result = pool.map_async(use_library, [str(store_dir)] * 4)
        assert result.get(CHILD_TIMEOUT) == [EXPECTED] * 4


def test_process_pool_executor_children_use_the_library(store_dir: Path) -> None:
    make_array(store_dir)
    assert use_library(str(store_dir)) == EXPECTED
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("fork")) as pool:
        futures = [pool.submit(use_library, str(store_dir)) for _ in range(4)]
        assert [f.result(CHILD_TIMEOUT) for f in futures] == [EXPECTED] * 4


def test_forks_while_other_threads_call_the_library(store_dir: Path) -> None:
    """Forks land at random points of other threads' calls (runtime and pool lookups, file I/O);
    every child must still work. A lock held by a parent thread at the fork would hang it."""
    make_array(store_dir)
    stop = threading.Event()
    failures: list[BaseException] = []

    def hammer() -> None:
        a = zbs.open_array(str(store_dir), "a")
        try:
            while not stop.is_set():
                zbs.read_chunk(a, (1, 2))
                asyncio.run(zb.read_chunk(a, (2, 1)))
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=hammer) for _ in range(3)]
    for t in threads:
        t.start()
    try:
        for _ in range(30):
            time.sleep(0.005)
            pid = os.fork()
            if pid == 0:
                code = 1
                try:
                    code = 0 if use_library(str(store_dir)) == EXPECTED else 2
                finally:
                    os._exit(code)
            assert wait_child(pid) == 0
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    assert failures == []
