"""What operations cost on the store, and how partial shard reads group their requests.

:func:`io_stats` collects, in an :class:`IoStats`, every store request that the operations
started inside it make (async or blocking, from any task that inherits the context): requests
by kind, bytes of values read and written, and the time spent waiting for the store. It is
cheap enough to leave on.

A read that needs only part of a shard fetches the shard's index, then only the inner chunks it
touches; inner chunks close together in the shard are fetched in one request
(:func:`set_read_coalescing`).

Example:
    >>> import zarrbridge as zb
    >>> a = zb.sync.create_array(
    ...     "memory://io-doc", "a", shape=(64, 64), dtype="uint8", chunks=(8, 8), shards=(64, 64)
    ... )
    >>> a[:] = 1
    >>> with zb.io_stats() as stats:
    ...     _ = a[0:8, 0:8]
    >>> stats.requests["get_range"], stats.bytes_read < 64 * 64
    (2, True)
"""

from __future__ import annotations

import contextlib
import operator
from collections.abc import Iterator
from typing import Any, NamedTuple

from zarrbridge import _native as _ext

__all__ = [
    "IoStats",
    "ReadCoalescing",
    "io_stats",
    "read_coalescing",
    "set_read_coalescing",
]

IoStats = _ext.IoStats
"""Counters of store requests (see :func:`io_stats`).

Attributes:
    requests: Requests by kind: ``get`` (a whole value), ``get_range`` (a byte range; one
        request per range for URL, file and memory stores, one ``get_ranges`` call for a store
        written in Python), ``head``, ``put``, ``delete`` (a prefix delete counts once),
        ``list`` (one per listing; S3 pages of more than 1000 keys are not counted apart).
    total_requests: All of them.
    bytes_read: Bytes of values received (bodies only, not HTTP headers).
    bytes_written: Bytes of values sent.
    wait_seconds: Wall-clock seconds during which at least one request was in flight (requests
        in flight together count once).
"""


@contextlib.contextmanager
def io_stats(stats: IoStats | None = None) -> Iterator[IoStats]:
    """Collect the store requests of the operations started inside the ``with`` block.

    Operations record into every active collector, so blocks nest. The context is inherited
    the way :mod:`contextvars` are: by tasks created inside the block (``asyncio.gather``,
    ``TaskGroup``), not by threads started without copying the context.

    Args:
        stats: Counters to add to (``None``: new ones).

    Yields:
        The counters.

    Example:
        >>> import zarrbridge as zb
        >>> with zb.io_stats() as stats:
        ...     _ = zb.sync.create_group("memory://io-doc2", "g")
        >>> stats.requests["put"] >= 1
        True
    """
    if stats is None:
        stats = IoStats()
    elif not isinstance(stats, IoStats):
        raise TypeError(f"stats must be a zarrbridge.IoStats, not {type(stats).__qualname__}")
    var: Any = _ext.io_stats_var
    token = var.set((*var.get(), stats))
    try:
        yield stats
    finally:
        var.reset(token)


class ReadCoalescing(NamedTuple):
    """How partial shard reads join inner chunks into one request."""

    max_gap_bytes: int
    """The most bytes between two inner chunks read (and thrown away) to save a request."""
    max_bytes: int
    """The largest request made by joining inner chunks (one chunk alone may be larger)."""


DEFAULT_READ_COALESCING = ReadCoalescing(0, 16 << 20)
"""The defaults: adjacent inner chunks only, requests of at most 16 MiB. (zarr-python's
``sharding.read.coalesce_max_gap_bytes`` is 1 MiB: ``set_read_coalescing(1 << 20)``.)"""


def read_coalescing() -> ReadCoalescing:
    """The settings now in force for this process."""
    return ReadCoalescing(*_ext.read_coalescing())


def set_read_coalescing(
    max_gap_bytes: int | None = None, max_bytes: int | None = None
) -> ReadCoalescing:
    """Set how partial shard reads join inner chunks, for this process.

    Two inner chunks of a shard are read in one request when at most ``max_gap_bytes`` lie
    between them and the request stays within ``max_bytes``. Every request of one read is made
    at once, so joining saves requests (and their per-request cost), not round trips, while a
    gap moves its bytes for nothing: the default joins adjacent inner chunks only (over 200
    Mbit/s, zarr-python's 1 MiB gap moved 3.2x the bytes of a 3x3 block of inner chunks and
    took 1.4x as long; ``benches/cloud.py``).

    Args:
        max_gap_bytes: The largest gap (``None``: the default, 0).
        max_bytes: The largest joined request (``None``: the default, 16 MiB).

    Returns:
        The settings now in force.

    Raises:
        TypeError: An argument is not an int or None.
        ValueError: An argument is negative.

    Example:
        >>> import zarrbridge as zb
        >>> zb.set_read_coalescing(max_gap_bytes=1 << 20)  # zarr-python's
        ReadCoalescing(max_gap_bytes=1048576, max_bytes=16777216)
        >>> _ = zb.set_read_coalescing()  # back to the defaults
    """
    values = []
    for name, value, default in (
        ("max_gap_bytes", max_gap_bytes, DEFAULT_READ_COALESCING.max_gap_bytes),
        ("max_bytes", max_bytes, DEFAULT_READ_COALESCING.max_bytes),
    ):
        if value is None:
            values.append(default)
            continue
        if isinstance(value, bool):
            raise TypeError(f"{name} must be an int or None, not bool")
        value = operator.index(value)
        if value < 0:
            raise ValueError(f"{name} must not be negative, not {value}")
        values.append(value)
    _ext.set_read_coalescing(*values)
    return read_coalescing()
