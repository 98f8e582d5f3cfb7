"""Exceptions raised by zarrbridge.

Every class derives from :class:`ZarrBridgeError` and, where one fits, from the builtin exception
that callers already catch (as zarr-python does), so ``except FileNotFoundError`` keeps working.
The native extension imports this module and instantiates these classes by name with a single
message string, so each class must accept ``(message: str)``.

Example:
    >>> import zarrbridge as zb
    >>> try:
    ...     zb.sync.open_array("memory://nothing-here", "missing")
    ... except FileNotFoundError as e:
    ...     print(type(e).__name__)
    NodeNotFoundError
"""

from __future__ import annotations

__all__ = [
    "ChecksumError",
    "ChunkIndexError",
    "CodecError",
    "InternalError",
    "InvalidDataError",
    "InvalidOptionError",
    "InvalidPathError",
    "MetadataError",
    "NodeExistsError",
    "NodeNotFoundError",
    "ResourceError",
    "SelectionError",
    "StoreError",
    "UnalignedWriteError",
    "UnsupportedError",
    "ZarrBridgeError",
]


class ZarrBridgeError(Exception):
    """Base class of every error raised by zarrbridge."""


class NodeNotFoundError(ZarrBridgeError, FileNotFoundError):
    """No array or group (of the requested kind) exists at the path."""


class NodeExistsError(ZarrBridgeError, FileExistsError):
    """A node already exists at the path and ``overwrite`` was not set."""


class InvalidPathError(ZarrBridgeError, ValueError):
    """A node path is malformed (``.``/``..`` segments, backslashes, control characters)."""


class MetadataError(ZarrBridgeError, ValueError):
    """Zarr metadata is missing a field, malformed, or inconsistent."""


class InvalidDataError(ZarrBridgeError, ValueError):
    """Data to write has an incompatible dtype, shape or value range; nothing was written."""


class InvalidOptionError(ZarrBridgeError, ValueError):
    """A store option does not exist or has a malformed value; the message lists the accepted
    names and never echoes values."""


class ChunkIndexError(ZarrBridgeError, IndexError):
    """Chunk coordinates are outside the chunk grid or have the wrong length."""


class SelectionError(ZarrBridgeError, IndexError):
    """A selection is out of bounds or malformed."""


class UnsupportedError(ZarrBridgeError, NotImplementedError):
    """The operation or input is valid Zarr or numpy but not supported by zarrbridge."""


class CodecError(ZarrBridgeError):
    """Encoding or decoding a chunk failed, or a codec is unknown or misconfigured."""


class ChecksumError(CodecError):
    """A stored checksum (a ``crc32c`` codec's, or a shard index's) does not match the bytes it
    covers: the stored data is damaged."""


class StoreError(ZarrBridgeError, OSError):
    """The underlying store failed (I/O error, permission, network, ...).

    When an operating-system error caused it (a file store's ``ENOSPC``, ``EACCES``,
    ``ENOENT``, ...), ``errno``, ``strerror`` and (for file stores) ``filename`` are those of
    that error, and ``__cause__`` is the ``OSError`` subclass of its errno; otherwise they are
    ``None``. ``str()`` is always the library's message, which names the store and key."""

    def __str__(self) -> str:
        # OSError.__str__ shows "[Errno n] strerror: filename" once errno is set.
        if len(self.args) == 1:
            return str(self.args[0])
        return super().__str__()


class UnalignedWriteError(InvalidDataError):
    """Concurrent writes whose regions split a stored chunk (a shard, when sharded): two writers
    of one chunk would each read, change and write it whole, and one change would be lost
    (:func:`zarrbridge.dask.store_dask` without ``lock``)."""


class ResourceError(ZarrBridgeError, MemoryError):
    """An operation would need more memory at once than the library's memory limit allows
    (:func:`zarrbridge.set_memory_limit`); refused before anything was allocated or written."""


class InternalError(ZarrBridgeError, RuntimeError):
    """A bug: zarrbridge or a library below it panicked. The panic was caught at the boundary
    (it never reaches Python as pyo3's ``PanicException``, a ``BaseException``); the message says
    what panicked. Please report it."""
