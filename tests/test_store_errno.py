"""A file store's OS errors fill ``StoreError.errno``, ``.strerror`` and ``.filename`` (the file
on disk), keep the library's message (store and key) as ``str()``, and chain the ``OSError``
subclass of the errno as ``__cause__``. Disk full is a real tmpfs of 64 KiB in a private mount
namespace (``unshare -m``; skipped where that is not allowed) and a file-size limit
(``RLIMIT_FSIZE``: ``EFBIG``); permissions run as nobody (``setpriv``; skipped without it).
A failed write leaves the old chunk whole and no temporary file behind."""

from __future__ import annotations

import errno
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import zarrbridge as zb
from zarrbridge import sync as zbs
from zarrbridge.errors import StoreError

# Run in a child: writes a region too big for the device into an array at argv[1], reports
# the error as JSON.
CHILD = r"""
import json, sys
import numpy as np
import zarrbridge.sync as zbs
arr = zbs.open_array(sys.argv[1], "a")
try:
    zbs.write_region(arr, ..., np.random.default_rng(0).integers(0, 2**31, arr.shape, "int32"))
except Exception as e:
    c = e.__cause__
    print(json.dumps({"type": type(e).__name__, "errno": e.errno, "strerror": e.strerror,
        "filename": e.filename, "str": str(e), "cause": type(c).__name__,
        "cause_errno": getattr(c, "errno", None)}))
else:
    print(json.dumps({"type": None}))
"""


def make_array(root: Path) -> np.ndarray[Any, Any]:
    arr = zbs.create_array(str(root), "a", shape=(64, 1024), chunks=(64, 1024), dtype="int32")
    old = np.arange(64 * 1024, dtype="int32").reshape(64, 1024) % 7
    zbs.write_region(arr, ..., old[:1])  # one small chunk write... then the whole old chunk
    zbs.write_region(arr, ..., old)
    return old


def files(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def check_report(report: dict[str, Any], code: int, root: Path) -> None:
    assert report["type"] == "StoreError", report
    assert report["errno"] == code, report
    assert report["strerror"] == os.strerror(code), report
    assert report["filename"] == str(root / "a" / "c" / "0" / "0"), report
    assert report["str"].startswith("file://"), report  # the library's message, not OSError's
    assert report["cause_errno"] == code, report


def test_disk_full_sets_errno_enospc_and_tears_nothing(tmp_path: Path) -> None:
    if shutil.which("unshare") is None:
        pytest.skip("no unshare(1) to make a private tmpfs")
    mount = tmp_path / "small"
    mount.mkdir()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    # Inside a private mount namespace: a 256 KiB tmpfs holding an array with one 256 KiB chunk
    # written at 64 KiB of zeros-compressible data first, then rewritten with random data.
    setup = (
        "import numpy as np, zarrbridge.sync as zbs, sys\n"
        "a = zbs.create_array(sys.argv[1], 'a', shape=(64, 1024), chunks=(64, 1024), "
        "dtype='int32', compressors=None)\n"
        "zbs.write_region(a, ..., np.full((64, 1024), 5, 'int32'))\n"
    )
    command = (
        f"mount -t tmpfs -o size=384k none {mount} && "
        f'{sys.executable} -c "$SETUP" {mount} && {sys.executable} {script} {mount} && '
        f'{sys.executable} -c "$VERIFY" {mount}'
    )
    verify = (
        "import numpy as np, zarrbridge.sync as zbs, sys, pathlib, json\n"
        "a = zbs.open_array(sys.argv[1], 'a')\n"
        "whole = bool((zbs.read_region(a, ...) == 5).all())\n"
        "names = sorted(str(p) for p in pathlib.Path(sys.argv[1]).rglob('*'))\n"
        "print(json.dumps({'whole': whole, 'names': names}))\n"
    )
    proc = subprocess.run(
        ["unshare", "-m", "sh", "-c", command],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "SETUP": setup, "VERIFY": verify},
        check=False,
    )
    if proc.returncode != 0 and "mount" in proc.stderr:
        pytest.skip(f"cannot mount a tmpfs here: {proc.stderr.strip()}")
    assert proc.returncode == 0, proc.stderr
    report, after = (json.loads(line) for line in proc.stdout.strip().splitlines()[-2:])
    check_report(report, errno.ENOSPC, mount)
    assert report["cause"] == "OSError"  # ENOSPC has no subclass of its own
    # The old chunk is whole, and no temporary file is left behind.
    assert after["whole"]
    assert not [n for n in after["names"] if "#" in n], after["names"]


def test_a_file_size_limit_sets_errno_efbig(tmp_path: Path) -> None:
    root = tmp_path / "store"
    make_array(root)
    before = {n: (root / n).read_bytes() for n in files(root) if (root / n).is_file()}
    script = tmp_path / "child.py"
    script.write_text(CHILD)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead
        resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, 64 * 1024))

    proc = subprocess.run(
        [sys.executable, str(script), str(root)],
        capture_output=True,
        text=True,
        timeout=120,
        preexec_fn=limit,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    check_report(json.loads(proc.stdout.strip().splitlines()[-1]), errno.EFBIG, root)
    after = {n: (root / n).read_bytes() for n in files(root) if (root / n).is_file()}
    assert after == before


def test_permission_denied_sets_errno_eacces_and_filename() -> None:
    if os.geteuid() != 0:
        pytest.skip("needs root to drop to nobody")
    if shutil.which("setpriv") is None:
        pytest.skip("no setpriv(1)")
    # Not under pytest's tmp_path: its parents are closed to other users.
    top = Path(tempfile.mkdtemp(prefix="zb-eacces-"))
    try:
        top.chmod(0o755)
        root = top / "store"
        make_array(root)
        for p in [root, *root.rglob("*")]:
            p.chmod(0o555 if p.is_dir() else 0o444)
        before = {n: (root / n).read_bytes() for n in files(root) if (root / n).is_file()}
        proc = subprocess.run(
            [
                "setpriv",
                "--reuid=65534",
                "--regid=65534",
                "--clear-groups",
                sys.executable,
                "-c",
                CHILD,
                str(root),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert proc.returncode == 0, proc.stderr
        report = json.loads(proc.stdout.strip().splitlines()[-1])
        check_report(report, errno.EACCES, root)
        assert report["cause"] == "PermissionError"
        after = {n: (root / n).read_bytes() for n in files(root) if (root / n).is_file()}
        assert after == before
    finally:
        shutil.rmtree(top)


def test_a_key_below_a_file_sets_errno_enotdir(tmp_path: Path) -> None:
    store = zb.Store.from_url(str(tmp_path))
    store.put("f", b"a value")
    with pytest.raises(StoreError) as info:
        store.put("f/x", b"below a value")
    assert info.value.errno == errno.ENOTDIR
    assert info.value.filename == str(tmp_path / "f" / "x")
    assert isinstance(info.value.__cause__, NotADirectoryError)
    assert "f/x" in str(info.value)


def test_store_errors_without_an_os_cause_have_no_errno() -> None:
    store = zb.Store.from_url("memory://errno-none")
    arr = zbs.create_array(store, "a", shape=(4,), chunks=(4,), dtype="int8")
    store.put("a/c/0", b"\x00")  # one byte where 4 are due
    with pytest.raises(zb.errors.ZarrBridgeError) as info:
        zbs.read_region(arr, ...)
    assert getattr(info.value, "errno", None) is None
