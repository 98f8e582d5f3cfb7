"""What long commands show while they run: a bar redrawn in place on a terminal, a plain line
every few seconds otherwise (logs, CI), both on stderr.

Kept here rather than taken from tqdm or rich: the console script ships with the package, whose
only runtime dependencies are numpy and sniffio, and the formatting below is ~80 lines.
"""

from __future__ import annotations

import shutil
import sys
import time
from typing import TextIO

from zarrbridge import Progress

__all__ = ["Display", "human_bytes", "human_seconds"]

_UNITS = ("B", "KiB", "MiB", "GiB", "TiB", "PiB")


def human_bytes(n: float) -> str:
    """``n`` bytes in binary units.

    Example:
        >>> from zarrbridge.cli._progress import human_bytes
        >>> human_bytes(512), human_bytes(3 * 2**20 + 2**19)
        ('512 B', '3.5 MiB')
    """
    for unit in _UNITS:
        if abs(n) < 1024 or unit == _UNITS[-1]:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    raise AssertionError("unreachable")


def human_seconds(s: float) -> str:
    """A duration as ``H:MM:SS`` or ``M:SS``.

    Example:
        >>> from zarrbridge.cli._progress import human_seconds
        >>> human_seconds(75), human_seconds(3725)
        ('1:15', '1:02:05')
    """
    whole = round(s)
    h, rest = divmod(whole, 3600)
    m, sec = divmod(rest, 60)
    return f"{h}:{m:02d}:{sec:02d}" if h else f"{m}:{sec:02d}"


class Display:
    """A progress callback (``progress=`` of the library's long operations) that draws.

    Args:
        label: What is being done (``"copy"``, ``"verify"``).
        stream: Where to draw (stderr by default).
        tty: Draw a bar in place; ``None``: when ``stream`` is a terminal.
        interval: Seconds between two plain lines (not on a terminal).
        enabled: ``False`` draws nothing.
    """

    def __init__(
        self,
        label: str,
        *,
        stream: TextIO | None = None,
        tty: bool | None = None,
        interval: float = 5.0,
        enabled: bool = True,
    ) -> None:
        self.label = label
        self.stream = sys.stderr if stream is None else stream
        self.tty = self.stream.isatty() if tty is None else tty
        self.interval = interval
        self.enabled = enabled
        self.start = time.monotonic()
        self._last_line = self.start
        self._drawn = False

    def __call__(self, progress: Progress) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self._draw_bar(progress, now)
        elif now - self._last_line >= self.interval:
            self._last_line = now
            print(self._plain(progress, now), file=self.stream, flush=True)

    def finish(self, progress: Progress) -> None:
        """Draw the final state (and end the bar's line)."""
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty:
            self._draw_bar(progress, now)
            self.stream.write("\n")
            self.stream.flush()
        else:
            print(self._plain(progress, now), file=self.stream, flush=True)

    def abandon(self) -> None:
        """End a bar's line, so that what follows starts on its own line."""
        if self.enabled and self.tty and self._drawn:
            self.stream.write("\n")
            self.stream.flush()
            self._drawn = False

    def _rate_eta(self, p: Progress, now: float) -> tuple[str, str]:
        elapsed = max(now - self.start, 1e-9)
        rate = p.bytes_done / elapsed
        left = p.bytes_total - p.bytes_done
        if p.bytes_done == 0 or left <= 0:
            eta = "0:00" if left <= 0 and p.bytes_total else "?"
        else:
            eta = human_seconds(left / rate)
        return f"{human_bytes(rate)}/s", eta

    def _counts(self, p: Progress) -> str:
        return (
            f"{p.chunks_done}/{p.chunks_total} chunks, "
            f"{human_bytes(p.bytes_done)}/{human_bytes(p.bytes_total)}"
        )

    def _plain(self, p: Progress, now: float) -> str:
        rate, eta = self._rate_eta(p, now)
        elapsed = human_seconds(now - self.start)
        return f"{self.label}: {self._counts(p)}, {rate}, elapsed {elapsed}, ETA {eta}"

    def _draw_bar(self, p: Progress, now: float) -> None:
        rate, eta = self._rate_eta(p, now)
        fraction = p.chunks_done / p.chunks_total if p.chunks_total else 0.0
        text = f" {fraction * 100:5.1f}% {self._counts(p)}, {rate}, ETA {eta}"
        columns = shutil.get_terminal_size((100, 24)).columns
        width = max(10, min(40, columns - len(self.label) - len(text) - 4))
        filled = int(fraction * width)
        bar = "#" * filled + "-" * (width - filled)
        line = f"{self.label} [{bar}]{text}"
        self.stream.write("\r" + line[: columns - 1] + "\x1b[K")
        self.stream.flush()
        self._drawn = True
