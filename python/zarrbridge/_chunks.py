"""The chunk family: read, write and delete whole stored chunks (shards, for sharded arrays).

Each function here is the one definition of an operation (signature, docstring, argument
checks); :mod:`zarrbridge`, :mod:`zarrbridge.sync` and :class:`~zarrbridge.Array` make their
surfaces from it (see ``_op.py``). Rust side: ``crates/zarrbridge-python/src/chunks.rs`` and
``crates/zarrbridge-core/src/chunks.rs``.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import partial
from typing import TYPE_CHECKING, Any

import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge._convert import (
    CoordsLike,
    VlenMode,
    as_buffer,
    check_out,
    coords_list,
    data_dtype,
    data_for_write,
    filled,
    native_array,
    none,
    to_numpy,
    to_numpys,
    vlen_mode,
)
from zarrbridge._op import Call, Op
from zarrbridge._progress import ProgressCallback, tracked
from zarrbridge.errors import InvalidDataError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["delete_chunk", "read_chunk", "read_chunks", "write_chunk", "write_chunks"]


def _shape(array: Array, inner: bool) -> tuple[int, ...]:
    """The shape of the chunks ``inner`` addresses."""
    return array.chunks if inner else array.chunk_shape


def read_chunk(
    array: Array,
    coords: CoordsLike,
    *,
    out: npt.NDArray[Any] | None = None,
    inner: bool = False,
    vlen: VlenMode = "numpy",
) -> Op[npt.NDArray[Any]]:
    """Read one stored chunk (a whole shard for a sharded array), or one inner chunk.

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape` (with ``inner``, in
            :attr:`Array.inner_grid_shape`).
        out: A C-contiguous writeable array of exactly ``array.dtype`` and the chunk's shape
            to decode into (not for variable-length data).
        inner: Read one inner chunk of a sharded array (shape :attr:`Array.chunks`): only its
            shard's index and its own bytes are read.
        vlen: How ``string`` and ``bytes`` values are returned: ``"numpy"`` (text as numpy
            ``StringDType``, bytes as objects) or ``"object"`` (object arrays of ``str`` or
            ``bytes``).

    Returns:
        The chunk, of shape ``array.chunk_shape`` (``array.chunks`` with ``inner``; edge
        chunks are padded with the fill value; missing chunks are all fill value); ``out``
        when given.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid, or ``inner`` on an unsharded
            array.
        InvalidDataError: ``out`` does not match.
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> chunk = await zb.read_chunk(a, (0, 0))  # doctest: +SKIP
    """
    native = native_array(array)
    dtype = data_dtype(array)
    coords_ = coords_list(coords)
    inner = bool(inner)
    if out is None:
        finish = partial(to_numpy, dtype, vlen_mode(vlen))
        return Call(_ext.read_chunk, (native, coords_, None, inner), finish)
    checked = check_out(out, dtype, _shape(array, inner))
    return Call(
        _ext.read_chunk, (native, coords_, as_buffer(checked), inner), partial(filled, checked)
    )


def write_chunk(
    array: Array, coords: CoordsLike, data: npt.ArrayLike, *, inner: bool = False
) -> Op[None]:
    """Write one stored chunk (a whole shard for a sharded array), or one inner chunk.

    Args:
        array: The array.
        coords: As for :func:`read_chunk`.
        data: Values that broadcast to the chunk's shape with a compatible dtype kind.
        inner: Write one inner chunk of a sharded array (its shard is read, merged and
            written once).

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid, or ``inner`` on an unsharded
            array.
        InvalidDataError: ``data`` cannot be written (nothing is written).
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> await zb.write_chunk(a, (0, 0), 1.0)  # doctest: +SKIP
    """
    native = native_array(array)
    inner = bool(inner)
    buf = data_for_write(data, data_dtype(array), _shape(array, inner), native.writable_kinds)
    return Call(_ext.write_chunk, (native, coords_list(coords), buf, inner), none)


def delete_chunk(array: Array, coords: CoordsLike, *, inner: bool = False) -> Op[None]:
    """Delete one stored chunk (or, with ``inner``, one inner chunk of a sharded array: it is
    removed from its shard); its elements read as the fill value afterwards.

    Args:
        array: The array.
        coords: As for :func:`read_chunk`.
        inner: As for :func:`read_chunk`.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid, or ``inner`` on an unsharded
            array.

    Example:
        >>> await zb.delete_chunk(a, (0, 0))  # doctest: +SKIP
    """
    args = (native_array(array), coords_list(coords), bool(inner))
    return Call(_ext.delete_chunk, args, none)


def read_chunks(
    array: Array,
    coords_list: Sequence[CoordsLike],
    *,
    vlen: VlenMode = "numpy",
    progress: ProgressCallback | None = None,
) -> Op[list[npt.NDArray[Any]]]:
    """Read several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.
        vlen: How ``string`` and ``bytes`` values are returned, as for :func:`read_chunk`.
        progress: Called with a :class:`~zarrbridge.Progress` at most every 100 ms, and once
            at the end.

    Returns:
        One array per chunk, in the order of ``coords_list``.

    Raises:
        ChunkIndexError: Some coordinates are outside the chunk grid.
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> first, second = await zb.read_chunks(a, [(0, 0), (0, 1)])  # doctest: +SKIP
    """
    native = native_array(array)
    finish = partial(to_numpys, data_dtype(array), vlen_mode(vlen))
    coords = [_coords(c) for c in coords_list]
    return tracked(Call(_ext.read_chunks, (native, coords), finish), progress)


def write_chunks(
    array: Array,
    coords_list: Sequence[CoordsLike],
    data_list: Sequence[npt.ArrayLike],
    *,
    progress: ProgressCallback | None = None,
) -> Op[None]:
    """Write several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.
        data_list: One value per chunk, as for :func:`write_chunk`.
        progress: As for :func:`read_chunks`.

    Raises:
        ChunkIndexError: Some coordinates are outside the chunk grid.
        InvalidDataError: Some data cannot be written, or the lists differ in length (nothing
            is written).
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> await zb.write_chunks(a, [(0, 0), (0, 1)], [1.0, 2.0])  # doctest: +SKIP
    """
    native = native_array(array)
    if len(coords_list) != len(data_list):
        raise InvalidDataError(
            f"got {len(coords_list)} chunk coordinates but {len(data_list)} data items"
        )
    coords = [_coords(c) for c in coords_list]
    kinds, dtype = native.writable_kinds, data_dtype(array)
    bufs = [data_for_write(d, dtype, array.chunk_shape, kinds) for d in data_list]
    return tracked(Call(_ext.write_chunks, (native, coords, bufs), none), progress)


_coords = coords_list  # the name is a parameter of read_chunks and write_chunks
