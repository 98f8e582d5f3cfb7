#!/usr/bin/env python3
"""Reads from an object store over a network that behaves like one: zarrbridge against
tensorstore, zarr-python (obstore) and zarrista (obstore), in one run, interleaved.

    sudo python benches/cloud.py [--repeat N] [--rate 200mbit] [--rtt-ms 20]
                                 [--json out.json] [--md out.md] [--libs zarrbridge,...]

The S3 server (moto) runs in its own network namespace, reached over a veth pair whose both
ends are limited with ``tc qdisc ... tbf`` (this kernel has no ``netem``); latency comes from
a proxy in front of it that waits before forwarding each request (``tests/wire.py``), and
counts every request and every byte the server sends back, whoever the client is. Needs root
(``ip netns``, ``tc``); the addresses are on a private /30 that exists only between the two
ends of the pair.

Cases (every library reads the same data, written once by zarr-python):

* ``region``: a 200x300 region (3x3 inner chunks of 64 KiB) of a 16 MiB shard, another one
  in each run, through an array opened once (as a program reading many regions does: a
  library that keeps shard indexes reads each index once).
* ``region-reopened``: the same, each run through a freshly opened array (every library
  reads the shard index every time).
* ``whole``: the whole array (2 shards, 32 MiB, 15 MB stored).
* ``open-list``: open a group of 50 arrays with consolidated metadata and list its arrays
  (names and shapes).

Opening an array is not timed; opening the group is (``open-list``). Tables give median, min
and max seconds, bytes the server sent (median), requests of the last run by kind, and each
library's median over zarrbridge's. The machine is shared with other work: compare medians.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import platform
import random
import statistics
import subprocess
import sys
import time
import uuid
import warnings
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))

from wire import CountingProxy  # noqa: E402

ACCESS_KEY, SECRET_KEY, REGION = "AKIABENCHKEY0000", "bench-secret-key", "us-east-1"
SHAPE, SHARDS, CHUNKS = (2048, 4096), (2048, 2048), (128, 128)
N_ARRAYS = 50


def log(*args: Any) -> None:
    print(*args, file=sys.stderr, flush=True)


def sh(*argv: str, ns: str | None = None) -> None:
    cmd = (["ip", "netns", "exec", ns] if ns else []) + list(argv)
    subprocess.run(cmd, check=True, capture_output=True)


class Link:
    """A network namespace reached over a veth pair, both ends shaped by ``tbf``."""

    def __init__(self, rate: str) -> None:
        tag = uuid.uuid4().hex[:6]
        self.ns = f"zbc{tag}"
        self.outer, self.inner = f"zbc{tag}a", f"zbc{tag}b"
        octet = random.randrange(0, 64) * 4
        self.outer_ip, self.inner_ip = f"10.203.{octet % 256}.1", f"10.203.{octet % 256}.2"
        self.rate = rate

    def __enter__(self) -> Link:
        sh("ip", "netns", "add", self.ns)
        try:
            sh("ip", "link", "add", self.outer, "type", "veth", "peer", "name", self.inner)
            sh("ip", "link", "set", self.inner, "netns", self.ns)
            sh("ip", "addr", "add", f"{self.outer_ip}/30", "dev", self.outer)
            sh("ip", "link", "set", self.outer, "up")
            sh("ip", "addr", "add", f"{self.inner_ip}/30", "dev", self.inner, ns=self.ns)
            sh("ip", "link", "set", self.inner, "up", ns=self.ns)
            sh("ip", "link", "set", "lo", "up", ns=self.ns)
            for dev, ns in ((self.outer, None), (self.inner, self.ns)):
                sh(
                    "tc", "qdisc", "add", "dev", dev, "root", "tbf", "rate", self.rate,
                    "burst", "64kb", "latency", "50ms", ns=ns,
                )  # fmt: skip
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *exc: Any) -> None:
        with contextlib.suppress(subprocess.CalledProcessError):
            sh("ip", "link", "del", self.outer)
        with contextlib.suppress(subprocess.CalledProcessError):
            sh("ip", "netns", "del", self.ns)


@contextlib.contextmanager
def s3_server(link: Link) -> Iterator[tuple[str, int]]:
    """moto, inside the namespace, listening on its end of the pair."""
    port = 9000
    proc = subprocess.Popen(
        ["ip", "netns", "exec", link.ns, sys.executable, "-m", "moto.server",
         "-H", link.inner_ip, "-p", str(port)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 60
        while True:
            with contextlib.suppress(OSError):
                import socket

                socket.create_connection((link.inner_ip, port), timeout=1).close()
                break
            if time.monotonic() > deadline or proc.poll() is not None:
                raise RuntimeError("the S3 server did not come up")
            time.sleep(0.2)
        yield link.inner_ip, port
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@dataclass
class Where:
    endpoint: str
    bucket: str

    def config(self) -> dict[str, Any]:
        return {
            "endpoint": self.endpoint,
            "access_key_id": ACCESS_KEY,
            "secret_access_key": SECRET_KEY,
            "region": REGION,
            "virtual_hosted_style_request": False,
        }

    def obstore(self) -> Any:
        import obstore.store

        return obstore.store.S3Store(
            self.bucket, config=self.config(), client_options={"allow_http": True}
        )


# --- the libraries ------------------------------------------------------------------------


class Peer:
    name = ""
    note = ""

    def __init__(self, where: Where) -> None:
        self.where = where

    async def open_array(self, path: str) -> Any:
        raise NotImplementedError

    async def read(self, handle: Any, selection: Any) -> np.ndarray:
        raise NotImplementedError

    async def open_and_list(self, path: str) -> list[tuple[str, tuple[int, ...]]]:
        raise NotImplementedError


class ZarrBridge(Peer):
    name = "zarrbridge"

    def __init__(self, where: Where) -> None:
        super().__init__(where)
        import zarrbridge as zb

        self.zb = zb
        self.store = zb.Store.from_url(
            f"s3://{where.bucket}", config=where.config(), client_options={"allow_http": True}
        )

    async def open_array(self, path: str) -> Any:
        return await self.zb.open_array(self.store, path)

    async def read(self, handle: Any, selection: Any) -> np.ndarray:
        return await self.zb.read_region(handle, selection)

    async def open_and_list(self, path: str) -> list[tuple[str, tuple[int, ...]]]:
        group = await self.zb.open_group(self.store, path)
        return [(c.name, c.shape) for c in await self.zb.list_children(group)]


class ZarrPython(Peer):
    name = "zarr-python (obstore)"

    def __init__(self, where: Where) -> None:
        super().__init__(where)
        import zarr
        from zarr.storage import ObjectStore

        self.zarr = zarr
        self.store = ObjectStore(where.obstore(), read_only=True)

    async def open_array(self, path: str) -> Any:
        return await self.zarr.api.asynchronous.open_array(store=self.store, path=path, mode="r")

    async def read(self, handle: Any, selection: Any) -> np.ndarray:
        return np.asarray(await handle.getitem(selection))

    async def open_and_list(self, path: str) -> list[tuple[str, tuple[int, ...]]]:
        group = await self.zarr.api.asynchronous.open_group(store=self.store, path=path, mode="r")
        return [(name, tuple(node.shape)) async for name, node in group.arrays()]


class TensorStore(Peer):
    name = "tensorstore"
    note = "no consolidated metadata: lists the keys, then opens each array"

    def __init__(self, where: Where) -> None:
        super().__init__(where)
        import tensorstore as ts

        self.ts = ts
        os.environ.update(AWS_ACCESS_KEY_ID=ACCESS_KEY, AWS_SECRET_ACCESS_KEY=SECRET_KEY)

    def kvstore(self, path: str) -> dict[str, Any]:
        return {
            "driver": "s3",
            "bucket": self.where.bucket,
            "path": path.rstrip("/") + "/",
            "endpoint": self.where.endpoint,
            "aws_region": REGION,
            "aws_credentials": {"type": "environment"},
        }

    async def open_array(self, path: str) -> Any:
        spec = {"driver": "zarr3", "kvstore": self.kvstore(path), "open": True}
        return await self.ts.open(spec, read=True, context=self.ts.Context())

    async def read(self, handle: Any, selection: Any) -> np.ndarray:
        return np.asarray(await handle[selection].read())

    async def open_and_list(self, path: str) -> list[tuple[str, tuple[int, ...]]]:
        kv = await self.ts.KvStore.open(self.kvstore(path))
        keys = [k.decode() for k in await kv.list()]
        names = sorted(
            {k.split("/")[0] for k in keys if k.endswith("/zarr.json") and k.count("/") == 1}
        )
        arrays = await asyncio.gather(*(self.open_array(f"{path}/{n}") for n in names))
        return [(n, tuple(a.shape)) for n, a in zip(names, arrays, strict=True)]


class Zarrista(Peer):
    name = "zarrista (obstore)"

    def __init__(self, where: Where) -> None:
        super().__init__(where)
        import zarrista

        self.zarrista = zarrista
        self.store = where.obstore()

    async def open_array(self, path: str) -> Any:
        return await self.zarrista.AsyncArray.open(self.store, f"/{path}")

    async def read(self, handle: Any, selection: Any) -> np.ndarray:
        return np.asarray(await handle.retrieve_array_subset(selection))

    async def open_and_list(self, path: str) -> list[tuple[str, tuple[int, ...]]]:
        group = await self.zarrista.AsyncGroup.open(self.store, f"/{path}")
        arrays = await group.child_arrays()
        listed = [(a.path.rsplit("/", 1)[-1], tuple(a.shape)) for a in arrays]
        return sorted(listed)


PEERS: dict[str, type[Peer]] = {
    "zarrbridge": ZarrBridge,
    "tensorstore": TensorStore,
    "zarr-python": ZarrPython,
    "zarrista": Zarrista,
}


# --- data -----------------------------------------------------------------------------------


def write_data(where: Where) -> np.ndarray:
    """The array (zarr-python, the neutral writer: zstd 1, 10 random low bits) and the group of
    50 arrays with consolidated metadata."""
    import zarr
    from zarr.storage import ObjectStore

    store = ObjectStore(where.obstore())
    rng = np.random.default_rng(0)
    data = (rng.integers(0, 1 << 10, SHAPE, dtype="uint32") + (1 << 20)).astype("float32")
    codec = zarr.codecs.ZstdCodec(level=1)
    z = zarr.create_array(
        store, name="big", shape=SHAPE, dtype="float32", chunks=CHUNKS, shards=SHARDS,
        compressors=[codec],
    )  # fmt: skip
    z[:] = data
    group = zarr.create_group(store, path="ds")
    for i in range(N_ARRAYS):
        group.create_array(f"var{i:02d}", shape=(100, 20), dtype="float32", chunks=(100, 20))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "not part of the Zarr v3 specification yet"
        zarr.consolidate_metadata(store, path="ds")
    return data


# --- timing -----------------------------------------------------------------------------------


@dataclass
class Row:
    peer: str
    note: str = ""
    seconds: list[float] = field(default_factory=list)
    bytes_in: list[int] = field(default_factory=list)
    requests: list[int] = field(default_factory=list)
    kinds: dict[str, int] = field(default_factory=dict)
    error: str = ""

    def median(self, values: list[Any]) -> float:
        return float(statistics.median(values)) if values else float("nan")


def region(round_: int) -> tuple[slice, slice]:
    """A different 200x300 region (3x3 inner chunks) of the second shard in each round."""
    row, col = 128 * (1 + round_ % 12), 2048 + 128 * (1 + (5 * round_) % 12)
    return slice(row + 60, row + 260), slice(col + 20, col + 320)


async def one_run(
    peer: Peer, case: str, proxy: CountingProxy, data: np.ndarray, round_: int
) -> tuple[float, int, dict[str, int]]:
    if case == "open-list":
        proxy.reset()
        t0 = time.perf_counter()
        listed = await peer.open_and_list("ds")
        elapsed = time.perf_counter() - t0
        expected = [(f"var{i:02d}", (100, 20)) for i in range(N_ARRAYS)]
        if listed != expected:
            raise AssertionError(f"{peer.name} listed {listed[:3]}...")
    else:
        if case == "region-reopened":
            handle = await peer.open_array("big")
        else:
            if not hasattr(peer, "_handle"):
                peer._handle = await peer.open_array("big")  # type: ignore[attr-defined]
            handle = peer._handle  # type: ignore[attr-defined]
        selection = region(round_) if case.startswith("region") else (slice(None), slice(None))
        proxy.reset()
        t0 = time.perf_counter()
        got = await peer.read(handle, selection)
        elapsed = time.perf_counter() - t0
        if not np.array_equal(got, data[selection]):
            raise AssertionError(f"{peer.name} read wrong values")
    return elapsed, proxy.raw_in, proxy.kinds()


async def run_case(
    case: str, peers: list[Peer], proxy: CountingProxy, data: np.ndarray, repeat: int
) -> list[Row]:
    rows = {p.name: Row(p.name, p.note) for p in peers}
    for round_ in range(repeat + 1):  # round 0: warm-up (connections, checks), not kept
        order = peers[round_ % len(peers) :] + peers[: round_ % len(peers)]
        for peer in order:
            row = rows[peer.name]
            if row.error:
                continue
            try:
                seconds, bytes_in, kinds = await one_run(peer, case, proxy, data, round_)
            except Exception as e:  # a library that cannot do it gets a row saying why
                row.error = f"{type(e).__name__}: {e}"[:200]
                continue
            if round_:
                row.seconds.append(seconds)
                row.bytes_in.append(bytes_in)
                row.requests.append(sum(kinds.values()))
                row.kinds = kinds
        log(f"  {case}: round {round_} done")
    return list(rows.values())


def table(case: str, rows: list[Row]) -> tuple[str, list[str]]:
    ours = next((r for r in rows if r.peer == "zarrbridge" and r.seconds), None)
    lines = [
        f"#### {case}",
        "",
        "| library | median s | min s | max s | bytes from server (median) | requests "
        "(last run, by kind) | median / zarrbridge's |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        if r.error or not r.seconds:
            lines.append(f"| {r.peer} | — | — | — | — | — | {r.error or 'no runs'} |")
            continue
        ratio = r.median(r.seconds) / ours.median(ours.seconds) if ours else float("nan")
        note = f" ({r.note})" if r.note and case == "open-list" else ""
        kinds = ", ".join(f"{k} {n}" for k, n in sorted(r.kinds.items()))
        lines.append(
            f"| {r.peer}{note} | {r.median(r.seconds):.4f} | {min(r.seconds):.4f} | "
            f"{max(r.seconds):.4f} | {int(r.median(r.bytes_in)):,} | "
            f"{int(r.median(r.requests))} ({kinds}) | {ratio:.2f} |"
        )
    verdicts = []
    if ours:
        others = [r for r in rows if r.seconds and r is not ours]
        least = min(r.median(r.bytes_in) for r in [ours, *others])
        moved = ours.median(ours.bytes_in)
        verdicts.append(
            f"{case}: bytes {moved:,.0f} vs least {least:,.0f} "
            f"({moved / least:.2f}x, target <= 1.1x): {'met' if moved <= 1.1 * least else 'MISSED'}"
        )
        slower = [r.peer for r in others if r.median(r.seconds) <= ours.median(ours.seconds)]
        verdicts.append(
            f"{case}: time ahead of every library: "
            + ("met" if not slower else f"MISSED (not ahead of {', '.join(slower)})")
        )
    return "\n".join(lines) + "\n", verdicts


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--rate", default="200mbit", help="tbf rate of each end of the link")
    p.add_argument("--rtt-ms", type=float, default=20.0, help="added before each request")
    p.add_argument("--cases", default="region,region-reopened,whole,open-list")
    p.add_argument("--libs", default=",".join(PEERS))
    p.add_argument(
        "--zb-max-gap", type=int, default=None, help="zarrbridge's coalescing gap (bytes)"
    )
    p.add_argument("--json")
    p.add_argument("--md")
    args = p.parse_args(argv)
    if os.geteuid() != 0:
        p.error("needs root: it makes a network namespace and shapes its link")
    cases = [c for c in args.cases.split(",") if c]
    if args.zb_max_gap is not None:
        import zarrbridge

        zarrbridge.set_read_coalescing(max_gap_bytes=args.zb_max_gap)
    with contextlib.ExitStack() as stack:
        link = stack.enter_context(Link(args.rate))
        host, port = stack.enter_context(s3_server(link))
        proxy = stack.enter_context(CountingProxy(host, port, delay=args.rtt_ms / 1000))
        where = Where(proxy.endpoint, f"bench-{uuid.uuid4().hex[:8]}")
        import boto3

        boto3.client(
            "s3", endpoint_url=f"http://{host}:{port}", aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY, region_name=REGION,
        ).create_bucket(Bucket=where.bucket)  # fmt: skip
        log("writing the data (zarr-python) ...")
        data = write_data(where)
        peers: list[Peer] = []
        for key in args.libs.split(","):
            try:
                peers.append(PEERS[key](where))
            except ImportError as e:
                log(f"skipping {key}: {e}")
        results: dict[str, list[Row]] = {}
        for case in cases:
            log(f"case {case} ...")
            results[case] = asyncio.run(run_case(case, peers, proxy, data, args.repeat))
    out = [
        f"Cloud-like reads: {args.rate} each way (tbf), {args.rtt_ms:g} ms added before each "
        f"request, moto in a network namespace; {args.repeat} timed runs after 1 warm-up, "
        f"interleaved; machine shared (medians). Python {platform.python_version()}.",
        "",
    ]
    verdicts: list[str] = []
    for case, rows in results.items():
        text, v = table(case, rows)
        out.append(text)
        verdicts += v
    out += ["Targets:", *[f"- {v}" for v in verdicts]]
    report = "\n".join(out)
    print(report)
    if args.md:
        with open(args.md, "w") as f:
            f.write(report + "\n")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({c: [r.__dict__ for r in rows] for c, rows in results.items()}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
