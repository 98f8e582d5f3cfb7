"""Ctrl-C during ``zarrbridge cp``: SIGINT to the child copying from a slow loopback S3 (moto
behind a proxy that waits before forwarding each request) makes it exit 130 within 200 ms; every
chunk it left at the destination is one complete version (byte for byte the source's stored
chunk), and ``cp --resume`` then finishes the copy, which zarr-python reads identically."""

from __future__ import annotations

import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import zarr
import zarrbridge as zb
from cli import env, run, s3_args, script
from servers import S3Server
from wire import CountingProxy
from zarrbridge import sync as zbs

CHUNKS = 400


def slow_source(s3_server: S3Server) -> tuple[str, np.ndarray, zb.Store]:
    data = np.random.default_rng(0).random((CHUNKS, 1024), dtype="float32")
    staging = zbs.create_array(
        "memory://cli-ctrl-c",
        "a",
        shape=data.shape,
        dtype="float32",
        chunks=(1, 1024),
        overwrite=True,
    )
    staging[:] = data
    url = f"s3://{s3_server.new_bucket()}/src"
    store = zb.Store.from_url(url, **s3_server.options())
    zbs.copy(staging, store, "a")
    return url, data, store


def stored_chunks(root: Path) -> dict[str, bytes]:
    """Chunk files below ``root/c`` by key relative to the array."""
    return {
        str(p.relative_to(root)): p.read_bytes() for p in (root / "c").rglob("*") if p.is_file()
    }


def test_ctrl_c_during_cp_exits_130_within_200ms_leaving_whole_chunks(
    tmp_path: Path, s3_server: S3Server
) -> None:
    url, data, source = slow_source(s3_server)
    dest = tmp_path / "dest"
    host, port = s3_server.endpoint.removeprefix("http://").split(":")
    with CountingProxy(host, int(port), delay=0.1) as proxy:
        args = ["cp", f"{url}#a", str(dest), *s3_args(s3_server, proxy.endpoint)]
        child = subprocess.Popen(
            [script(), *args],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env=env(),
        )
        try:
            deadline = time.monotonic() + 60
            while child.poll() is None and time.monotonic() < deadline:
                if (dest / "c").exists() and len(stored_chunks(dest)) >= 40:
                    break
                time.sleep(0.005)
            assert child.poll() is None, "the copy ended before it could be interrupted"
            sent = time.perf_counter()
            child.send_signal(signal.SIGINT)
            child.wait(timeout=10)
            latency = time.perf_counter() - sent
            _, err = child.communicate(timeout=10)
        finally:
            child.kill()
    print(f"\nzarrbridge cp: exit {child.returncode} {latency * 1e3:.0f} ms after SIGINT")
    assert child.returncode == 130, err
    assert err.strip().endswith("zarrbridge: interrupted"), err
    assert latency < 0.2
    left = stored_chunks(dest)
    assert 40 <= len(left) < CHUNKS, f"{len(left)} chunks copied before Ctrl-C"
    # Every chunk there is the source's stored value, whole (a write cut short can leave only
    # a temporary ``KEY#N`` file, which readers and listings ignore).
    for key, value in left.items():
        if "#" not in key:
            assert value == source.get(f"a/{key}").bytes(), key

    resumed = run("cp", "--resume", f"{url}#a", str(dest), *s3_args(s3_server))
    assert resumed.returncode == 0, resumed.stderr
    copied = zarr.open_array(zarr.storage.LocalStore(dest), mode="r")
    np.testing.assert_array_equal(copied[:], data)
