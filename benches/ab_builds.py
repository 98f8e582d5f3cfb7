"""Compare builds of zarrbridge itself, interleaved in one run: for each round, ``run.py`` runs
once per build (``PYTHONPATH`` picks the build's package directory), so drift on a shared
machine hits every build alike. Reports, per case and row, the median over rounds of each
build's per-run medians, and each build's ratio to the first.

Usage (package directories hold ``zarrbridge/`` with its built ``_native`` extension, e.g. a
wheel unpacked with ``python -m zipfile -e``, or ``python/`` of a built checkout)::

    python benches/ab_builds.py --build before=/tmp/zb_before --build after=python \\
        --rounds 5 -- --cases a,b --libs zarrbridge --no-fused --repeat 3
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path


def main() -> int:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--build", action="append", required=True, help="NAME=PACKAGE_DIR (2 or more)")
    p.add_argument("--rounds", type=int, default=5)
    p.add_argument("--json", default=None, help="write the summary here")
    p.add_argument("run_args", nargs=argparse.REMAINDER, help="-- then run.py's arguments")
    args = p.parse_args()
    builds = dict(b.split("=", 1) for b in args.build)
    run_args = [a for a in args.run_args if a != "--"]
    here = Path(__file__).resolve().parent
    medians: dict[tuple[str, str], dict[str, list[float]]] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for r in range(args.rounds):
            for name, pkg in builds.items():
                out = Path(tmp) / f"{name}-{r}.json"
                env = {**os.environ, "PYTHONPATH": os.path.abspath(pkg)}
                cmd = [sys.executable, str(here / "run.py"), *run_args, "--json", str(out)]
                subprocess.run(cmd, env=env, check=True, stdout=subprocess.DEVNULL)
                for table_key, table in json.loads(out.read_text())["tables"].items():
                    for row in table["rows"]:
                        if row.get("kind") == "library" and row.get("times_s"):
                            key = (table_key, row["label"])
                            medians.setdefault(key, {}).setdefault(name, []).extend(row["times_s"])
                print(f"round {r + 1}/{args.rounds}: {name} done", file=sys.stderr)
    first = next(iter(builds))
    summary = []
    for (title, label), per_build in sorted(medians.items()):
        med = {n: statistics.median(v) for n, v in per_build.items()}
        summary.append(
            {
                "table": title,
                "row": label,
                "median_s": med,
                "runs": {n: len(v) for n, v in per_build.items()},
                "ratio_to_first": {n: med[n] / med[first] for n in med if first in med},
            }
        )
        cells = "  ".join(
            f"{n} {med[n]:.4f} s ({med[n] / med[first]:.3f}x)" for n in builds if n in med
        )
        print(f"{title} | {label}: {cells}")
    if args.json:
        Path(args.json).write_text(json.dumps({"builds": builds, "rows": summary}, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
