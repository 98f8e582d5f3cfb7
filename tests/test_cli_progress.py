"""What ``zarrbridge cp`` shows while it runs, from a slow loopback S3 (moto behind a proxy that
waits before forwarding each request): on a terminal (a pseudo-terminal here) one bar redrawn in
place with chunks, bytes, rate and ETA; otherwise plain lines every ``--progress-interval``
seconds, counts rising to the total; nothing with ``--quiet``."""

from __future__ import annotations

import os
import pty
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
import zarr
import zarrbridge as zb
from cli import env, run, s3_args, script
from servers import S3Server
from wire import CountingProxy
from zarrbridge import sync as zbs

CHUNKS = 40
PLAIN = re.compile(
    r"copy: (\d+)/(\d+) chunks, [\d.]+ (?:B|KiB)/([\d.]+ (?:B|KiB)), [\d.]+ [KMG]?i?B/s, "
    r"elapsed \d+:\d\d, ETA (\?|\d+:\d\d)"
)
BAR = re.compile(
    r"copy \[([#-]+)\]\s+(\d+\.\d)% (\d+)/(\d+) chunks, [^,]+, [\d.]+ [KMG]?i?B/s, "
    r"ETA (\?|\d+:\d\d)\x1b\[K"
)


@pytest.fixture(scope="module")
def slow_url(s3_server: S3Server) -> Iterator[tuple[str, list[str], np.ndarray]]:
    data = np.arange(CHUNKS * 256, dtype="int32").reshape(CHUNKS, 256)
    staging = zbs.create_array(
        "memory://cli-progress",
        "a",
        shape=data.shape,
        dtype="int32",
        chunks=(1, 256),
        overwrite=True,
    )
    staging[:] = data
    url = f"s3://{s3_server.new_bucket()}/src"
    zbs.copy(staging, zb.Store.from_url(url, **s3_server.options()), "a")
    host, port = s3_server.endpoint.removeprefix("http://").split(":")
    # Each request waits 0.2 s: the copy takes a second or more.
    with CountingProxy(host, int(port), delay=0.2) as proxy:
        yield f"{url}#a", s3_args(s3_server, proxy.endpoint), data


def test_plain_lines_every_interval_when_not_a_terminal(
    slow_url: tuple[str, list[str], np.ndarray], tmp_path: Path
) -> None:
    url, options, data = slow_url
    done = run("cp", url, str(tmp_path / "d"), *options, "--progress-interval", "0.2")
    assert done.returncode == 0, done.stderr
    assert "\r" not in done.stderr and "\x1b" not in done.stderr
    lines = done.stderr.splitlines()
    assert len(lines) >= 3, done.stderr
    counts = []
    for line in lines:
        m = PLAIN.fullmatch(line)
        assert m, f"not a progress line: {line!r}"
        counts.append(int(m.group(1)))
    assert counts == sorted(counts) and counts[-1] == CHUNKS
    assert PLAIN.fullmatch(lines[-1]).group(2) == str(CHUNKS)  # type: ignore[union-attr]
    np.testing.assert_array_equal(
        zarr.open_array(zarr.storage.LocalStore(tmp_path / "d"), mode="r")[:], data
    )


def test_quiet_shows_nothing(slow_url: tuple[str, list[str], np.ndarray], tmp_path: Path) -> None:
    url, options, _ = slow_url
    done = run("cp", "-q", url, str(tmp_path / "d"), *options, "--progress-interval", "0.1")
    assert done.returncode == 0 and done.stderr == "", done.stderr


def test_a_bar_redrawn_in_place_on_a_terminal(
    slow_url: tuple[str, list[str], np.ndarray], tmp_path: Path
) -> None:
    url, options, _ = slow_url
    controller, terminal = pty.openpty()
    try:
        child = subprocess.Popen(
            [script(), "cp", url, str(tmp_path / "d"), *options],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=terminal,
            env=env(COLUMNS="120"),
        )
        os.close(terminal)
        shown = b""
        while True:
            try:
                part = os.read(controller, 4096)
            except OSError:  # EIO: the child closed the terminal
                break
            if not part:
                break
            shown += part
        assert child.wait(timeout=60) == 0
    finally:
        os.close(controller)
        child.kill()
    text = shown.decode()
    # Redraws: each starts at the line's beginning and clears what is left of it.
    draws = [d for d in text.replace("\r\n", "\n").split("\r") if d]
    assert len(draws) >= 3, text
    counts: list[tuple[int, int]] = []
    for draw in draws:
        m = BAR.match(draw)
        assert m, f"not a bar: {draw!r}"
        bar, percent = m.group(1), float(m.group(2))
        done, total = int(m.group(3)), int(m.group(4))  # totals grow while the copy lists
        fraction = done / total if total else 0.0
        assert bar.count("#") == int(fraction * len(bar))
        assert percent == pytest.approx(100 * fraction, abs=0.05)
        counts.append((done, total))
    assert counts == sorted(counts) and counts[-1] == (CHUNKS, CHUNKS)
    assert text.endswith("\n") and "ETA 0:00" in draws[-1]
