"""Measure the asyncio bridge, and compare it with another build (``--baseline``) or, at commit
6ca82114 (which still had the switch ``ZARRBRIDGE_ASYNC_BRIDGE``), with the bridge of
``pyo3-async-runtimes`` (``--bridges native,pyo3-async-runtimes``). Every figure is taken in
fresh child processes, the rows interleaved round by round (docs/dev/async-bridge.md holds the
results):

- per-await latency: 2,000 ``read_chunk`` awaits one after another (bench case (c): 16^3 uint8
  chunks, zstd 1, files), with the first-poll fast path on (as shipped) and off
  (``ZARRBRIDGE_FIRST_POLL=0``: every await crosses the bridge);
- 2,000 concurrent awaits: ``asyncio.gather`` of 2,000 ``read_chunk`` (first poll off), wall
  time and the event loop thread's CPU time per await;
- the gather of bench case (d) (512 chunks of 64^3 uint16, zstd 1) against one whole read;
- cancellation latency (p50/p99) of reads stalled on a FIFO (``measure_async.py``);
- exits with work in flight: a process starts 500 reads (first poll off), lets its loop run
  5 ms and exits; the share of such processes that crash (non-zero status, e.g. SIGSEGV).

The behaviour tests (torn writes, fork, interpreter exit, trio) are pytest runs:
``ZARRBRIDGE_ASYNC_BRIDGE=pyo3-async-runtimes python -m pytest tests/test_async_*.py ...``.

With ``--baseline DIR`` (a checkout's ``python`` directory holding its built extension), that
build runs too, as a third row, in the cases it can take part in (it has no switches).

Usage: ``python scripts/measure_bridge.py [--rounds 3] [--baseline DIR] [--bridges native]
[--json out.json]``
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

BRIDGES = ("native",)
ZSTD1 = {"name": "zstd", "configuration": {"level": 1, "checksum": False}}


def make_data(root: Path) -> None:
    import numpy as np
    from zarrbridge import sync as zbs

    rng = np.random.default_rng(0)
    c = zbs.create_array(
        str(root), "c", shape=(160, 160, 320), dtype="uint8", chunks=(16, 16, 16), compressors=ZSTD1
    )
    zbs.write_region(c, ..., rng.integers(0, 64, size=(160, 160, 320), dtype="uint8"))
    d = zbs.create_array(
        str(root), "d", shape=(512,) * 3, dtype="uint16", chunks=(64,) * 3, compressors=ZSTD1
    )
    zbs.write_region(d, ..., rng.integers(0, 1024, size=(512,) * 3, dtype="uint16"))


def coords_of(array: Any) -> list[tuple[int, ...]]:
    import numpy as np

    return [tuple(int(i) for i in c) for c in np.ndindex(*array.grid_shape)]


def case_latency(root: Path) -> dict[str, float]:
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    array = zbs.open_array(str(root), "c")
    coords = coords_of(array)[:2000]

    async def one_by_one() -> float:
        start = time.perf_counter()
        for c in coords:
            await zb.read_chunk(array, c)
        return (time.perf_counter() - start) / len(coords)

    loop = asyncio.new_event_loop()
    loop.run_until_complete(one_by_one())
    per = [loop.run_until_complete(one_by_one()) for _ in range(5)]
    return {"us_per_await": statistics.median(per) * 1e6}


def case_gather(root: Path) -> dict[str, float]:
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    array = zbs.open_array(str(root), "c")
    coords = coords_of(array)[:2000]

    async def gather() -> tuple[float, float]:
        cpu, start = time.thread_time(), time.perf_counter()
        await asyncio.gather(*(zb.read_chunk(array, c) for c in coords))
        return time.perf_counter() - start, time.thread_time() - cpu

    loop = asyncio.new_event_loop()
    loop.run_until_complete(gather())
    runs = [loop.run_until_complete(gather()) for _ in range(5)]
    return {
        "ms": statistics.median(r[0] for r in runs) * 1e3,
        "loop_cpu_us_per_await": statistics.median(r[1] for r in runs) / len(coords) * 1e6,
    }


def case_d(root: Path) -> dict[str, float]:
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    array = zbs.open_array(str(root), "d")
    coords = coords_of(array)

    async def gather() -> float:
        start = time.perf_counter()
        await asyncio.gather(*(zb.read_chunk(array, c) for c in coords))
        return time.perf_counter() - start

    def whole() -> float:
        start = time.perf_counter()
        zbs.read_region(array)
        return time.perf_counter() - start

    loop = asyncio.new_event_loop()
    loop.run_until_complete(gather())
    whole()
    g, w = [], []
    for _ in range(5):
        g.append(loop.run_until_complete(gather()))
        w.append(whole())
    return {"gather_ms": statistics.median(g) * 1e3, "whole_ms": statistics.median(w) * 1e3}


def case_exit(root: Path) -> dict[str, float]:
    import zarrbridge as zb
    from zarrbridge import sync as zbs

    array = zbs.open_array(str(root), "c")
    coords = coords_of(array)[:500]
    loop = asyncio.new_event_loop()
    tasks = [loop.create_task(zb.read_chunk(array, c)) for c in coords]
    loop.run_until_complete(asyncio.sleep(0.005))
    for t in tasks:
        t.add_done_callback(lambda t: None)
        t._log_destroy_pending = False  # type: ignore[attr-defined]
    return {"crashed": 0.0}


def case_cancel(root: Path) -> dict[str, float]:
    sys.path.insert(0, str(Path(__file__).parent))
    from measure_async import cancel_latency

    return cancel_latency("asyncio", 200)


CASES = {
    "latency": (case_latency, {}),
    "latency_bridge_only": (case_latency, {"ZARRBRIDGE_FIRST_POLL": "0"}),
    "gather_2000": (case_gather, {"ZARRBRIDGE_FIRST_POLL": "0"}),
    "d_gather_vs_whole": (case_d, {}),
    "cancel": (case_cancel, {}),
    "exit_in_flight": (case_exit, {"ZARRBRIDGE_FIRST_POLL": "0"}),
}


BASELINE = "baseline"


def child(case: str, bridge: str, root: Path, baseline: str | None) -> dict[str, float]:
    env = {**os.environ, "ZARRBRIDGE_ASYNC_BRIDGE": bridge, **CASES[case][1]}
    if bridge == BASELINE:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [baseline, env.get("PYTHONPATH")]))
        env["ZARRBRIDGE_ASYNC_BRIDGE"] = "native"
    out = subprocess.run(
        [sys.executable, __file__, "--child", case, str(root)],
        check=case != "exit_in_flight",
        capture_output=True,
        text=True,
        env=env,
    )
    if case == "exit_in_flight":
        return {"crashed": float(out.returncode != 0)}
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--cases", default=",".join(CASES))
    parser.add_argument("--json", default=None)
    parser.add_argument("--baseline", default=None)
    parser.add_argument("--bridges", default=",".join(BRIDGES))
    parser.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        case, root = args.child
        print(json.dumps(CASES[case][0](Path(root))))
        return
    cases = args.cases.split(",")
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        make_data(root)
        bridges = args.bridges.split(",")
        rows = {
            c: [*bridges, BASELINE] if args.baseline and not CASES[c][1] else list(bridges)
            for c in cases
        }
        results: dict[str, dict[str, list[dict[str, float]]]] = {
            c: {b: [] for b in rows[c]} for c in cases
        }
        for r in range(args.rounds):
            for case in cases:
                order = rows[case] if r % 2 == 0 else rows[case][::-1]
                for bridge in order:
                    results[case][bridge].append(child(case, bridge, root, args.baseline))
    summary: dict[str, dict[str, dict[str, float]]] = {}
    print(f"{args.rounds} rounds, medians over rounds (each a fresh process); bridges interleaved")
    for case in cases:
        summary[case] = {}
        for bridge, runs in results[case].items():
            summary[case][bridge] = {
                # "crashed": the share of processes; every other figure: the median.
                k: (statistics.mean if k == "crashed" else statistics.median)(r[k] for r in runs)
                for k in runs[0]
            }
            figures = "  ".join(f"{k} {v:.2f}" for k, v in summary[case][bridge].items())
            print(f"{case:22} {bridge:20} {figures}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "runs": results}, indent=1))


if __name__ == "__main__":
    main()
