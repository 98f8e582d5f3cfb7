"""10,000 concurrent ``read_chunk`` awaits on a file store and on a memory store all return the
right chunk, with bounded threads and file descriptors (no thread per operation; the file store
admits a fixed number of operations at once). Peak figures: ``scripts/measure_async.py``."""

from __future__ import annotations

import os
import threading
import uuid
from pathlib import Path

import anyio
import numpy as np
import pytest
import zarrbridge as zb

pytestmark = pytest.mark.anyio

N = 10_000
MAX_THREADS = 64
MAX_EXTRA_FDS = 64


def threads_now() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("Threads:"):
                return int(line.split()[1])
    raise AssertionError("no Threads line in /proc/self/status")


def fds_now() -> int:
    return len(os.listdir("/proc/self/fd"))


class Peaks:
    """Samples thread and descriptor counts every few milliseconds on a thread of its own."""

    def __init__(self) -> None:
        self.threads = self.fds = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.002):
            self.threads = max(self.threads, threads_now())
            self.fds = max(self.fds, fds_now())

    def __enter__(self) -> Peaks:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@pytest.mark.parametrize("kind", ["file", "memory"])
async def test_ten_thousand_concurrent_chunk_reads(
    kind: str, store_dir: Path, anyio_backend: str
) -> None:
    store = str(store_dir) if kind == "file" else f"memory://scale-{uuid.uuid4().hex}"
    array = await zb.create_array(store, "a", shape=(N, 16), dtype="int32", chunks=(1, 16))
    coords = [(i, 0) for i in range(N)]
    await zb.write_chunks(array, coords, [np.full((1, 16), i, "int32") for i in range(N)])
    fds_before = fds_now()
    results: list[np.ndarray | None] = [None] * N

    async def read(i: int) -> None:
        results[i] = await zb.read_chunk(array, (i, 0))

    with Peaks() as peaks:
        async with anyio.create_task_group() as tg:
            for i in range(N):
                tg.start_soon(read, i)
    print(f"\n{kind}/{anyio_backend}: peak threads {peaks.threads}, fds {peaks.fds}")
    for i, r in enumerate(results):
        assert r is not None and r.shape == (1, 16) and (r == i).all(), i
    assert peaks.threads < MAX_THREADS
    assert peaks.fds < fds_before + MAX_EXTRA_FDS
