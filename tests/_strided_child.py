"""Child of ``test_strided_memory``: read ``array[::step, ::step]`` of the array at ``path`` in
a fresh process and print, as JSON, the resident set right before the read and its high-water
mark during it (``VmHWM``, reset to the current RSS through ``/proc/self/clear_refs`` first).

    python tests/_strided_child.py PATH STEP
"""

from __future__ import annotations

import json
import sys

import numpy as np
import zarrbridge as zb


def status() -> dict[str, int]:
    out = {}
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(("VmHWM:", "VmRSS:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0]) * 1024
    return out


def main() -> None:
    path, step = sys.argv[1], int(sys.argv[2])
    array = zb.sync.open_array(path)
    # Start the runtime and the compute pool on a small array, so their threads are there
    # before the measurement (a thread's chunk of scratch memory is not: it is what is measured).
    small = zb.sync.create_array("memory://warm", shape=(64, 64), dtype="f4", chunks=(8, 8))
    small[:] = 1.0
    small[::3, ::3]
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5\n")
    before = status()["VmRSS"]
    result = array[::step, ::step]
    after = status()
    expected = float(np.asarray(result)[-1, -1])
    print(
        json.dumps(
            {
                "rss_before": before,
                "peak": after["VmHWM"],
                "result_bytes": result.nbytes,
                "last": expected,
                "shape": list(result.shape),
            }
        )
    )


if __name__ == "__main__":
    main()
