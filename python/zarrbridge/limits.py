"""The memory limit: the most bytes one allocation of an operation may take.

Every buffer an operation allocates (a result, a chunk or shard decoded or rebuilt for a write, a
value read from a file) is checked against the limit first; a request for more raises
:class:`~zarrbridge.errors.ResourceError` (a ``MemoryError``) before anything is allocated or
written, instead of aborting the interpreter. The default is the machine's physical memory; the
environment variable ``ZARRBRIDGE_MEMORY_LIMIT`` (bytes, read once per process) or
:func:`set_memory_limit` change it.

Example:
    >>> import zarrbridge as zb
    >>> previous = zb.memory_limit()
    >>> zb.set_memory_limit(1 << 20)
    1048576
    >>> a = zb.sync.create_array("memory://limits-doc", "a", shape=(1 << 21,), dtype="uint8")
    >>> try:
    ...     zb.sync.read_region(a)
    ... except MemoryError as e:
    ...     print(type(e).__name__)
    ResourceError
    >>> _ = zb.set_memory_limit(None)  # back to the default
"""

from __future__ import annotations

from zarrbridge import _native as _ext

__all__ = ["memory_limit", "set_memory_limit"]


def memory_limit() -> int:
    """The limit in bytes now in force."""
    return _ext.memory_limit()


def set_memory_limit(limit: int | None) -> int:
    """Set the limit for this process, in bytes; ``None`` restores the default.

    Returns:
        The limit now in force.

    Raises:
        TypeError: ``limit`` is not an int or None.
        ValueError: ``limit`` is not positive.
    """
    if limit is not None:
        if isinstance(limit, bool) or not isinstance(limit, int):
            raise TypeError(f"limit must be an int or None, not {type(limit).__qualname__}")
        if limit <= 0:
            raise ValueError(f"limit must be positive, not {limit}")
    return _ext.set_memory_limit(limit)
