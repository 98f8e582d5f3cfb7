#!/usr/bin/env python3
"""Summarise a ``perf record`` profile of zarrbridge into coarse buckets, per thread kind.

    perf record -F 1000 -o perf.data python benches/profile.py a-read-sync --seconds 15
    python benches/perf_buckets.py perf.data

Buckets are decided by symbol name (flat, self time; no call graphs needed, the release
build has no frame pointers). Symbols of the statically linked zstd assembly loops have no
name; unnamed addresses inside ``_native*.so`` are counted as ``zstd (unnamed asm)``.
"""

from __future__ import annotations

import collections
import re
import subprocess
import sys

BUCKETS: list[tuple[str, re.Pattern[str]]] = [
    (
        "zstd context create/free",
        re.compile(r"ZSTD_(create|free)[CD]Ctx|ZSTD_initCStream|ZSTD_resetCCtx"),
    ),
    ("zstd (de)compress", re.compile(r"ZSTD|HUF_|FSE_|zstd")),
    ("zstd (unnamed asm)", re.compile(r"^_native.*0x[0-9a-f]+$")),
    (
        "strided copy into the output (zarrs iterators)",
        re.compile(r"LinearisedIndices|IndicesIterator|ArrayBytesFixedDisjointView|copy_block"),
    ),
    ("memcpy / memset", re.compile(r"memmove|memcpy|memset")),
    (
        "page faults / mm (fresh memory)",
        re.compile(
            r"page_fault|clear_page|do_anonymous_page|handle_mm_fault|lock_vma|unmap_page|"
            r"folio|__list_del|free_pages|zap_|lru|alloc_pages|rmqueue|mm_|pte|tlb|vma"
        ),
    ),
    ("file read (kernel)", re.compile(r"copy_to_iter|filemap|ext4|vfs_|generic_file|copy_user")),
    (
        "thread hand-offs (futex, wakeups, yield)",
        re.compile(
            r"futex|finish_task_switch|spin_unlock_irqrestore|sched_yield|__schedule|"
            r"try_to_wake_up|schedule|park|Mutex.*lock_contended|syscall$|wait_until|steal|"
            r"crossbeam|rayon|tokio"
        ),
    ),
    ("malloc / free", re.compile(r"malloc|_int_free|cfree|free$|realloc|mmap|brk")),
    ("Python interpreter", re.compile(r"^libpython|_Py|Py[A-Z]")),
]


def main() -> int:
    data = sys.argv[1] if len(sys.argv) > 1 else "perf.data"
    out = subprocess.run(
        ["perf", "report", "-i", data, "--no-children", "--sort", "comm,dso,sym", "--stdio"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    line_re = re.compile(r"^\s+([\d.]+)%\s+(\S+)\s+(\S+)\s+\[[.k]\]\s+(.*)$")
    table: dict[str, collections.Counter[str]] = collections.defaultdict(collections.Counter)
    totals: collections.Counter[str] = collections.Counter()
    for line in out.splitlines():
        m = line_re.match(line)
        if not m:
            continue
        pct, comm, dso, sym = float(m[1]), m[2], m[3], m[4].strip()
        thread = (
            "compute (rayon)"
            if comm.startswith("zarrbridge-comp")
            else "io (tokio + blocking)"
            if comm.startswith("zarrbridge-io")
            else "python (caller)"
            if comm.startswith("python")
            else "other"
        )
        key = f"{dso} {sym}"
        bucket = "other"
        for name, rx in BUCKETS:
            if (
                rx.search(sym)
                or (name == "zstd (unnamed asm)" and rx.search(key))
                or (name == "Python interpreter" and rx.search(dso))
            ):
                bucket = name
                break
        table[thread][bucket] += pct
        totals[thread] += pct
    for thread, total in sorted(totals.items(), key=lambda kv: -kv[1]):
        print(f"{thread}: {total:.1f}% of samples")
        for bucket, pct in table[thread].most_common():
            if pct >= 0.5:
                print(f"    {pct:5.1f}%  {bucket}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
