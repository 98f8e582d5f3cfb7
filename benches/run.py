#!/usr/bin/env python3
"""zarrbridge vs zarr-python, zarr-python + zarrs pipeline and tensorstore, in one run.

    python benches/run.py [--quick] [--cases a,a2,b,c,d,e,f,g,s] [--repeat N] [--json out.json]
                          [--md out.md] [--libs zarrbridge,tensorstore,...] [--cold]
                          [--s3-server auto|s3s-fs|moto] [--e-size N] [--first-n 20]

Every case runs every library in this process, interleaved round-robin (warm-up of each, then
run 1 of each, run 2 of each, ...) so that drift on a shared machine hits all libraries alike;
cases (f) (peak memory) and (g) (first read, p10/p50/p90) run each library in fresh
subprocesses. See benches/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from typing import Any

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)

from bounds import (  # noqa: E402
    Pool,
    chunk_objects,
    decode_bound,
    encode_bound,
    file_write_bound,
    memcpy_fresh,
    memcpy_warm,
    raw_get_all,
    raw_put_all,
    ref_read,
    ref_read_chunk_loop,
    ref_write,
    stored_files,
)
from libs import (  # noqa: E402
    ArraySpec,
    Lib,
    Location,
    TensorStore,
    Unsupported,
    ZarrBridge,
    ZarrPython,
    all_libs,
    purge_trash,
)
from remote import RemoteLib, ensure_env  # noqa: E402
from report import Row, Table, Target, fmt_targets  # noqa: E402
from reps import OPS, check_chunks, check_equal  # noqa: E402

ALL_CASES = ["a", "a2", "b", "c", "d", "e", "f", "g", "s"]
BASELINE = "zarrbridge-baseline"  # --baseline: another zarrbridge build, run in a child
OURS = ["zarrbridge", BASELINE]
Rep = Callable[[bool], float]  # one timed run; the flag asks it to check its result too


def log(*a: Any) -> None:
    print(*a, file=sys.stderr, flush=True)


# --- data ----------------------------------------------------------------------------------------


def random_ish(shape: tuple[int, ...], dtype: str, bits: int, seed: int = 0) -> np.ndarray:
    """Noise with ``bits`` random low bits per element: zstd gets a modest ratio, like sensors."""
    rng = np.random.default_rng(seed)
    return rng.integers(0, 2**bits, size=shape, dtype=dtype)


def compressible(shape: tuple[int, ...], dtype: str) -> np.ndarray:
    """A smooth ramp with runs of 16 equal values along the last axis: zstd shrinks it ~100x."""
    z, y, x = np.ogrid[: shape[0], : shape[1], : shape[2]]
    return ((z + y + x // 16) % 4096).astype(dtype)


def inner_chunks(spec: ArraySpec, data: np.ndarray) -> list[np.ndarray]:
    """Every (inner) chunk of ``data`` as a C-contiguous array (for the encode bound)."""
    grid = [-(-s // c) for s, c in zip(spec.shape, spec.chunks, strict=True)]
    return [
        np.ascontiguousarray(
            data[tuple(slice(i * c, (i + 1) * c) for i, c in zip(idx, spec.chunks, strict=True))]
        )
        for idx in np.ndindex(*grid)
    ]


# --- context -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Ctx:
    args: argparse.Namespace
    work: str
    libs: dict[str, Lib]
    threads: int
    loop: asyncio.AbstractEventLoop
    pools: dict[int, Pool]
    tables: list[Table] = dataclasses.field(default_factory=list)
    targets: list[Target] = dataclasses.field(default_factory=list)
    extra: dict[str, Any] = dataclasses.field(default_factory=dict)
    datasets: dict[str, Location] = dataclasses.field(default_factory=dict)

    def lib(self, key: str) -> Lib | None:
        return self.libs.get(key)

    def location(self, *parts: str) -> Location:
        return Location(kind="file", path=os.path.join(self.work, *parts))

    def dataset(self, name: str, spec: ArraySpec, data: np.ndarray) -> Location:
        """The array every library reads in a case, written once by zarr-python (neutral)."""
        if name not in self.datasets:
            loc = self.location(name, "reference")
            loc.clear()
            writer = ZarrPython()
            t0 = time.perf_counter()
            with writer.context():
                writer.write(writer.create(loc, spec), data)
            log(f"  dataset {name}: written by zarr-python in {time.perf_counter() - t0:.1f} s")
            self.datasets[name] = loc
        return self.datasets[name]

    def npy(self, name: str, data: np.ndarray) -> str:
        """``data`` saved once as ``.npy`` in the work dir, for a library in a child process."""
        path = os.path.join(self.work, f"data-{name}.npy")
        if not os.path.exists(path):
            np.save(path, data)
        return path


def drop_caches(what: str = "3") -> bool:
    try:
        os.sync()
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write(f"{what}\n")
        return True
    except OSError:
        return False


def settle_before_write() -> bool:
    """Flush dirty pages and drop the clean page cache before a timed write (untimed).

    On this VM a write's cost depends on the page cache's past: once gigabytes written by
    earlier runs fill it, copying into new page-cache pages ran at ~0.5 GB/s instead of
    several GB/s (perf: 80% in copy_folio_from_iter_atomic; a plain Python write loop went
    from 0.06 s to 0.25 s), whichever library wrote. Every write run, of every library and
    reference, starts from the same state instead.
    """
    return drop_caches("1")


# --- running a table -----------------------------------------------------------------------------


def run_table(ctx: Ctx, table: Table, entries: list[tuple[Row, Rep]]) -> Table:
    """Warm up every entry (checking its result), then ``repeat`` interleaved rounds."""
    log(f"[{table.key}] {table.title}")
    for row, rep in entries:
        gc.collect()
        try:
            for _ in range(ctx.args.warmup):
                rep(True)
        except Unsupported as e:
            row.error = str(e)
        except Exception as e:  # a broken library must not stop the others
            row.error = f"{type(e).__name__}: {e}"
            traceback.print_exc()
        log(f"  warm-up {row.label}: {'ok' if row.error is None else row.error}")
    for i in range(ctx.args.repeat):
        for row, rep in entries:
            if row.error is not None:
                continue
            gc.collect()
            try:
                row.times.append(rep(False))
            except Exception as e:
                row.error = f"{type(e).__name__}: {e}"
                row.times.clear()
                traceback.print_exc()
        log(f"  round {i + 1}/{ctx.args.repeat} done")
    table.rows = [row for row, _ in entries]
    ctx.tables.append(table)
    print(table.markdown(), flush=True)
    return table


def verify_written(loc: Location, writer: Lib, data: np.ndarray) -> None:
    """Read back what ``writer`` wrote with another library (tensorstore, else zarrbridge)."""
    reader: Lib = ZarrBridge() if isinstance(writer, TensorStore) else TensorStore()
    if reader.unavailable():
        reader = ZarrPython()
    with reader.context():
        check_equal(reader.read(reader.open(loc)), data, f"{writer.label} write, read back")


def lib_modes(ctx: Ctx, keys: list[str], modes: tuple[str, ...]) -> list[tuple[Lib, str]]:
    out = []
    for key in keys:
        lib = ctx.lib(key)
        if lib is None:
            continue
        for mode in modes:
            if mode == "async" and not lib.has_async:
                continue
            out.append((lib, mode))
    return out


def lib_row(lib: Lib, mode: str, **kw: Any) -> Row:
    row = Row(key=f"{lib.key}:{mode}", label=f"{lib.label} {mode}", **kw)
    row.error = lib.unavailable()
    return row


READS = {"read_whole", "gather_all"}


def op_rep(
    ctx: Ctx,
    lib: Lib,
    op: str,
    mode: str,
    loc: Location,
    spec: ArraySpec,
    data: np.ndarray,
    data_key: str,
) -> Rep:
    """A timed run of ``reps.OPS[op]``, in this process or in the library's child process."""

    def rep(check: bool) -> float:
        if ctx.args.cold and op in READS:
            drop_caches()
        if op == "write_whole":
            settle_before_write()
        if isinstance(lib, RemoteLib):
            t = lib.call(
                op,
                data=ctx.npy(data_key, data),
                check=check,
                mode=mode,
                loc=dataclasses.asdict(loc),
                spec=dataclasses.asdict(spec),
            )
        else:
            t = OPS[op](lib, loop=ctx.loop, data=data, check=check, mode=mode, loc=loc, spec=spec)
        if op == "write_whole" and check:
            verify_written(loc, lib, data)
        return t

    return rep


def bound_rows(
    ctx: Ctx, kind: str, spec: ArraySpec, chunks: list[memoryview], data: np.ndarray
) -> list[tuple[Row, Rep]]:
    """Bound rows: zstd decode or encode (1 and N threads) of the case's chunks, and memcpy."""
    entries: list[tuple[Row, Rep]] = []
    nbytes = spec.nbytes
    inner_nbytes = int(np.prod(spec.chunks)) * np.dtype(spec.dtype).itemsize
    if kind == "decode":
        for n in sorted(ctx.pools):
            pool = ctx.pools[n]
            entries.append(
                (
                    Row(
                        key=f"bound:zstd-decode-{n}t",
                        label=f"zstd decode, {n} thread{'s' if n > 1 else ''}",
                        kind="bound",
                        nbytes=nbytes,
                    ),
                    lambda check, pool=pool: decode_bound(pool, chunks, inner_nbytes),
                )
            )
    else:
        decoded = inner_chunks(spec, data)
        for n in sorted(ctx.pools):
            pool = ctx.pools[n]
            entries.append(
                (
                    Row(
                        key=f"bound:zstd-encode-{n}t",
                        label=f"zstd encode level {spec.zstd_level}, {n} thread"
                        + ("s" if n > 1 else ""),
                        kind="bound",
                        nbytes=nbytes,
                    ),
                    lambda check, pool=pool, decoded=decoded: encode_bound(
                        pool, decoded, spec.zstd_level
                    ),
                )
            )
    dst = np.empty_like(data)
    dst.fill(1)  # fault it in
    entries.append(
        (
            Row(
                key="bound:memcpy-warm",
                label="memcpy into a warm buffer",
                kind="bound",
                nbytes=nbytes,
            ),
            lambda check: memcpy_warm(data, dst),
        )
    )
    entries.append(
        (
            Row(
                key="bound:memcpy-fresh",
                label="memcpy into a new array",
                kind="bound",
                nbytes=nbytes,
            ),
            lambda check: memcpy_fresh(data),
        )
    )
    return entries


# --- cases (a), (a2), (b) ------------------------------------------------------------------------


OTHERS = ["zarr", "zarr-zarrs", "zarr-fused", "tensorstore", "zarrista"]


def case_array(ctx: Ctx, key: str, spec: ArraySpec, data: np.ndarray, data_key: str) -> None:
    libs = lib_modes(ctx, OURS, ("sync", "async")) + lib_modes(ctx, OTHERS, ("sync",))
    ref_loc = ctx.dataset(key, spec, data)
    chunks = chunk_objects(ref_loc.path, spec)
    stored = sum(len(c) for c in chunks)
    x = "x".join
    shape_note = (
        f"{x(map(str, spec.shape))} {spec.dtype}, "
        + (
            f"shards {x(map(str, spec.shards))}, inner chunks {x(map(str, spec.chunks))}"
            if spec.shards
            else f"chunks {x(map(str, spec.chunks))}"
        )
        + f", zstd level {spec.zstd_level}; {len(chunks)} chunks, {spec.nbytes / 2**20:.0f} MiB"
        f" -> {stored / 2**20:.1f} MiB stored (ratio {stored / spec.nbytes:.3f})"
    )
    ctx.extra[f"{key}-stored-bytes"] = stored

    # write
    entries: list[tuple[Row, Rep]] = []
    for lib, mode in libs:
        loc = ctx.location(key, f"write-{lib.key}-{mode}")
        entries.append(
            (
                lib_row(lib, mode, nbytes=spec.nbytes),
                op_rep(ctx, lib, "write_whole", mode, loc, spec, data, data_key),
            )
        )
    if not spec.shards:
        loc = ctx.location(key, "write-reference")

        def ref_write_rep(check: bool, loc: Location = loc) -> float:
            loc.clear()
            settle_before_write()
            t0 = time.perf_counter()
            ref_write(loc.path, spec, data, ctx.threads)
            t = time.perf_counter() - t0
            if check:
                verify_written(loc, ZarrPython(), data)
            return t

        entries.append(
            (
                Row(
                    key="reference:python-loop",
                    label=f"Python loop, {ctx.threads} threads (slice, zstd encode, write file)",
                    kind="reference",
                    nbytes=spec.nbytes,
                ),
                ref_write_rep,
            )
        )
    entries += bound_rows(ctx, "encode", spec, chunks, data)
    files = stored_files(ref_loc.path)
    n = max(ctx.pools)
    bound_loc = ctx.location(key, "write-bound-files")

    def file_write_rep(check: bool, pool: Any = ctx.pools[n], loc: Location = bound_loc) -> float:
        loc.clear()
        settle_before_write()
        return file_write_bound(pool, files, loc.path)

    entries.append(
        (
            Row(
                key=f"bound:file-write-{n}t",
                label=f"write the {len(files)} stored files (temporary file + rename, no "
                f"encoding), {n} threads",
                kind="bound",
                nbytes=spec.nbytes,
            ),
            file_write_rep,
        )
    )
    t = Table(f"{key}-write", f"write the whole array — {shape_note}")
    t.notes.append(
        "writes land in the page cache (no fsync), for every library alike; before every "
        "write run the page cache is flushed and dropped (untimed; `settle_before_write`)"
        + ("" if settle_before_write() else " — NOT POSSIBLE here (not root): expect drift")
    )
    run_table(ctx, t, entries)
    for lib, mode in libs:
        ctx.location(key, f"write-{lib.key}-{mode}").clear()
    ctx.location(key, "write-reference").clear()
    bound_loc.clear()
    purge_trash(ctx.work)

    # read
    entries = []
    for lib, mode in libs:
        entries.append(
            (
                lib_row(lib, mode, nbytes=spec.nbytes),
                op_rep(ctx, lib, "read_whole", mode, ref_loc, spec, data, data_key),
            )
        )

    def ref_read_rep(check: bool) -> float:
        if ctx.args.cold:
            drop_caches()
        t0 = time.perf_counter()
        out = ref_read(ref_loc.path, spec, ctx.threads)
        t = time.perf_counter() - t0
        if check:
            check_equal(out, data, "reference loop")
        return t

    entries.append(
        (
            Row(
                key="reference:python-loop",
                label=f"Python loop, {ctx.threads} threads "
                "(open, read, zstd decode, copy into place)",
                kind="reference",
                nbytes=spec.nbytes,
            ),
            ref_read_rep,
        )
    )
    entries += bound_rows(ctx, "decode", spec, chunks, data)
    t = Table(f"{key}-read", f"read the whole array — {shape_note}")
    t.notes.append(
        "cold page cache before every run (drop_caches)"
        if ctx.args.cold
        else "warm page cache: the files were just written (same for every library)"
    )
    run_table(ctx, t, entries)


# --- case (c) ------------------------------------------------------------------------------------


def case_c(ctx: Ctx) -> None:
    spec = ArraySpec((160, 160, 320), "uint8", (16, 16, 16))
    data = random_ish(spec.shape, "uint8", bits=6, seed=3)
    loc = ctx.dataset("c", spec, data)
    coords = spec.chunk_coords()
    assert len(coords) == 2000
    keys = ["zarrbridge", BASELINE, "zarrbridge-region", *OTHERS]
    for mode in ("sync", "async"):
        entries: list[tuple[Row, Rep]] = [
            (
                lib_row(lib, mode, calls=len(coords)),
                op_rep(ctx, lib, "chunk_loop", mode, loc, spec, data, "c"),
            )
            for lib, _ in lib_modes(ctx, keys, (mode,))
        ]
        if mode == "sync":

            def ref_rep(check: bool) -> float:
                t0 = time.perf_counter()
                out = ref_read_chunk_loop(loc.path, spec, coords)
                t = time.perf_counter() - t0
                if check:
                    check_chunks(out, coords, data, spec, "reference loop")
                return t

            entries.append(
                (
                    Row(
                        key="reference:python-loop",
                        label="Python loop (open, read, zstd decode), no library",
                        kind="reference",
                        calls=len(coords),
                    ),
                    ref_rep,
                )
            )
        t = Table(
            f"c-{mode}",
            f"{len(coords)} reads of single 16x16x16 uint8 chunks (zstd level 1), one "
            + ("call at a time" if mode == "sync" else "await at a time (asyncio)"),
        )
        t.notes.append("the array is opened once per run, outside the timer")
        run_table(ctx, t, entries)


# --- case (d) ------------------------------------------------------------------------------------


def case_d(ctx: Ctx, spec: ArraySpec, data: np.ndarray) -> None:
    loc = ctx.dataset("a", spec, data)
    coords = spec.chunk_coords()
    chunks = chunk_objects(loc.path, spec)
    entries: list[tuple[Row, Rep]] = []
    for lib, mode in lib_modes(ctx, [*OURS, "zarrbridge-batched", *OTHERS], ("async",)):
        row = lib_row(lib, mode, nbytes=spec.nbytes)
        if lib.key != "zarrbridge-batched":
            row.label = f"{lib.label} asyncio.gather of {len(coords)} reads"
        entries.append((row, op_rep(ctx, lib, "gather_all", mode, loc, spec, data, "a")))
    entries += [e for e in bound_rows(ctx, "decode", spec, chunks, data) if "decode" in e[0].key]
    t = Table("d", f"all {len(coords)} chunks of (a) read concurrently, one call per chunk")
    run_table(ctx, t, entries)


# --- case (e) ------------------------------------------------------------------------------------


E_INFLIGHT = 32  # requests in flight of the raw obstore loops (the issue's bound)


def chunk_key(coords: tuple[int, ...]) -> str:
    return "c/" + "/".join(str(i) for i in coords)


def client_cpu(lib: Lib | None) -> float:
    """CPU seconds of the process a library runs in (this one, or the fused child)."""
    if isinstance(lib, RemoteLib) and lib.proc is not None:
        import psutil

        t = psutil.Process(lib.proc.pid).cpu_times()
        return t.user + t.system
    return time.process_time()


def machine_busy() -> float:
    """CPU seconds all processes of the machine have run (psutil, system-wide)."""
    import psutil

    t = psutil.cpu_times()
    return sum(getattr(t, f, 0.0) for f in ("user", "nice", "system", "irq", "softirq", "steal"))


def server_verdict(
    kind: str, threads: int, wall: float, server: float, client: float, machine: float
) -> str:
    """Who limited a run: the server, the machine's CPUs, or neither (latency)."""
    sc, cc, mc = server / wall, client / wall, machine / wall
    oc = max(0.0, mc - sc - cc)
    cap = 1.0 if kind == "moto" else float(threads)
    cap_note = " (moto is one Python process: about 1 core under the GIL)" if kind == "moto" else ""
    busy = f"server {sc:.2f}, client {cc:.2f}, other processes {oc:.2f} of {threads} cores"
    if sc >= 0.8 * cap:
        return f"the SERVER is the limit: it ran {sc:.2f} cores{cap_note} ({busy})"
    if mc >= 0.9 * threads:
        who = "server" if sc > cc else "client"
        return f"the CPUs are saturated ({busy}); of the two ends the {who} uses more" + (
            ", so the server, not the client, is the limit" if who == "server" else ""
        )
    return f"no CPU is saturated ({busy}): latency / requests in flight limit it"


def case_e(ctx: Ctx, data_a: np.ndarray | None) -> None:
    import s3server

    n = ctx.args.e_size or (128 if ctx.args.quick else 256)
    spec = ArraySpec((n, n, n), "uint16", (64, 64, 64))
    if data_a is not None and data_a.shape[0] >= n:
        data = np.ascontiguousarray(data_a[:n, :n, :n])
    else:
        data = random_ish(spec.shape, "uint16", bits=10)
    log(f"[e] starting the S3 server ({ctx.args.s3_server})")
    server = s3server.start(ctx.args.s3_server, workdir=ctx.work)
    log(f"  {server.label} at {server.endpoint} (pid {server.proc.pid})")
    os.environ.setdefault("AWS_ACCESS_KEY_ID", s3server.ACCESS_KEY)
    os.environ.setdefault("AWS_SECRET_ACCESS_KEY", s3server.SECRET_KEY)
    try:
        _case_e(ctx, server, spec, data)
    finally:
        server.stop()


def _case_e(ctx: Ctx, server: Any, spec: ArraySpec, data: np.ndarray) -> None:
    import obstore
    import s3server

    def s3loc(bucket: str, prefix: str) -> Location:
        return Location(
            kind="s3",
            bucket=bucket,
            prefix=prefix,
            endpoint=server.endpoint,
            access_key_id=s3server.ACCESS_KEY,
            secret_access_key=s3server.SECRET_KEY,
            region=s3server.REGION,
        )

    ref_loc = s3loc(server.new_bucket("zb-bench-ref"), "reference")
    writer = ZarrPython()
    t0 = time.perf_counter()
    with writer.context():
        writer.write(writer.create(ref_loc, spec), data)
    log(f"  dataset e: written by zarr-python to the server in {time.perf_counter() - t0:.1f} s")
    coords = spec.chunk_coords()
    keys = [chunk_key(c) for c in coords]
    ref_store = ref_loc.obstore()
    chunks = [memoryview(bytes(obstore.get(ref_store, k).bytes())) for k in keys]
    stored = sum(len(c) for c in chunks)
    ctx.extra["e-stored-bytes"] = stored
    x = "x".join
    note = (
        f"{x(map(str, spec.shape))} {spec.dtype}, chunks {x(map(str, spec.chunks))}, zstd level "
        f"{spec.zstd_level}; {len(coords)} chunk objects, {spec.nbytes / 2**20:.0f} MiB -> "
        f"{stored / 2**20:.1f} MiB stored; local S3 server {server.label} on {server.endpoint}"
    )
    # row key -> (wall, server CPU-s, client CPU-s, whole-machine CPU-s) per timed run
    cpu: dict[str, list[tuple[float, float, float, float]]] = {}
    write_bucket = server.new_bucket("zb-bench-write")

    def measured(key: str, lib: Lib | None, rep: Rep) -> Rep:
        def run(check: bool) -> float:
            s0, c0, m0 = server.cpu_seconds(), client_cpu(lib), machine_busy()
            t = rep(check)
            s1, c1, m1 = server.cpu_seconds(), client_cpu(lib), machine_busy()
            if not check:
                cpu.setdefault(key, []).append((t, s1 - s0, c1 - c0, m1 - m0))
            return t

        return run

    libs = lib_modes(ctx, ["zarrbridge"], ("sync", "async")) + lib_modes(ctx, OTHERS, ("sync",))

    # write: a fresh prefix for every run of every library, deleted after the run (untimed).
    # Over plain HTTP (this server) every library hashes each PUT body into its signature; the
    # extra row shows what zarrbridge's HTTPS default (UNSIGNED-PAYLOAD) saves.
    entries: list[tuple[Row, Rep]] = []
    for lib, mode in libs + lib_modes(ctx, ["zarrbridge-unsigned"], ("async",)):
        row = lib_row(lib, mode, nbytes=spec.nbytes)
        counter = iter(range(10**9))

        def write_rep(
            check: bool, lib: Lib = lib, mode: str = mode, counter: Any = counter
        ) -> float:
            loc = s3loc(write_bucket, f"write-{lib.key}-{mode}-{next(counter)}")
            t = measured(
                f"{lib.key}:{mode}",
                lib,
                op_rep(ctx, lib, "write_whole", mode, loc, spec, data, "e"),
            )(check)
            loc.clear()
            return t

        entries.append((row, write_rep))
    inflights = [(E_INFLIGHT, "")] + ([(len(keys), "-all")] if len(keys) > E_INFLIGHT else [])
    items = [(k, bytes(c)) for k, c in zip(keys, chunks, strict=True)]
    for inflight, suffix in inflights:
        key = f"bound:s3-put{suffix}"
        put_counter = iter(range(10**9))

        def put_rep(
            check: bool, key: str = key, inflight: int = inflight, counter: Any = put_counter
        ) -> float:
            loc = s3loc(write_bucket, f"raw-put{key[-4:]}-{next(counter)}")
            store = loc.obstore()
            settle_before_write()
            t = measured(
                key,
                None,
                lambda check: ctx.loop.run_until_complete(raw_put_all(store, items, inflight)),
            )(check)
            if check:
                got = [bytes(obstore.get(store, k).bytes()) for k in keys]
                if got != [b for _, b in items]:
                    raise AssertionError("raw PUT: objects read back differ")
            loc.clear()
            return t

        entries.append(
            (
                Row(
                    key=key,
                    label=f"obstore put_async of the {len(keys)} encoded chunks, "
                    + (f"{inflight} in flight" if not suffix else "all in flight")
                    + " (no encoding)",
                    kind="bound",
                    nbytes=spec.nbytes,
                ),
                put_rep,
            )
        )
    entries += [e for e in bound_rows(ctx, "encode", spec, chunks, data) if "zstd" in e[0].key]
    t = Table("e-write", f"write the whole array to S3 — {note}")
    t.notes.append(
        "every run writes into a fresh prefix (deleted afterwards, untimed); creating the array "
        "(zarr.json) is outside the timer"
    )
    run_table(ctx, t, entries)
    e_notes(ctx, t, cpu, server)

    # read: every library reads the array zarr-python wrote
    cpu.clear()
    entries = [
        (
            lib_row(lib, mode, nbytes=spec.nbytes),
            measured(
                f"{lib.key}:{mode}",
                lib,
                op_rep(ctx, lib, "read_whole", mode, ref_loc, spec, data, "e"),
            ),
        )
        for lib, mode in libs
    ]

    for inflight, suffix in inflights:

        def get_rep(check: bool, inflight: int = inflight) -> float:
            t, out = ctx.loop.run_until_complete(raw_get_all(ref_store, keys, inflight))
            if check and [bytes(o) for o in out] != [bytes(c) for c in chunks]:
                raise AssertionError("raw GET: bodies differ from the stored chunks")
            return t

        entries.append(
            (
                Row(
                    key=f"bound:s3-get{suffix}",
                    label=f"obstore get_async of the {len(keys)} chunk objects, "
                    + (f"{inflight} in flight" if not suffix else "all in flight")
                    + " (no decoding)",
                    kind="bound",
                    nbytes=spec.nbytes,
                ),
                measured(f"bound:s3-get{suffix}", None, get_rep),
            )
        )
    entries += [e for e in bound_rows(ctx, "decode", spec, chunks, data) if "decode" in e[0].key]
    t = Table("e-read", f"read the whole array from S3 — {note}")
    run_table(ctx, t, entries)
    e_notes(ctx, t, cpu, server)
    ctx.extra["e"] = {
        "server": server.label,
        "endpoint": server.endpoint,
        "shape": list(spec.shape),
        "inflight": E_INFLIGHT,
        "stored_bytes": stored,
        **ctx.extra.get("e", {}),
    }


def e_notes(
    ctx: Ctx, t: Table, cpu: dict[str, list[tuple[float, float, float, float]]], server: Any
) -> None:
    """CPU seconds of the server and the client per row, and who limited the raw I/O bound."""
    per_row: dict[str, Any] = {}
    lines = []
    n_notes = len(t.notes)
    for row in t.rows:
        samples = cpu.get(row.key)
        if not row.ok or not samples:
            continue
        wall = statistics.median(s[0] for s in samples)
        srv = statistics.median(s[1] for s in samples)
        cli = statistics.median(s[2] for s in samples)
        mach = statistics.median(s[3] for s in samples)
        per_row[row.key] = {
            "wall_s": wall,
            "server_cpu_s": srv,
            "client_cpu_s": cli,
            "machine_cpu_s": mach,
        }
        lines.append(
            f"{row.label}: server {srv:.2f} CPU-s ({srv / wall:.2f} cores), client {cli:.2f} "
            f"CPU-s ({cli / wall:.2f} cores)"
        )
        if row.key in ("bound:s3-get", "bound:s3-put"):
            verdict = server_verdict(server.kind, ctx.threads, wall, srv, cli, mach)
            per_row[row.key]["verdict"] = verdict
            ctx.extra.setdefault("e", {})[f"{t.key}-verdict"] = verdict
    ctx.extra.setdefault("e", {})[f"{t.key}-cpu"] = per_row
    if lines:
        t.notes.append(
            "CPU per run (medians; server = the S3 server process, client = the process the "
            "library runs in, set-up such as opening the array included):"
            + "".join(f"\n  - {line}" for line in lines)
        )
    verdict = ctx.extra["e"].get(f"{t.key}-verdict")
    if verdict:
        t.notes.append(f"raw {'GET' if t.key == 'e-read' else 'PUT'} bound: {verdict}")
    libs_ok = [r for r in t.rows if r.ok and r.kind == "library"]
    bound = t.row("bound:s3-get" if t.key == "e-read" else "bound:s3-put")
    if libs_ok and bound is not None:
        spread = ", ".join(f"{r.label} {bound.median / r.median:.2f}" for r in libs_ok)
        t.notes.append(f"each library's speed as a fraction of the raw bound's: {spread}")
    # the table was printed before these notes: print them now
    print("\n".join(f"- {n}" for n in t.notes[n_notes:]) + "\n", flush=True)


# --- case (f) ------------------------------------------------------------------------------------


def fresh_read(
    ctx: Ctx, run: FreshRun, loc: Location, spec: ArraySpec
) -> tuple[dict[str, Any] | None, str | None]:
    """Read (a) whole once in a fresh process (``memchild.py``): its figures, or an error."""
    proc = subprocess.run(
        [
            run.python,
            os.path.join(HERE, "memchild.py"),
            "--lib",
            run.child_key,
            "--mode",
            run.mode,
            "--path",
            loc.path,
            "--threads",
            str(ctx.threads),
            "--spec",
            json.dumps(dataclasses.asdict(spec)),
        ],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **run.env} if run.env else None,
    )
    if proc.returncode != 0:
        return None, (proc.stderr.strip().splitlines() or ["?"])[-1]
    sample: dict[str, Any] = json.loads(proc.stdout.strip().splitlines()[-1])
    return sample, None


@dataclasses.dataclass(frozen=True)
class FreshRun:
    """One library in fresh processes (cases f, g): its adapter key there, how to start it."""

    key: str
    child_key: str
    mode: str
    label: str
    python: str
    env: dict[str, str] | None = None


def fresh_runs(ctx: Ctx) -> list[FreshRun]:
    runs = []
    for lib, mode in lib_modes(ctx, OURS, ("sync", "async")) + lib_modes(ctx, OTHERS, ("sync",)):
        if lib.unavailable():
            continue
        remote = isinstance(lib, RemoteLib)
        runs.append(
            FreshRun(
                lib.key,
                lib.child_key if remote else lib.key,
                mode,
                f"{lib.label} {mode}",
                (lib.python or sys.executable) if remote else sys.executable,
                lib.env if remote else None,
            )
        )
    label = f"Python loop, {ctx.threads} threads"
    runs.append(FreshRun("reference", "reference", "sync", label, sys.executable))
    return runs


def case_f(ctx: Ctx, spec: ArraySpec, data: np.ndarray) -> None:
    loc = ctx.dataset("a", spec, data)
    runs = fresh_runs(ctx)
    results = []
    log("[f] peak RSS of reading (a) whole, one fresh process per library")
    for run in runs:
        key, mode, label = run.key, run.mode, run.label
        samples = []
        err = None
        for _ in range(max(1, min(ctx.args.repeat, 3))):
            sample, err = fresh_read(ctx, run, loc, spec)
            if sample is None:
                break
            samples.append(sample)
        if err or not samples:
            results.append({"key": key, "mode": mode, "label": label, "error": err})
            log(f"  {label}: error {err}")
            continue

        def med(k: str, samples: list[dict[str, Any]] = samples) -> int:
            return sorted(s[k] for s in samples)[len(samples) // 2]

        peak, before, process = med("peak_read"), med("rss_before"), med("peak_process")
        results.append(
            {
                "key": key,
                "mode": mode,
                "label": label,
                "samples": samples,
                "peak_rss_bytes": peak,
                "rss_before_read_bytes": before,
                "peak_process_bytes": process,
                "increase_bytes": peak - before,
                "peak_over_array": peak / spec.nbytes,
                "increase_over_array": (peak - before) / spec.nbytes,
            }
        )
        log(f"  {label}: peak {peak / 2**20:.0f} MiB, before read {before / 2**20:.0f} MiB")
    ctx.extra["f"] = {"array_nbytes": spec.nbytes, "results": results}
    lines = [
        f"### f: peak resident memory of reading (a) whole ({spec.nbytes / 2**20:.0f} MiB array)",
        "",
        "| library | RSS before the read MiB | peak RSS during the read MiB | increase MiB "
        "| increase / array | peak / array |",
        "|---|---|---|---|---|---|",
    ]
    for r in results:
        if r.get("error"):
            lines.append(f"| {r['label']} | error: {r['error']} | | | | |")
            continue
        lines.append(
            f"| {r['label']} | {r['rss_before_read_bytes'] / 2**20:.0f} | "
            f"{r['peak_rss_bytes'] / 2**20:.0f} | {r['increase_bytes'] / 2**20:.0f} | "
            f"{r['increase_over_array']:.2f} | {r['peak_over_array']:.2f} |"
        )
    lines += [
        "",
        "Before = resident set after imports and opening the array (interpreter + libraries); "
        "peak = `VmHWM` during the read (reset just before it); increase = peak - before, i.e. "
        "what the read itself costs, result included. `ru_maxrss` is not used: Linux carries it "
        "over from the (large) benchmark process across fork+exec. Median of up to 3 fresh "
        "processes.",
    ]
    md = "\n".join(lines) + "\n"
    ctx.extra["f-markdown"] = md
    print(md, flush=True)


# --- case (g) ------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    """The ``q``-th percentile (0-100), linear between order statistics."""
    ordered = sorted(values)
    pos = (len(ordered) - 1) * q / 100
    lo, hi = int(pos), min(int(pos) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (pos - lo)


def case_g(ctx: Ctx, spec: ArraySpec, data: np.ndarray) -> None:
    """The first read of (a) in a fresh process, ``--first-n`` processes per library, the
    libraries taking turns (round-robin), so drift hits all alike."""
    loc = ctx.dataset("a", spec, data)
    runs = fresh_runs(ctx)
    seconds: dict[str, list[float]] = {f"{run.key}:{run.mode}": [] for run in runs}
    errors: dict[str, str] = {}
    log(f"[g] first read of (a) in a fresh process, {ctx.args.first_n} processes per library")
    for i in range(ctx.args.first_n):
        for run in runs:
            k = f"{run.key}:{run.mode}"
            if k in errors:
                continue
            sample, err = fresh_read(ctx, run, loc, spec)
            if sample is None:
                errors[k] = err or "?"
                continue
            seconds[k].append(sample["seconds"])
        log(f"  round {i + 1}/{ctx.args.first_n} done")
    results = []
    lines = [
        f"### g: first read of (a) whole in a fresh process ({ctx.args.first_n} processes per "
        "library, round-robin)",
        "",
        "| library | p10 MB/s | p50 MB/s | p90 MB/s | p10 / p50 | min..max MB/s |",
        "|---|---|---|---|---|---|",
    ]
    for run in runs:
        k, label = f"{run.key}:{run.mode}", run.label
        if k in errors:
            results.append({"key": k, "label": label, "error": errors[k]})
            lines.append(f"| {label} | error: {errors[k]} | | | | |")
            continue
        rates = [spec.nbytes / t / 1e6 for t in seconds[k]]
        p10, p50, p90 = (percentile(rates, q) for q in (10, 50, 90))
        results.append(
            {"key": k, "label": label, "seconds": seconds[k], "p10": p10, "p50": p50, "p90": p90}
        )
        lines.append(
            f"| {label} | {p10:.0f} | {p50:.0f} | {p90:.0f} | {p10 / p50:.2f} | "
            f"{min(rates):.0f}..{max(rates):.0f} |"
        )
    lines += [
        "",
        "MB/s of the read alone (the process imports and opens the array first, untimed), "
        "decimal, of the uncompressed array; percentiles over the processes.",
    ]
    ctx.extra["g"] = {"array_nbytes": spec.nbytes, "results": results}
    md = "\n".join(lines) + "\n"
    ctx.extra["g-markdown"] = md
    print(md, flush=True)


# --- targets -------------------------------------------------------------------------------------


def find(ctx: Ctx, table: str) -> Table | None:
    for t in ctx.tables:
        if t.key == table:
            return t
    return None


def ratio_target(
    ctx: Ctx,
    case: str,
    table: str,
    row: str,
    other: str,
    at_least: float,
    what: str,
    floor: Callable[[Table, float, Row], str] | None = None,
) -> None:
    """A "row is at least ``at_least`` times faster than other" target; ``floor`` adds what the
    machine's bounds in the same table say about the time the target asks for."""
    t = find(ctx, table)
    if t is None:
        return
    r, o = t.row(row), t.row(other)
    note = ""
    if other == DECODE_BOUND:
        # The N-thread decode bound; on a shared machine it may come out slower than the
        # 1-thread one (another process held a core), and then the faster of the two counts.
        o = t.row(f"bound:zstd-decode-{ctx.threads}t")
        one = t.row("bound:zstd-decode-1t")
        if one is not None and (o is None or one.median < o.median):
            o, note = one, " (the 1-thread bound: it beat the N-thread one in this run)"
    if r is None or o is None:
        ctx.targets.append(Target(case, what, None, f"missing row ({row} or {other})"))
        return
    x = o.median / r.median
    ctx.targets.append(
        Target(
            case,
            what,
            x >= at_least,
            f"{x:.2f}x (need >= {at_least}); {r.median:.3f} s vs {o.median:.3f} s{note}"
            + (floor(t, o.median / at_least, r) if floor else ""),
        )
    )


def write_floor(ctx: Ctx) -> Callable[[Table, float, Row], str]:
    """What a local write costs at least on a machine with no spare core: encoding, then
    writing the files, each on every core (on 2 cores both are CPU work, so they can only
    overlap where one of them waits)."""

    def note(t: Table, need: float, r: Row) -> str:
        enc = t.row(f"bound:zstd-encode-{ctx.threads}t")
        files = t.row(f"bound:file-write-{ctx.threads}t")
        if enc is None or files is None:
            return ""
        both = enc.median + files.median
        return (
            f"; needs <= {need:.3f} s; the bounds: encoding ({enc.median:.3f} s) then writing "
            f"the files ({files.median:.3f} s), each on {ctx.threads} threads, take {both:.3f} s "
            f"one after the other (this row: {both / r.median:.2f}x that speed)"
        )

    return note


def decode_floor(ctx: Ctx) -> Callable[[Table, float, Row], str]:
    def note(t: Table, need: float, r: Row) -> str:
        dec = t.row(f"bound:zstd-decode-{ctx.threads}t")
        if dec is None:
            return ""
        return (
            f"; needs <= {need:.3f} s, while zstd decoding alone takes {dec.median:.3f} s "
            f"on {ctx.threads} threads"
        )

    return note


DECODE_BOUND = "bound:zstd-decode-best"


def ahead_of_peers(ctx: Ctx, case: str, table: str) -> None:
    """zarrbridge's rows of ``table`` ahead of the fastest other library in it."""
    t = find(ctx, table)
    if t is None:
        return
    others = [
        r for r in t.rows if r.ok and r.kind == "library" and not r.key.startswith("zarrbridge")
    ]
    if not others:
        return
    best = min(others, key=lambda r: r.median)
    for r in t.rows:
        if r.key in ("zarrbridge:sync", "zarrbridge:async"):
            ratio_target(
                ctx,
                case,
                table,
                r.key,
                best.key,
                1.0,
                f"{r.label} {table.split('-', 1)[1]} ahead of every peer (fastest: {best.label})",
            )


def compute_targets(ctx: Ctx) -> None:
    n = ctx.threads
    dec = DECODE_BOUND
    zbs = [("zarrbridge:sync", "zarrbridge sync"), ("zarrbridge:async", "zarrbridge async")]
    for key, name in zbs:
        ratio_target(
            ctx, "a", "a-read", key, "tensorstore:sync", 1.5, f"{name} read >= 1.5x tensorstore"
        )
        ratio_target(
            ctx,
            "a",
            "a-read",
            key,
            "zarr-zarrs:sync",
            2.0,
            f"{name} read >= 2x zarr-python+zarrs",
            decode_floor(ctx),
        )
        ratio_target(
            ctx,
            "a",
            "a-read",
            key,
            dec,
            0.65,
            f"{name} read >= 65% of the {n}-thread zstd decode bound",
        )
        ratio_target(
            ctx,
            "a",
            "a-read",
            key,
            "reference:python-loop",
            1.0,
            f"{name} read not slower than the threaded Python loop",
        )
    for case in ("a", "b"):
        for key, name in zbs:
            ratio_target(
                ctx,
                case,
                f"{case}-write",
                key,
                "tensorstore:sync",
                1.3,
                f"{name} write >= 1.3x tensorstore",
                write_floor(ctx),
            )
    for key, name in zbs:
        ratio_target(
            ctx, "b", "b-read", key, "tensorstore:sync", 1.3, f"{name} read >= 1.3x tensorstore"
        )
    for case, table in (
        ("a", "a-read"),
        ("a", "a-write"),
        ("b", "b-read"),
        ("b", "b-write"),
        ("c", "c-sync"),
        ("c", "c-async"),
    ):
        ahead_of_peers(ctx, case, table)
    for mode, limit in (("sync", 20.0), ("async", 25.0)):
        t = find(ctx, f"c-{mode}")
        if t is None:
            continue
        r = t.row(f"zarrbridge:{mode}")
        if r is None:
            ctx.targets.append(Target("c", f"{mode} per call", None, "missing row"))
            continue
        us = r.per_call_us() or 0.0
        ctx.targets.append(
            Target(
                "c",
                f"zarrbridge {mode} read_chunk <= {limit:.0f} us/call",
                us <= limit,
                f"{us:.1f} us/call",
            )
        )
    t = find(ctx, "d")
    if t is not None:
        zb = t.row("zarrbridge:async")
        others = [
            r for r in t.rows if r.ok and r.kind == "library" and not r.key.startswith("zarrbridge")
        ]
        if zb is not None:
            for o in others:
                ratio_target(
                    ctx,
                    "d",
                    "d",
                    "zarrbridge:async",
                    o.key,
                    1.0,
                    f"zarrbridge gather ahead of {o.label}",
                )
            ratio_target(
                ctx,
                "d",
                "d",
                "zarrbridge:async",
                dec,
                0.60,
                f"zarrbridge gather >= 60% of the {n}-thread zstd decode bound",
            )
    f = ctx.extra.get("f")
    if f:
        for r in f["results"]:
            if r["key"] != "zarrbridge" or r.get("error"):
                continue
            ctx.targets.append(
                Target(
                    "f",
                    f"zarrbridge {r['mode']} peak memory <= 1.2x array",
                    r["increase_over_array"] <= 1.2,
                    f"read costs {r['increase_over_array']:.2f}x the array "
                    f"({r['increase_bytes'] / 2**20:.0f} MiB over "
                    f"{r['rss_before_read_bytes'] / 2**20:.0f} MiB before); "
                    f"peak RSS {r['peak_over_array']:.2f}x "
                    f"({r['peak_rss_bytes'] / 2**20:.0f} MiB)",
                )
            )
    g = ctx.extra.get("g")
    if g:
        done = [r for r in g["results"] if not r.get("error")]
        peers = [r for r in done if not r["key"].startswith("zarrbridge")]
        for r in done:
            if not r["key"].startswith("zarrbridge:"):
                continue
            ctx.targets.append(
                Target(
                    "g",
                    f"{r['label']} first read p10 >= 0.8x its p50",
                    r["p10"] >= 0.8 * r["p50"],
                    f"p10 {r['p10']:.0f} MB/s, p50 {r['p50']:.0f} MB/s "
                    f"({r['p10'] / r['p50']:.2f}x) over {len(r['seconds'])} processes",
                )
            )
            if peers:
                best = max(peers, key=lambda p: p["p50"])
                ctx.targets.append(
                    Target(
                        "g",
                        f"{r['label']} first read p50 ahead of every peer "
                        f"(fastest: {best['label']})",
                        r["p50"] >= best["p50"],
                        f"{r['p50'] / best['p50']:.2f}x; {r['p50']:.0f} vs {best['p50']:.0f} MB/s",
                    )
                )
    for table, what in (("e-write", "write"), ("e-read", "read")):
        t = find(ctx, table)
        if t is None:
            continue
        others = [
            r for r in t.rows if r.ok and r.kind == "library" and not r.key.startswith("zarrbridge")
        ]
        best = min(others, key=lambda r: r.median) if others else None
        for key, name in zbs:
            if best is not None:
                ratio_target(
                    ctx,
                    "e",
                    table,
                    key,
                    best.key,
                    1.0,
                    f"zarrbridge {name.split()[-1]} {what} ahead of every other library "
                    f"(fastest other: {best.label})",
                )
            if what == "read":
                ratio_target(
                    ctx,
                    "e",
                    table,
                    key,
                    "bound:s3-get",
                    0.9,
                    f"{name} read >= 90% of a raw obstore GET loop, {E_INFLIGHT} in flight",
                )
                verdict = ctx.extra.get("e", {}).get("e-read-verdict")
                if verdict and ctx.targets and ctx.targets[-1].case == "e":
                    ctx.targets[-1].detail += f"; raw GET: {verdict}"


# --- machine -------------------------------------------------------------------------------------


def machine_info(ctx: Ctx) -> dict[str, Any]:
    cpu = "?"
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    cpu = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = "?"
    try:
        with open("/proc/meminfo") as f:
            mem = f.readline().split(":", 1)[1].strip()
    except OSError:
        pass
    versions: dict[str, str] = {
        "python": platform.python_version(),
        "numpy": np.__version__,
    }
    for lib in ctx.libs.values():
        try:
            versions.update(lib.versions())
        except Exception as e:
            versions[lib.key] = f"? ({e})"
    import zstandard

    versions["zstandard"] = f"{zstandard.__version__} (libzstd {zstandard.ZSTD_VERSION})"
    if "e" in ctx.args.cases:
        import importlib.metadata

        for dist in ("obstore", "moto", "boto3"):
            try:
                versions[dist] = importlib.metadata.version(dist)
            except importlib.metadata.PackageNotFoundError:
                versions[dist] = "not installed"
    try:
        commit = subprocess.run(
            ["git", "-C", os.path.dirname(HERE), "describe", "--always", "--dirty"],
            capture_output=True,
            text=True,
            timeout=10,
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        commit = "?"
    return {
        "cpu": cpu,
        "logical_cpus": os.cpu_count(),
        "usable_cpus": ctx.threads,
        "memory": mem,
        "kernel": platform.release(),
        "platform": platform.platform(),
        "versions": versions,
        "zarrbridge_commit": commit,
        "loadavg_start": os.getloadavg(),
        "nice": os.nice(0),
    }


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--quick", action="store_true", help="256^3 instead of 512^3 (smoke run)")
    p.add_argument("--cases", default=",".join(ALL_CASES), help=f"comma list of {ALL_CASES}")
    p.add_argument("--repeat", type=int, default=5, help="timed runs per entry (after warm-up)")
    p.add_argument("--warmup", type=int, default=1, help="untimed, checked runs per entry")
    p.add_argument("--json", default=None, help="write every figure to this JSON file")
    p.add_argument("--md", default=None, help="write the markdown report to this file")
    p.add_argument("--libs", default=None, help="only these library keys (bounds always run)")
    p.add_argument("--cold", action="store_true", help="drop the page cache before each read")
    p.add_argument("--workdir", default=None, help="where arrays are written (default: a temp dir)")
    p.add_argument(
        "--s3-server",
        default="auto",
        choices=["auto", "s3s-fs", "moto"],
        help="case (e): the local S3 server (auto: s3s-fs if found, else moto)",
    )
    p.add_argument(
        "--e-size", type=int, default=None, help="case (e): edge (default 256; 128 quick)"
    )
    p.add_argument(
        "--no-fused", action="store_true", help="skip the newest zarr-python (Python 3.12 venv)"
    )
    p.add_argument("--first-n", type=int, default=20, help="case (g): fresh processes per library")
    p.add_argument(
        "--baseline",
        default=None,
        metavar="DIR[:NAME]",
        help="also run the zarrbridge in DIR (a checkout's python/ with its built extension) "
        "as 'zarrbridge (NAME)', in a child process, in the same rounds (before/after tables)",
    )
    args = p.parse_args(argv)
    cases = [c.strip() for c in args.cases.split(",") if c.strip()]
    unknown = set(cases) - set(ALL_CASES)
    if unknown:
        p.error(f"unknown cases {sorted(unknown)}")

    libs: dict[str, Lib] = {lib.key: lib for lib in all_libs()}
    wanted = {k.strip() for k in args.libs.split(",")} if args.libs else None
    if not args.no_fused and (wanted is None or "zarr-fused" in wanted):
        python, where = ensure_env(log)
        libs["zarr-fused"] = RemoteLib("zarr-fused", python, None if python else where)
        fused = f"{where}; venv {python}" if python else where
    else:
        fused = "not requested (--no-fused / --libs)"
    if wanted is not None:
        libs = {k: v for k, v in libs.items() if k in wanted}
    if args.baseline:
        where, _, name = args.baseline.partition(":")
        libs[BASELINE] = RemoteLib(
            BASELINE,
            sys.executable,
            None,
            child_key="zarrbridge",
            env={"PYTHONPATH": os.path.abspath(where)},
            tag=name or where,
        )
    threads = len(os.sched_getaffinity(0))
    pools = {1: Pool(1), threads: Pool(threads)}
    work = args.workdir or tempfile.mkdtemp(prefix="zarrbridge-bench-")
    os.makedirs(work, exist_ok=True)
    ctx = Ctx(
        args=args, work=work, libs=libs, threads=threads, loop=asyncio.new_event_loop(), pools=pools
    )
    asyncio.set_event_loop(ctx.loop)

    info = machine_info(ctx)
    skipped = {k: r for k in libs if (r := libs[k].unavailable())}
    if args.cold and not drop_caches():
        log("--cold: cannot drop the page cache here (no permission); reads stay warm-cache")
        args.cold = False
    header = [
        "## Machine",
        "",
        f"- CPU: {info['cpu']} — {info['logical_cpus']} logical CPUs, {threads} usable; "
        f"memory {info['memory']}",
        f"- kernel {info['kernel']}; Python {info['versions']['python']}; load average at start "
        + ", ".join(f"{x:.2f}" for x in info["loadavg_start"])
        + f"; benchmark process niceness {info['nice']}",
        "- versions: "
        + "; ".join(f"{k} {v}" for k, v in info["versions"].items() if k != "python"),
        f"- zarrbridge source: {info['zarrbridge_commit']}",
        f"- Python >= 3.12 for the newest zarr-python (fused pipeline): {fused}",
        f"- settings: repeat {args.repeat} after {args.warmup} warm-up; "
        f"{'quick (256^3)' if args.quick else 'full (512^3)'}; page cache "
        f"{'dropped before each read' if args.cold else 'warm'}; work dir {work}",
    ]
    for k, r in skipped.items():
        header.append(f"- {k}: skipped — {r}")
    if "e" in cases:
        header.append(
            f"- case (e): local S3 server {args.s3_server!r} (auto: s3s-fs if built, else moto), "
            f"{args.e_size or (128 if args.quick else 256)}^3; raw obstore loops with "
            f"{E_INFLIGHT} requests in flight"
        )
    print("\n".join(header) + "\n", flush=True)

    n = 256 if args.quick else 512
    spec_a = ArraySpec((n, n, n), "uint16", (64, 64, 64))
    data_a = None
    if {"a", "b", "d", "f", "g"} & set(cases):
        t0 = time.perf_counter()
        data_a = random_ish(spec_a.shape, "uint16", bits=10)
        log(f"random-ish data generated in {time.perf_counter() - t0:.1f} s")
    t_start = time.perf_counter()
    if "a" in cases:
        case_array(ctx, "a", spec_a, data_a, "a")
    if "a2" in cases:
        data_a2 = compressible(spec_a.shape, "uint16")
        case_array(ctx, "a2", spec_a, data_a2, "a2")
        del data_a2
    if "b" in cases:
        spec_b = dataclasses.replace(spec_a, chunks=(32, 32, 32), shards=(128, 128, 128))
        case_array(ctx, "b", spec_b, data_a, "a")
    if "c" in cases:
        case_c(ctx)
    if "d" in cases:
        case_d(ctx, spec_a, data_a)
    if "e" in cases:
        case_e(ctx, data_a)
    if "f" in cases:
        case_f(ctx, spec_a, data_a)
    if "g" in cases:
        case_g(ctx, spec_a, data_a)
    if "s" in cases:
        from strings import case_s

        case_s(ctx, run_table)
    compute_targets(ctx)
    info["loadavg_end"] = os.getloadavg()
    info["elapsed_s"] = time.perf_counter() - t_start
    targets_md = "## Targets\n\n" + fmt_targets(ctx.targets)
    print(targets_md, flush=True)
    footer = (
        f"Load average at end: {', '.join(f'{x:.2f}' for x in info['loadavg_end'])}; "
        f"cases took {info['elapsed_s'] / 60:.1f} min."
    )
    print(footer)

    if args.json:
        with open(args.json, "w") as f:
            json.dump(
                {
                    "machine": info,
                    "settings": vars(args),
                    "skipped": skipped,
                    "python312": fused,
                    "tables": {t.key: t.as_json() for t in ctx.tables},
                    "memory_f": ctx.extra.get("f"),
                    "first_read_g": ctx.extra.get("g"),
                    "case_e": ctx.extra.get("e"),
                    "stored_bytes": {
                        k: v for k, v in ctx.extra.items() if k.endswith("stored-bytes")
                    },
                    "targets": [t.as_json() for t in ctx.targets],
                },
                f,
                indent=1,
                default=str,
            )
        log(f"wrote {args.json}")
    if args.md:
        parts = ["\n".join(header), "", "## Results", ""]
        for t in ctx.tables:
            parts.append(t.markdown())
        for case in ("f", "g"):
            if f"{case}-markdown" in ctx.extra:
                parts.append(ctx.extra[f"{case}-markdown"])
        parts += [targets_md, footer, ""]
        with open(args.md, "w") as f:
            f.write("\n".join(parts))
        log(f"wrote {args.md}")
    for lib in libs.values():
        if isinstance(lib, RemoteLib):
            lib.close()
    if not args.workdir:
        import shutil

        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
