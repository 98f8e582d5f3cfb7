"""The encoded chunk family: the bytes a chunk is stored as, read and written without codecs.

Coordinates address the stored chunk grid (:attr:`Array.grid_shape`; a whole shard for a
sharded array), or with ``inner=True`` the grid of inner chunks of a sharded array
(:attr:`Array.inner_grid_shape`, the grid of :attr:`Array.chunks`): the same as
:func:`~zarrbridge.read_chunk` with ``inner``.

Each function here is the one definition of an operation (see ``_op.py``). Rust side:
``crates/zarrbridge-python/src/encoded.rs`` and ``crates/zarrbridge-core/src/encoded.rs``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from typing_extensions import Buffer

from zarrbridge import _native as _ext
from zarrbridge._convert import CoordsLike, coords_list, native_array, none
from zarrbridge._op import Call, Op
from zarrbridge.errors import InvalidDataError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["read_encoded_chunk", "write_encoded_chunk"]


def _value(found: Any) -> Buffer | None:
    """The native ``Bytes`` (a buffer from Python 3.12 on for type checkers), or None."""
    return cast("Buffer | None", found)


def read_encoded_chunk(
    array: Array, coords: CoordsLike, *, inner: bool = False
) -> Op[Buffer | None]:
    """Read the stored bytes of a chunk, exactly as stored (no decoding).

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape` (with ``inner``, an inner
            chunk's in :attr:`Array.inner_grid_shape`).
        inner: Address an inner chunk of a sharded array: only its shard's index (cached on
            the handle) and its own bytes are read.

    Returns:
        A read-only buffer owned by Rust (no copy: ``bytes(b)`` or ``memoryview(b)`` to use
        it), or ``None`` when the chunk is not stored (it reads as the fill value).

    Raises:
        ChunkIndexError: ``coords`` are outside the grid, or ``inner`` on an unsharded array.
        UnsupportedError: ``inner`` on a sharded array whose shard index this library does
            not read (index codecs other than ``bytes`` and ``crc32c``).

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://enc-doc", "a", shape=(4,), dtype="u1", chunks=2,
        ...                          compressors=None)
        >>> a[:] = [1, 2, 3, 4]
        >>> bytes(zb.sync.read_encoded_chunk(a, 1))
        b'\\x03\\x04'
    """
    args = (native_array(array), coords_list(coords), bool(inner))
    return Call(_ext.read_encoded_chunk, args, _value)


def write_encoded_chunk(
    array: Array,
    coords: CoordsLike,
    data: Buffer,
    *,
    inner: bool = False,
    validate: bool = True,
) -> Op[None]:
    """Store bytes as a chunk's encoded form (no encoding), replacing what is there.

    With ``inner``, the chunk is an inner chunk of a sharded array: its shard is read and
    written back with these bytes in place of the old ones (other inner chunks keep theirs).

    Args:
        array: The array.
        coords: As for :func:`read_encoded_chunk`.
        data: Any bytes-like object (``bytes``, ``memoryview``, a numpy array...); it is not
            copied before it is written.
        inner: As for :func:`read_encoded_chunk`.
        validate: Decode the bytes with the array's codecs first and refuse them (writing
            nothing) if that fails. ``False`` stores them as given, without that cost.

    Raises:
        ChunkIndexError: ``coords`` are outside the grid, or ``inner`` on an unsharded array.
        CodecError: ``validate`` and the bytes do not decode as a chunk of this array (nothing
            is written).
        InvalidDataError: ``data`` is not a C-contiguous bytes-like object.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://enc-doc", "b", shape=(4,), dtype="u1", chunks=2,
        ...                          compressors=None)
        >>> zb.sync.write_encoded_chunk(a, 0, b"\\x07\\x08")
        >>> a[:]
        array([7, 8, 0, 0], dtype=uint8)
    """
    native = native_array(array)
    try:
        view = memoryview(data)
        if view.itemsize != 1 or view.ndim != 1:
            view = view.cast("B")
    except TypeError as e:
        raise InvalidDataError(f"data must be a C-contiguous bytes-like object: {e}") from None
    args = (native, coords_list(coords), view, bool(inner), bool(validate))
    return Call(_ext.write_encoded_chunk, args, none)
