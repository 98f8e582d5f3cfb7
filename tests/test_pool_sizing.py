"""Every pool and concurrency limit follows the cores the process may use: its CPU affinity
(``taskset``) and its cgroup CPU quota. The sizing rules themselves are unit-tested over
simulated core counts in ``crates/zarrbridge-core/src/sizing.rs``; here a real process is
restricted and the library's sizes and its live threads are read back."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

CHILD = """
import json, os, threading
import numpy as np
from zarrbridge import _native
from zarrbridge import sync as zbs

a = zbs.create_array("memory://sizing", "a", shape=(64, 64), chunks=(8, 8), dtype="int32")
zbs.write_region(a, ..., np.ones((64, 64), "int32"))  # starts both pools
assert zbs.read_region(a).sum() == 64 * 64
names = [open(f"/proc/self/task/{t}/comm").read().strip() for t in os.listdir("/proc/self/task")]
print(json.dumps({
    "sizes": _native.pool_sizes(),
    "affinity": len(os.sched_getaffinity(0)),
    "compute": sum(n.startswith("zarrbridge-comp") for n in names),
    "io": sum(n == "zarrbridge-io" for n in names),
}))
"""


def run_child(prefix: list[str]) -> dict[str, object]:
    out = subprocess.run(
        [*prefix, sys.executable, "-c", CHILD], check=True, capture_output=True, text=True
    )
    result: dict[str, object] = json.loads(out.stdout)
    return result


def expected(cores: int) -> dict[str, int]:
    """The rules of `Sizing::for_cores` (crates/zarrbridge-core/src/sizing.rs)."""
    return {
        "cores": cores,
        "compute_threads": cores,
        "io_threads": max(cores // 4, 2),
        "file_io_concurrency": min(max(4 * cores, 16), 256),
        "chunk_concurrency": max(4 * cores, 64),
    }


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="/proc and sched_getaffinity")
def test_pools_follow_the_cpu_affinity_of_the_process() -> None:
    usable = sorted(os.sched_getaffinity(0))
    for count in sorted({1, len(usable)}):
        cpus = ",".join(str(c) for c in usable[:count])
        found = run_child(["taskset", "-c", cpus] if shutil.which("taskset") else [])
        cores = found["affinity"]
        assert isinstance(cores, int)
        assert found["sizes"] == expected(cores)
        # The threads that exist are the ones sized (the tokio workers may start lazily).
        assert found["compute"] == cores
        assert 1 <= found["io"] <= expected(cores)["io_threads"]  # type: ignore[operator]


def _quota_group() -> tuple[Path, str, dict[str, str]] | None:
    """Where this machine lets us make a CPU-limited cgroup: (parent, file to join, files to
    write for one CPU's worth of time), for cgroup v2 or v1; None if it does not (not root)."""
    v2 = Path("/sys/fs/cgroup")
    if (v2 / "cgroup.subtree_control").exists():
        if "cpu" in (v2 / "cgroup.subtree_control").read_text().split() and os.access(v2, os.W_OK):
            return v2, "cgroup.procs", {"cpu.max": "100000 100000"}
        return None
    v1 = Path("/sys/fs/cgroup/cpu")
    if (v1 / "cpu.cfs_quota_us").exists() and os.access(v1, os.W_OK):
        return v1, "tasks", {"cpu.cfs_period_us": "100000", "cpu.cfs_quota_us": "100000"}
    return None


@pytest.mark.skipif(_quota_group() is None, reason="needs a writable cgroup cpu controller (root)")
def test_pools_follow_a_cgroup_cpu_quota() -> None:
    found_group = _quota_group()
    assert found_group is not None
    parent, join, limits = found_group
    group = parent / f"zarrbridge-sizing-{uuid.uuid4().hex[:8]}"
    group.mkdir()
    try:
        for name, value in limits.items():
            (group / name).write_text(value)
        # The child moves itself into the group before Python starts.
        shell = f'echo $$ > {group / join} && exec "$@"'
        found = run_child(["sh", "-c", shell, "sh"])
        assert found["affinity"] == len(os.sched_getaffinity(0))  # not restricted that way
        assert found["sizes"] == expected(1)
        assert found["compute"] == 1
    finally:
        group.rmdir()
