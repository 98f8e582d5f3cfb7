"""Builds of zarrbridge against each other under xarray: ``ZarrStore`` against zarr-python's
``LocalStore``, both read by ``engine="zarr"`` (case ``zarrstore`` of ``xarray_dask.py``).

Each round runs one fresh process per build (``PYTHONPATH`` picks the build's package
directory; the order alternates between rounds), which opens and loads the 8-variable dataset
of ``xarray_dask.py`` (128 MiB float32, zstd 1, v3) through ``ZarrStore`` and through
``LocalStore`` in turn, once untimed and 3 times timed, and keeps each one's fastest. Reported:
per build, the medians over rounds and the median per-process ratio LocalStore / ZarrStore
(> 1: ZarrStore faster), and the builds' ZarrStore times against the first build's, round by
round. Package directories hold ``zarrbridge/`` with its built ``_native`` extension (a
checkout's ``python/``, or ``git archive REV python/zarrbridge`` plus a build's ``.so``)::

    python benches/xarray_ab.py --build before=/tmp/zb_pre/python --build after=python \\
        --rounds 10
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path


def child(ref: str) -> None:
    import xarray as xr
    import zarrbridge
    from zarrbridge.zarr import ZarrStore

    def through_zarr_store() -> None:
        xr.open_dataset(ZarrStore(ref), engine="zarr").load()

    def through_local_store() -> None:
        xr.open_dataset(ref, engine="zarr").load()

    runs: dict[str, list[float]] = {"ZarrStore": [], "LocalStore": []}
    through_zarr_store()
    through_local_store()
    for _ in range(3):
        for name, rep in (("ZarrStore", through_zarr_store), ("LocalStore", through_local_store)):
            t0 = time.perf_counter()
            rep()
            runs[name].append(time.perf_counter() - t0)
    print(json.dumps({"package": zarrbridge.__file__, **{k: min(v) for k, v in runs.items()}}))


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", action="append", required=True, help="NAME=PACKAGE_DIR (2 or more)")
    p.add_argument("--rounds", type=int, default=10)
    p.add_argument("--json", default=None, help="write every time here")
    p.add_argument("--child", default=None, help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        child(args.child)
        return 0
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import xarray_dask

    builds = {n: os.path.abspath(d) for n, d in (b.split("=", 1) for b in args.build)}
    times: dict[str, dict[str, list[float]]] = {
        n: {"ZarrStore": [], "LocalStore": []} for n in builds
    }
    with tempfile.TemporaryDirectory() as work:
        ds = xarray_dask.dataset(8, (64, 256, 256), seed=2)
        ref = os.path.join(work, "ref.zarr")
        enc = xarray_dask.encoding(ds, (8, 128, 128))
        ds.to_zarr(ref, zarr_format=3, consolidated=True, mode="w", encoding=enc)
        for r in range(args.rounds):
            order = list(builds) if r % 2 == 0 else list(builds)[::-1]
            for name in order:
                env = {**os.environ, "PYTHONPATH": builds[name]}
                cmd = [sys.executable, __file__, "--build", "x=.", "--child", ref]
                done = subprocess.run(cmd, env=env, capture_output=True, text=True, check=True)
                out = json.loads(done.stdout)
                if not out["package"].startswith(builds[name]):
                    raise SystemExit(f"{name}: imported {out['package']}, not {builds[name]}")
                for k in ("ZarrStore", "LocalStore"):
                    times[name][k].append(out[k])
            print(f"round {r + 1}/{args.rounds}", file=sys.stderr, flush=True)
    first = next(iter(builds))
    for name, t in times.items():
        ratio = [b / a for a, b in zip(t["ZarrStore"], t["LocalStore"], strict=True)]
        vs_first = [b / a for a, b in zip(times[first]["ZarrStore"], t["ZarrStore"], strict=True)]
        print(
            f"{name}: ZarrStore {statistics.median(t['ZarrStore']):.3f} s, LocalStore "
            f"{statistics.median(t['LocalStore']):.3f} s; LocalStore / ZarrStore "
            f"{statistics.median(ratio):.3f} (per process: "
            f"{', '.join(f'{x:.2f}' for x in ratio)}); ZarrStore / {first}'s "
            f"{statistics.median(vs_first):.3f}"
        )
    if args.json:
        with open(args.json, "w") as f:
            json.dump(times, f, indent=1)
    return 0


if __name__ == "__main__":
    warnings.filterwarnings("ignore")
    sys.exit(main())
