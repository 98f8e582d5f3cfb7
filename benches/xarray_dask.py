"""Where users live: xarray and dask, zarrbridge against zarr-python in the same run.

Cases (each entry: one warm-up run checked for correctness, then --repeat rounds that run every
entry once, round-robin; medians, min, max and ratios):

- ``open-load``: open + load of a 20-variable dataset (float32, 32x256x256 each, 160 MiB;
  chunks 8x128x128, zstd level 1, Zarr v3, consolidated; written by xarray + zarr-python), with
  ``engine="zarrbridge"`` (``load()`` and ``await load_async()``) against ``engine="zarr"`` with
  zarr-python's default codec pipeline (on the path, and through ``zarrbridge.zarr.ZarrStore``)
  and with zarrs-python's (PyPI ``zarrs``).
- ``zarrstore``: zarr-python behind xarray through ``zarrbridge.zarr.ZarrStore`` against its own
  ``LocalStore`` (a path): ``open_dataset(engine="zarr").load()`` and ``to_zarr`` of 8
  float32 variables (128 MiB, zstd 1, v3; chunks 8x128x128).
- ``region``: writing one day (8 variables, 4 CF-packed into int16) into a 3-day dataset
  written by xarray + zarr-python: examples/xarray_dataset.py's recipe (xarray's
  ``encode_zarr_variable``, then ``zarrbridge.write_region`` of every variable at once) against
  ``to_zarr(region=...)`` on a path (LocalStore), through ``ZarrStore``, and with the zarrs
  pipeline.
- ``fancy``: open + ``isel`` + load of 400 random rows x 400 random columns (outer), 20,000
  random points and 50 random points (vectorized) of a 4096x4096 float32 variable (256x256
  chunks, zstd 1, v3): ``engine="zarrbridge"`` (``read_orthogonal`` / ``read_vectorized``),
  the same forced to ``IndexingSupport.BASIC`` (bounding slices, then numpy: the engine before
  issue 13), and ``engine="zarr"`` with both pipelines.
- ``dask``: ``x.sum()`` over case (a)'s array of benches/README.md (512^3 uint16, 64^3 chunks,
  zstd 1, v3, 10 random low bits; 256^3 with --quick) on ``LocalCluster(n_workers=2,
  threads_per_worker=1, processes=True)``: ``zarrbridge.dask.to_dask`` against
  ``dask.array.from_zarr`` (zarr-python, default pipeline), graph built and computed each run.

    .venv/bin/python benches/xarray_dask.py [--quick] [--repeat 5]
        [--cases open-load,zarrstore,region,fancy,dask] [--json out.json] [--md out.md]
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
import warnings
from collections.abc import Callable
from typing import Any

import numpy as np

warnings.filterwarnings("ignore")

Rep = Callable[[bool], None]


def log(*a: Any) -> None:
    print(*a, file=sys.stderr, flush=True)


def rounds(entries: dict[str, Rep], repeat: int) -> dict[str, list[float]]:
    """Warm-up (checked), then ``repeat`` interleaved rounds; seconds per entry."""
    for name, rep in entries.items():
        log(f"  warm-up {name}")
        rep(True)
    times: dict[str, list[float]] = {name: [] for name in entries}
    for r in range(repeat):
        for name, rep in entries.items():
            t0 = time.perf_counter()
            rep(False)
            times[name].append(time.perf_counter() - t0)
        log(f"  round {r + 1}/{repeat}: " + ", ".join(f"{k} {v[-1]:.3f}" for k, v in times.items()))
    return times


def table(title: str, times: dict[str, list[float]], nbytes: int, first: str) -> dict[str, Any]:
    med = {k: statistics.median(v) for k, v in times.items()}
    rows = [
        {
            "name": k,
            "median_s": med[k],
            "min_s": min(v),
            "max_s": max(v),
            "mb_s": nbytes / med[k] / 1e6,
            "zarrbridge_speedup": med[k] / med[first],
            "runs": v,
        }
        for k, v in times.items()
    ]
    return {"title": title, "bytes": nbytes, "rows": rows}


def markdown(t: dict[str, Any]) -> str:
    lines = [
        f"### {t['title']}",
        "",
        "| entry | median s | min | max | MB/s | this / first row |",
        "|---|---|---|---|---|---|",
    ]
    for r in t["rows"]:
        lines.append(
            f"| {r['name']} | {r['median_s']:.3f} | {r['min_s']:.3f} | {r['max_s']:.3f} | "
            f"{r['mb_s']:.0f} | {r['zarrbridge_speedup']:.2f}x |"
        )
    return "\n".join(lines) + "\n"


# --- open + load ----------------------------------------------------------------------------


def dataset(n: int, shape: tuple[int, ...], seed: int = 1) -> Any:
    import xarray as xr

    rng = np.random.default_rng(seed)
    dims = ("t", "y", "x")
    return xr.Dataset(
        {
            f"v{i:02d}": (dims, (rng.integers(0, 2**10, shape) / 8).astype("float32"))
            for i in range(n)
        },
        coords={"t": np.arange(shape[0]), "y": np.arange(shape[1]), "x": np.arange(shape[2])},
        attrs={"title": "bench"},
    )


def encoding(ds: Any, chunks: tuple[int, ...]) -> dict[str, Any]:
    import zarr

    return {k: {"chunks": chunks, "compressors": [zarr.codecs.ZstdCodec(level=1)]} for k in ds}


def case_open_load(work: str, repeat: int, quick: bool) -> dict[str, Any]:
    import xarray as xr
    import zarr
    from zarrbridge.zarr import ZarrStore

    shape = (8, 256, 256) if quick else (32, 256, 256)
    ds = dataset(20, shape)
    path = os.path.join(work, "open-load.zarr")
    ds.to_zarr(
        path, zarr_format=3, consolidated=True, mode="w", encoding=encoding(ds, (8, 128, 128))
    )

    def check(got: Any) -> None:
        xr.testing.assert_identical(got, ds)

    def zb_load(c: bool) -> None:
        got = xr.open_dataset(path, engine="zarrbridge").load()
        if c:
            check(got)

    def zb_async(c: bool) -> None:
        async def main() -> Any:
            return await xr.open_dataset(path, engine="zarrbridge").load_async()

        got = asyncio.run(main())
        if c:
            check(got)

    def zarr_with(pipeline: str) -> Rep:
        def rep(c: bool) -> None:
            with zarr.config.set({"codec_pipeline.path": pipeline}):
                got = xr.open_dataset(path, engine="zarr").load()
            if c:
                check(got)

        return rep

    def zarr_through_zarr_store(c: bool) -> None:
        got = xr.open_dataset(ZarrStore(path), engine="zarr").load()
        if c:
            check(got)

    entries = {
        "engine=zarrbridge load()": zb_load,
        "engine=zarrbridge await load_async()": zb_async,
        "engine=zarr (default pipeline)": zarr_with(
            "zarr.core.codec_pipeline.BatchedCodecPipeline"
        ),
        "engine=zarr through ZarrStore (default pipeline)": zarr_through_zarr_store,
    }
    try:
        import zarrs  # noqa: F401

        entries["engine=zarr (zarrs pipeline)"] = zarr_with("zarrs.ZarrsCodecPipeline")
    except ImportError as e:
        log(f"  zarrs pipeline skipped: {e}")
    return table(
        f"open + load of 20 variables ({ds.nbytes / 2**20:.0f} MiB float32, chunks 8x128x128, "
        "zstd 1, v3, consolidated)",
        rounds(entries, repeat),
        ds.nbytes,
        "engine=zarrbridge load()",
    )


# --- ZarrStore against LocalStore ------------------------------------------------------------


def case_zarrstore(work: str, repeat: int, quick: bool) -> list[dict[str, Any]]:
    import xarray as xr
    from zarrbridge.zarr import ZarrStore

    shape = (16, 256, 256) if quick else (64, 256, 256)
    ds = dataset(8, shape, seed=2)
    enc = encoding(ds, (8, 128, 128))
    ref = os.path.join(work, "zarrstore-ref.zarr")
    ds.to_zarr(ref, zarr_format=3, consolidated=True, mode="w", encoding=enc)

    def read(store: Callable[[], Any]) -> Rep:
        def rep(c: bool) -> None:
            got = xr.open_dataset(store(), engine="zarr").load()
            if c:
                xr.testing.assert_identical(got, ds)

        return rep

    def write(store: Callable[[str], Any], name: str) -> Rep:
        target = os.path.join(work, name)

        def rep(c: bool) -> None:
            shutil.rmtree(target, ignore_errors=True)
            ds.to_zarr(store(target), zarr_format=3, consolidated=True, mode="w", encoding=enc)
            if c:
                xr.testing.assert_identical(xr.open_dataset(target, engine="zarr").load(), ds)

        return rep

    reads = rounds(
        {
            "ZarrStore (zarrbridge)": read(lambda: ZarrStore(ref)),
            "LocalStore (a path)": read(lambda: ref),
        },
        repeat,
    )
    writes = rounds(
        {
            "ZarrStore (zarrbridge)": write(ZarrStore, "w-zb.zarr"),
            "LocalStore (a path)": write(lambda p: p, "w-local.zarr"),
        },
        repeat,
    )
    title = f"engine=zarr, 8 variables ({ds.nbytes / 2**20:.0f} MiB float32, zstd 1, v3)"
    return [
        table(f"{title}: open + load", reads, ds.nbytes, "ZarrStore (zarrbridge)"),
        table(f"{title}: to_zarr", writes, ds.nbytes, "ZarrStore (zarrbridge)"),
    ]


# --- region writes from xarray ------------------------------------------------------------------


def weather(days: int, ny: int, nx: int, seed: int) -> Any:
    """8 smooth fields with noise, hourly: 4 CF-packed into int16, 4 float32."""
    import pandas as pd
    import xarray as xr

    rng = np.random.default_rng(seed)
    hours = 24 * days
    t, y, x = np.ogrid[:hours, :ny, :nx]
    field = np.sin(y / 30 + t / 12) + np.cos(x / 45)
    ds = xr.Dataset(
        coords={"time": pd.date_range("2026-01-01", periods=hours, freq="h")},
    )
    for i in range(8):
        values = 280 + 10 * field + rng.normal(0, 0.05, (hours, ny, nx))
        ds[f"v{i}"] = (("time", "y", "x"), values.astype("float32" if i % 2 else "float64"))
        ds[f"v{i}"].encoding = {"chunks": (24, ny // 4, nx // 4)}
        if i % 2 == 0:
            ds[f"v{i}"].encoding.update(
                {"dtype": "int16", "scale_factor": 0.01, "add_offset": 280.0, "_FillValue": -32768}
            )
    return ds


def case_region(work: str, repeat: int, quick: bool) -> dict[str, Any]:
    import xarray as xr
    import zarr
    from zarrbridge.zarr import ZarrStore

    # The very recipe of the example, not a copy.
    sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "examples"))
    from xarray_dataset import write_dataset_region

    ny, nx = (180, 360) if quick else (360, 720)
    full = weather(3, ny, nx, seed=3)
    day2 = weather(1, ny, nx, seed=4).drop_vars("time")
    region = {"time": slice(24, 48)}
    expected = xr.concat(
        [
            full.isel(time=slice(0, 24)),
            day2.assign_coords(time=full.time[24:48]),
            full.isel(time=slice(48, 72)),
        ],
        dim="time",
    )
    paths = {}
    for key in ("zb", "local", "zarrstore", "zarrs"):
        paths[key] = os.path.join(work, f"region-{key}.zarr")
        full.to_zarr(paths[key], zarr_format=3, consolidated=True, mode="w")

    def check(path: str) -> None:
        got = xr.open_dataset(path, engine="zarr").load()
        xr.testing.assert_allclose(got, expected, atol=0.006)

    def ours(c: bool) -> None:
        asyncio.run(write_dataset_region(paths["zb"], day2, region))
        if c:
            check(paths["zb"])

    def to_zarr(key: str, store: Callable[[str], Any], pipeline: str) -> Rep:
        def rep(c: bool) -> None:
            with zarr.config.set({"codec_pipeline.path": pipeline}):
                day2.to_zarr(store(paths[key]), region=region)
            if c:
                check(paths[key])

        return rep

    default = "zarr.core.codec_pipeline.BatchedCodecPipeline"
    entries = {
        "xarray encodes, zarrbridge writes": ours,
        "to_zarr(region=...) (LocalStore)": to_zarr("local", lambda p: p, default),
        "to_zarr(region=...) through ZarrStore": to_zarr("zarrstore", ZarrStore, default),
    }
    try:
        import zarrs  # noqa: F401

        entries["to_zarr(region=...) (zarrs pipeline)"] = to_zarr(
            "zarrs", lambda p: p, "zarrs.ZarrsCodecPipeline"
        )
    except ImportError as e:
        log(f"  zarrs pipeline skipped: {e}")
    return table(
        f"region write of one day into 3 ({day2.nbytes / 2**20:.0f} MiB: 8 variables "
        f"24x{ny}x{nx}, 4 packed into int16; chunks 24x{ny // 4}x{nx // 4}, default codecs, v3)",
        rounds(entries, repeat),
        day2.nbytes,
        "xarray encodes, zarrbridge writes",
    )


# --- outer and vectorized selections ---------------------------------------------------------


def case_fancy(work: str, repeat: int, quick: bool) -> list[dict[str, Any]]:
    import xarray as xr
    import zarr
    import zarrbridge.xarray as zx
    from xarray.core.indexing import IndexingSupport

    n = 2048 if quick else 4096
    rng = np.random.default_rng(5)
    values = (rng.integers(0, 2**10, (n, n)) / 8).astype("float32")
    ds = xr.Dataset({"v": (("y", "x"), values)})
    path = os.path.join(work, "fancy.zarr")
    ds.to_zarr(path, zarr_format=3, consolidated=True, mode="w", encoding=encoding(ds, (256, 256)))
    selections = {
        "outer: 400 random rows x 400 random columns": {
            "y": np.sort(rng.choice(n, 400, replace=False)),
            "x": np.sort(rng.choice(n, 400, replace=False)),
        },
        "vectorized: 20,000 random points": {
            "y": xr.DataArray(rng.integers(0, n, 20_000), dims="p"),
            "x": xr.DataArray(rng.integers(0, n, 20_000), dims="p"),
        },
        # Stations: a few points, a few chunks, but bounding slices that span the array.
        "vectorized: 50 random points": {
            "y": xr.DataArray(rng.integers(0, n, 50), dims="p"),
            "x": xr.DataArray(rng.integers(0, n, 50), dims="p"),
        },
    }
    native = zx._support

    def basic(array: Any) -> IndexingSupport:
        return IndexingSupport.BASIC

    def engine(
        sel: dict[str, Any], name: str, support: Any = native, pipeline: str | None = None
    ) -> Rep:
        expected = ds.isel(sel)

        def rep(c: bool) -> None:
            zx._support = support
            try:
                config = {"codec_pipeline.path": pipeline} if pipeline else {}
                with zarr.config.set(config):
                    got = xr.open_dataset(path, engine=name).isel(sel).load()
            finally:
                zx._support = native
            if c:
                xr.testing.assert_identical(got, expected)

        return rep

    tables = []
    for title, sel in selections.items():
        entries = {
            "engine=zarrbridge (read_orthogonal / read_vectorized)": engine(sel, "zarrbridge"),
            "engine=zarrbridge, BASIC (bounding slices, as before issue 13)": engine(
                sel, "zarrbridge", basic
            ),
            "engine=zarr (default pipeline)": engine(sel, "zarr"),
        }
        try:
            import zarrs  # noqa: F401

            entries["engine=zarr (zarrs pipeline)"] = engine(
                sel, "zarr", pipeline="zarrs.ZarrsCodecPipeline"
            )
        except ImportError as e:
            log(f"  zarrs pipeline skipped: {e}")
        tables.append(
            table(
                f"open + isel + load, {title} of a {n}x{n} float32 variable (256x256 chunks, "
                "zstd 1, v3)",
                rounds(entries, repeat),
                ds.isel(sel).nbytes,
                "engine=zarrbridge (read_orthogonal / read_vectorized)",
            )
        )
    return tables


# --- dask reduction ---------------------------------------------------------------------------


def case_dask(work: str, repeat: int, quick: bool) -> dict[str, Any]:
    import dask.array as da
    import distributed
    import zarr
    import zarrbridge as zb
    from zarrbridge.dask import to_dask

    n = 256 if quick else 512
    data = np.random.default_rng(0).integers(0, 2**10, size=(n, n, n), dtype="uint16")
    expected = int(data.sum(dtype="uint64"))
    path = os.path.join(work, "a.zarr")
    z = zarr.create_array(
        path,
        shape=data.shape,
        dtype="uint16",
        chunks=(64, 64, 64),
        compressors=[zarr.codecs.ZstdCodec(level=1)],
        zarr_format=3,
        overwrite=True,
    )
    z[...] = data
    del data, z

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster),
    ):

        def ours(c: bool) -> None:
            total = int(to_dask(zb.sync.open_array(path)).sum(dtype="uint64").compute())
            if c:
                assert total == expected, (total, expected)

        def theirs(c: bool) -> None:
            total = int(da.from_zarr(path).sum(dtype="uint64").compute())
            if c:
                assert total == expected, (total, expected)

        times = rounds({"zarrbridge.dask.to_dask": ours, "dask.array.from_zarr": theirs}, repeat)
    return table(
        f"dask sum over case (a) ({n}^3 uint16, 64^3 chunks, zstd 1) on a 2-process LocalCluster",
        times,
        n**3 * 2,
        "zarrbridge.dask.to_dask",
    )


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--quick", action="store_true")
    p.add_argument("--repeat", type=int, default=5)
    p.add_argument("--cases", default="open-load,zarrstore,region,fancy,dask")
    p.add_argument("--json")
    p.add_argument("--md")
    args = p.parse_args(argv)
    cases = args.cases.split(",")
    work = tempfile.mkdtemp(prefix="zb-xarray-dask-")
    tables: list[dict[str, Any]] = []
    try:
        if "open-load" in cases:
            log("case open-load")
            tables.append(case_open_load(work, args.repeat, args.quick))
        if "zarrstore" in cases:
            log("case zarrstore")
            tables.extend(case_zarrstore(work, args.repeat, args.quick))
        if "region" in cases:
            log("case region")
            tables.append(case_region(work, args.repeat, args.quick))
        if "fancy" in cases:
            log("case fancy")
            tables.extend(case_fancy(work, args.repeat, args.quick))
        if "dask" in cases:
            log("case dask")
            tables.append(case_dask(work, args.repeat, args.quick))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    import dask
    import xarray
    import zarr

    info = {
        "machine": platform.platform(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "versions": {
            "xarray": xarray.__version__,
            "dask": dask.__version__,
            "zarr": zarr.__version__,
        },
        "repeat": args.repeat,
        "quick": args.quick,
    }
    report = "".join(markdown(t) + "\n" for t in tables)
    print(report)
    if args.md:
        with open(args.md, "w") as f:
            f.write(report)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"machine": info, "tables": tables}, f, indent=1)
    return 0


if __name__ == "__main__":
    sys.exit(main())
