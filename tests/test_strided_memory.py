"""A strided read holds its result, not the box around it: reading ``a[::64, ::64]`` of a 1 GiB
array (chunks of 4 MiB, compressed with zstd) in a fresh process raises its resident set's
high-water mark by less than twice the result plus one chunk per compute thread. Before, the
read decoded the whole 1 GiB bounding box into memory first."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import zarrbridge as zb

pytestmark = pytest.mark.slow

SIDE = 16384  # float32: 1 GiB
CHUNK = 1024  # 4 MiB chunks
STEP = 64


def test_a_strided_read_of_1_gib_needs_its_result_and_a_chunk_per_thread(tmp_path: Path) -> None:
    path = tmp_path / "big.zarr"
    array = zb.sync.create_array(
        path, shape=(SIDE, SIDE), dtype="float32", chunks=(CHUNK, CHUNK), compressors="auto"
    )
    rows = np.arange(CHUNK, dtype="float32")[:, None]
    coords = [(i, j) for i in range(SIDE // CHUNK) for j in range(SIDE // CHUNK)]
    for batch in range(0, len(coords), 16):
        picked = coords[batch : batch + 16]
        # Each row holds one value: every chunk is stored, compressed well, and decoded whole.
        blocks = [np.broadcast_to(rows + i * CHUNK + j, (CHUNK, CHUNK)) for i, j in picked]
        zb.sync.write_chunks(array, picked, blocks)
    child = Path(__file__).with_name("_strided_child.py")
    out = subprocess.run(
        [sys.executable, str(child), str(path), str(STEP)],
        capture_output=True,
        text=True,
        check=True,
        timeout=600,
    )
    report = json.loads(out.stdout)
    result = (SIDE // STEP) ** 2 * 4
    assert report["result_bytes"] == result and report["shape"] == [SIDE // STEP] * 2
    last = SIDE - STEP  # the last row and column read
    assert report["last"] == (last % CHUNK) + (last // CHUNK) * CHUNK + (last // CHUNK)
    threads = len(os.sched_getaffinity(0))
    bound = 2 * result + threads * CHUNK * CHUNK * 4
    growth = report["peak"] - report["rss_before"]
    assert growth < bound, (
        f"the read raised the peak resident set by {growth / 2**20:.1f} MiB; bound "
        f"{bound / 2**20:.1f} MiB (2 x the {result / 2**10:.0f} KiB result + {threads} chunks)"
    )
