#!/usr/bin/env python3
"""Copying a group: ``zarrbridge.copy`` against a zarr-python copy loop and a raw object-store
copy of the same keys (obstore), the same group in the same run, interleaved.

    python benches/copy_group.py [--repeat N] [--quick] [--dest file,s3] [--json out.json] [--md F]

The group, written once by zarr-python to local files with consolidated metadata: 40 arrays
of 512x512 (float32, int16, uint8, float64 in turn; smooth values with noise), chunks
128x128, codecs in turn zstd, blosc lz4, gzip, none, and zstd inside 256x256 shards.
Destinations: a local directory, and S3 (``benches/s3server.py``: s3s-fs when installed,
else moto, which is pure Python and then the bottleneck). Contenders:

* ``zarrbridge``: ``zb.sync.copy(group, dest)``: every stored chunk copied untouched;
* ``zarrbridge CLI``: ``zarrbridge cp -q SOURCE DEST`` in a child process (the same copy,
  timed from the process start: interpreter, imports and the group's opening included);
* ``zarrbridge-reencode``: the same with ``compressors=zstd(3)`` (every chunk decoded and
  encoded again);
* ``zarr-python loop``: for each array, a new array like it at the destination and
  ``dst[...] = src[...]`` (what zarr-python offers: it has no copy function);
* ``zarr-python keys``: every key of the source store set into the destination store through
  zarr-python's store API (``get``/``set``, 64 at once under ``asyncio``);
* ``obstore``: every key copied with obstore (``list``, then ``get_async``/``put_async``, 64 at
  once): the raw object-store copy, no Zarr at all.

Every run writes into a fresh destination (a new directory or key prefix); what each contender
wrote is checked in the warm-up run (zarr-python reads every array back). Tables give median,
min, max seconds, MB/s of stored bytes, and each median over zarrbridge's.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import shutil
import statistics
import sys
import tempfile
import time
import uuid
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

warnings.filterwarnings("ignore", message="Consolidated metadata is currently not part")

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)

import s3server  # noqa: E402

CONCURRENCY = 64


def write_group(root: str, count: int, side: int) -> dict[str, np.ndarray]:
    import zarr
    from zarr.codecs import BloscCodec, GzipCodec, ZstdCodec

    codecs: list[dict[str, Any]] = [
        {"compressors": ZstdCodec(level=3)},
        {"compressors": BloscCodec(cname="lz4")},
        {"compressors": GzipCodec()},
        {"compressors": None},
        {"compressors": ZstdCodec(level=1), "shards": (256, 256)},
    ]
    rng = np.random.default_rng(3)
    store = zarr.storage.LocalStore(root)
    group = zarr.open_group(store, mode="w")
    smooth = np.add.outer(np.arange(side), np.arange(side)) / 7.0
    arrays = {}
    for i in range(count):
        dtype = ["float32", "int16", "uint8", "float64"][i % 4]
        data = (smooth + rng.normal(0, 2, (side, side))).astype(dtype)
        name = f"part{i // 10}/a{i:02d}"
        z = group.create_array(
            name, shape=data.shape, chunks=(128, 128), dtype=dtype, **codecs[i % len(codecs)]
        )
        z[:] = data
        arrays[name] = data
    zarr.consolidate_metadata(store)
    return arrays


def stored_bytes(root: str) -> int:
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(root) for f in fs)


class Destination:
    """Where copies go: a new place per run, as a zarrbridge URL, a zarr-python store and an
    obstore store."""

    def __init__(self, kind: str, workdir: str, server: Any) -> None:
        self.kind, self.workdir, self.server = kind, workdir, server
        self.bucket = server.new_bucket() if server else None

    def fresh(self) -> tuple[str, Any, Any]:
        name = uuid.uuid4().hex[:10]
        if self.kind == "file":
            import obstore.store
            import zarr

            path = os.path.join(self.workdir, name)
            os.makedirs(path)
            return path, zarr.storage.LocalStore(path), obstore.store.LocalStore(path)
        import obstore.store
        import zarr

        obs = obstore.store.S3Store(
            self.bucket, prefix=name, config=self.s3_config(), client_options={"allow_http": True}
        )
        url = f"s3://{self.bucket}/{name}"
        return url, zarr.storage.ObjectStore(obs), obs

    def zb_store(self, url: str) -> Any:
        import zarrbridge as zb

        if self.kind == "file":
            return zb.Store.from_url(url)
        return zb.Store.from_url(url, config=self.s3_config(), client_options={"allow_http": True})

    def s3_config(self) -> dict[str, Any]:
        return {
            "endpoint": self.server.endpoint,
            "access_key_id": s3server.ACCESS_KEY,
            "secret_access_key": s3server.SECRET_KEY,
            "region": s3server.REGION,
            "virtual_hosted_style_request": False,
        }


def zarrbridge_copy(source: str, dest: Destination, reencode: bool) -> Callable[[], Any]:
    import zarrbridge as zb
    from zarr.codecs import ZstdCodec

    def run() -> Any:
        url, zstore, _ = dest.fresh()
        target = dest.zb_store(url)
        group = zb.sync.open_group(source)
        t0 = time.perf_counter()
        if reencode:
            zb.sync.copy(group, target, compressors=ZstdCodec(level=3))
        else:
            zb.sync.copy(group, target)
        return time.perf_counter() - t0, zstore

    return run


def zarrbridge_cli(source: str, dest: Destination) -> Callable[[], Any]:
    import subprocess
    import sysconfig

    script = os.path.join(sysconfig.get_path("scripts"), "zarrbridge")

    def run() -> Any:
        url, zstore, _ = dest.fresh()
        options: list[str] = []
        if dest.kind != "file":
            options = [
                f"--option={k}={str(v).lower() if isinstance(v, bool) else v}"
                for k, v in dest.s3_config().items()
            ]
            options.append("--client-option=allow_http=true")
        t0 = time.perf_counter()
        subprocess.run(
            [script, "cp", "-q", source, url, *options], check=True, stdout=subprocess.DEVNULL
        )
        return time.perf_counter() - t0, zstore

    return run


def zarr_python_loop(source: str, dest: Destination) -> Callable[[], Any]:
    import zarr

    def run() -> Any:
        _, zstore, _ = dest.fresh()
        t0 = time.perf_counter()
        src = zarr.open_group(source, mode="r")
        out = zarr.open_group(zstore, mode="w")
        for path, arr in src.members(max_depth=None):
            if isinstance(arr, zarr.Group):
                out.require_group(path)
                continue
            new = out.create_array(
                path,
                shape=arr.shape,
                chunks=arr.chunks,
                shards=arr.shards,
                dtype=arr.dtype,
                compressors=arr.compressors,
                filters=arr.filters,
                fill_value=arr.fill_value,
            )
            new[...] = arr[...]
        zarr.consolidate_metadata(zstore)
        return time.perf_counter() - t0, zstore

    return run


def zarr_python_keys(source: str, dest: Destination) -> Callable[[], Any]:
    import zarr
    from zarr.core.buffer import default_buffer_prototype

    async def copy_keys(src: Any, dst: Any) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(key: str) -> None:
            async with gate:
                value = await src.get(key, prototype=default_buffer_prototype())
                await dst.set(key, value)

        keys = [k async for k in src.list()]
        await asyncio.gather(*(one(k) for k in keys))

    def run() -> Any:
        _, zstore, _ = dest.fresh()
        src = zarr.storage.LocalStore(source, read_only=True)
        t0 = time.perf_counter()
        asyncio.run(copy_keys(src, zstore))
        return time.perf_counter() - t0, zstore

    return run


def obstore_keys(source: str, dest: Destination) -> Callable[[], Any]:
    import obstore
    import obstore.store

    async def copy_keys(src: Any, dst: Any) -> None:
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(key: str) -> None:
            async with gate:
                value = await (await obstore.get_async(src, key)).bytes_async()
                await obstore.put_async(dst, key, value)

        keys = [m["path"] for page in obstore.list(src) for m in page]
        await asyncio.gather(*(one(k) for k in keys))

    def run() -> Any:
        _, zstore, obs = dest.fresh()
        src = obstore.store.LocalStore(source)
        t0 = time.perf_counter()
        asyncio.run(copy_keys(src, obs))
        return time.perf_counter() - t0, zstore

    return run


def check(zstore: Any, arrays: dict[str, np.ndarray], what: str) -> None:
    import zarr

    group = zarr.open_group(zstore, mode="r")
    for name, data in arrays.items():
        np.testing.assert_array_equal(group[name][...], data, err_msg=f"{what}: {name}")


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--quick", action="store_true", help="10 arrays of 256x256, 2 rounds")
    p.add_argument("--dest", default="file,s3")
    p.add_argument("--s3-server", default="auto", choices=["auto", "s3s-fs", "moto"])
    p.add_argument("--json")
    p.add_argument("--md")
    args = p.parse_args()
    count, side = (10, 256) if args.quick else (40, 512)
    repeat = 2 if args.quick else args.repeat
    workdir = tempfile.mkdtemp(prefix="zb-copy-")
    server = None
    results = []
    lines = []
    try:
        source = os.path.join(workdir, "source")
        arrays = write_group(source, count, side)
        size = stored_bytes(source)
        for kind in args.dest.split(","):
            if kind == "s3" and server is None:
                server = s3server.start(args.s3_server, workdir)
            dest = Destination(
                kind, os.path.join(workdir, "dest"), server if kind == "s3" else None
            )
            os.makedirs(dest.workdir, exist_ok=True)
            contenders = {
                "zarrbridge": zarrbridge_copy(source, dest, reencode=False),
                "zarrbridge CLI": zarrbridge_cli(source, dest),
                "zarrbridge-reencode": zarrbridge_copy(source, dest, reencode=True),
                "zarr-python loop": zarr_python_loop(source, dest),
                "zarr-python keys": zarr_python_keys(source, dest),
                "obstore": obstore_keys(source, dest),
            }
            times: dict[str, list[float]] = {name: [] for name in contenders}
            for round_ in range(repeat + 1):
                for name, run in contenders.items():
                    took, written = run()
                    if round_ == 0:
                        check(written, arrays, f"{name} to {kind}")
                    else:
                        times[name].append(took)
                if kind == "file":
                    shutil.rmtree(dest.workdir)
                    os.makedirs(dest.workdir)
            label = kind if kind == "file" else f"s3 ({server.label})"
            lines += [
                f"### file -> {label}: {count} arrays, {size / 1e6:.1f} MB stored, {repeat} rounds",
                "",
                "| contender | median s | min | max | MB/s | x zarrbridge |",
                "|---|---|---|---|---|---|",
            ]
            base = statistics.median(times["zarrbridge"])
            for name, ts_ in times.items():
                med = statistics.median(ts_)
                results.append({"dest": kind, "contender": name, "times": ts_, "median": med})
                lines.append(
                    f"| {name} | {med:.3f} | {min(ts_):.3f} | {max(ts_):.3f} | "
                    f"{size / med / 1e6:.0f} | {med / base:.2f} |"
                )
            lines.append("")
    finally:
        if server is not None:
            server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    header = f"group copy ({platform.machine()}, {os.cpu_count()} CPUs, shared machine; medians)\n"
    report = header + "\n" + "\n".join(lines)
    print(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"count": count, "side": side, "results": results}, f, indent=1)
    if args.md:
        with open(args.md, "w") as f:
            f.write(report + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
