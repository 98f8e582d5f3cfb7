"""The counts published in docs/API.md ("Errors") and the closing note of issue 17: every case of
``tests/hostile_cases.py`` run once, classified.

    .venv/bin/python scripts/hostile_census.py [--json]

Each case runs in a child process (so an abort is counted, not fatal to the census) under a
watchdog (a hang is a case still running after ``HANG_S``). A case counts as *typed* when it
raises the ``zarrbridge.errors`` class it names, shows no secret, and leaves the store byte for
byte as it was. Otherwise it is a *panic* (pyo3's ``PanicException``), an *escape* (any other
exception, or none), *secret shown*, *store changed*, an *abort* (the child died) or a *hang*.
Exit status 0 only when every case is typed.
"""

from __future__ import annotations

import json
import queue
import subprocess
import sys
import threading
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HANG_S = 60.0

CHILD = r"""
import sys, json, threading
sys.path.insert(0, sys.argv[1])
from hostile_cases import CASES, SECRET, Env
from zarrbridge.errors import ZarrBridgeError

def chain(e):
    seen = []
    while e is not None and e not in seen:
        seen.append(e)
        e = e.__cause__ or e.__context__
    return seen

for i in map(int, sys.argv[2:]):
    case = CASES[i]
    print(json.dumps({"start": i}), flush=True)
    env = Env(f"census-{i}")
    if case.prepare is not None:
        case.prepare(env)
    before = env.snapshot()
    verdict = "typed"
    try:
        case.call(env)
        verdict = "escape"
    except BaseException as e:
        kind = type(e)
        if kind.__name__ == "PanicException":
            verdict = "panic"
        elif not isinstance(e, case.expect) or case.message not in str(e):
            verdict = "escape"
        elif any(SECRET in str(x) or SECRET in repr(x) for x in chain(e)):
            verdict = "secret shown"
        error = f"{kind.__module__}.{kind.__name__}"
    else:
        error = None
    if verdict == "typed" and env.snapshot() != before:
        verdict = "store changed"
    print(json.dumps({"case": i, "verdict": verdict, "error": error}), flush=True)
"""


def _pump(proc: subprocess.Popen[str], lines: queue.Queue[str | None]) -> None:
    assert proc.stdout is not None
    for line in proc.stdout:
        lines.put(line)
    lines.put(None)


def run(indices: list[int]) -> list[dict[str, object]]:
    """Run cases in one child; on an abort or a hang, record it and go on after that case."""
    results: list[dict[str, object]] = []
    pending = list(indices)
    while pending:
        proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(ROOT / "tests"), *map(str, pending)],
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=_pump, args=(proc, lines), daemon=True).start()
        started = None
        code: int | None = None
        while True:
            try:
                line = lines.get(timeout=HANG_S)
            except queue.Empty:  # the case running now hangs
                proc.kill()
                break
            if line is None:  # the child exited (done, or died inside `started`)
                code = proc.wait()
                break
            record = json.loads(line)
            if "start" in record:
                started = record["start"]
                continue
            results.append(record)
            pending.remove(int(record["case"]))
            started = None
        if started is not None and started in pending:
            verdict = "hang" if code is None else "abort"
            results.append({"case": started, "verdict": verdict, "error": f"exit {code}"})
            pending.remove(started)
    return results


def main() -> int:
    sys.path.insert(0, str(ROOT / "tests"))
    from hostile_cases import CASES

    results = run(list(range(len(CASES))))
    verdicts = Counter(str(r["verdict"]) for r in results)
    groups: dict[str, Counter[str]] = {}
    for r in results:
        case = CASES[int(r["case"])]  # type: ignore[call-overload]
        groups.setdefault(case.group, Counter())[str(r["verdict"])] += 1
    summary = {
        "bad inputs tried": len(results),
        "typed errors, store unchanged": verdicts["typed"],
        **{
            k: verdicts[k]
            for k in ("panic", "abort", "hang", "escape", "secret shown", "store changed")
        },
        "by group": {g: dict(c) for g, c in sorted(groups.items())},
        "not typed": [
            f"{CASES[int(r['case'])].group}: {CASES[int(r['case'])].name} -> "  # type: ignore[call-overload]
            f"{r['verdict']} ({r['error']})"
            for r in results
            if r["verdict"] != "typed"
        ],
    }
    if "--json" in sys.argv:
        print(json.dumps(summary, indent=2))
    else:
        for key, value in summary.items():
            if key == "by group":
                for group, counts in value.items():  # type: ignore[union-attr]
                    print(f"  {group}: {counts}")
            elif key == "not typed":
                for line in value:  # type: ignore[union-attr]
                    print(f"  NOT TYPED {line}")
            else:
                print(f"{key}: {value}")
    return 0 if verdicts["typed"] == len(results) else 1


if __name__ == "__main__":
    sys.exit(main())
