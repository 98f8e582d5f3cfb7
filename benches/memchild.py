"""Cases (f) and (g) child: read one array whole with one library in a fresh process; print
peak RSS and the read's time.

    python benches/memchild.py --lib zarrbridge --mode sync --path DIR --spec JSON --threads N

Prints one JSON line, all in bytes:

* ``rss_before``: resident set right before the read (after imports and opening the array);
* ``peak_read``: the high-water mark of the resident set during the read (``VmHWM``, reset to
  the current RSS just before the read through ``/proc/self/clear_refs``);
* ``peak_process``: the process's high-water mark since it started (imports included);
* ``ru_maxrss``: ``getrusage``'s figure, for reference only — Linux carries it over from the
  parent across fork+exec, so a child of a big benchmark process reports the parent's size;

and ``seconds``, the read's wall time (the first read of this process: case (g)).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
if HERE not in sys.path:
    sys.path.insert(0, HERE)


def maxrss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


def status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                k, v = line.split(":", 1)
                out[k] = int(v.split()[0]) * 1024
    return out


def reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5\n")
        return True
    except OSError:
        return False


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--lib", required=True)
    p.add_argument("--mode", default="sync")
    p.add_argument("--path", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--threads", type=int, default=len(os.sched_getaffinity(0)))
    args = p.parse_args()

    from libs import ArraySpec, Location, all_libs

    spec_d = json.loads(args.spec)
    spec = ArraySpec(
        shape=tuple(spec_d["shape"]),
        dtype=spec_d["dtype"],
        chunks=tuple(spec_d["chunks"]),
        shards=tuple(spec_d["shards"]) if spec_d["shards"] else None,
        zstd_level=spec_d["zstd_level"],
    )
    loc = Location(kind="file", path=args.path)
    if args.lib == "reference":
        from bounds import ref_read

        before = status()
        reset = reset_peak()
        t0 = time.perf_counter()
        out = ref_read(args.path, spec, args.threads)
        seconds = time.perf_counter() - t0
    else:
        lib = {x.key: x for x in all_libs(local_only=True)}[args.lib]
        with lib.context():
            h = lib.open(loc)
            if args.mode == "async":
                loop = asyncio.new_event_loop()
            before = status()
            reset = reset_peak()
            t0 = time.perf_counter()
            out = lib.read(h) if args.mode == "sync" else loop.run_until_complete(lib.read_async(h))
            seconds = time.perf_counter() - t0
    after = status()
    assert out.shape == spec.shape, out.shape
    print(
        json.dumps(
            {
                "rss_before": before["VmRSS"],
                "peak_read": after["VmHWM"],
                "peak_process": max(before["VmHWM"], after["VmHWM"]),
                "peak_reset": reset,
                "ru_maxrss": maxrss(),
                "nbytes": int(out.nbytes),
                "seconds": seconds,
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
