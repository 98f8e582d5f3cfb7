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
from zarrbridge.errors import InvalidDataError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["delete_chunk", "read_chunk", "read_chunks", "write_chunk", "write_chunks"]


def read_chunk(
    array: Array,
    coords: CoordsLike,
    *,
    out: npt.NDArray[Any] | None = None,
    vlen: VlenMode = "numpy",
) -> Op[npt.NDArray[Any]]:
    """Read one stored chunk (a whole shard for a sharded array).

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and
            ``array.chunk_shape`` to decode into (not for variable-length data).
        vlen: How ``string`` and ``bytes`` values are returned: ``"numpy"`` (text as numpy
            ``StringDType``, bytes as objects) or ``"object"`` (object arrays of ``str`` or
            ``bytes``).

    Returns:
        The chunk, of shape ``array.chunk_shape`` (edge chunks are padded with the fill
        value; missing chunks are all fill value); ``out`` when given.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.
        InvalidDataError: ``out`` does not match.
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> chunk = await zb.read_chunk(a, (0, 0))  # doctest: +SKIP
    """
    native = native_array(array)
    dtype = data_dtype(array)
    coords_ = coords_list(coords)
    if out is None:
        return Call(_ext.read_chunk, (native, coords_), partial(to_numpy, dtype, vlen_mode(vlen)))
    checked = check_out(out, dtype, array.chunk_shape)
    return Call(_ext.read_chunk, (native, coords_, as_buffer(checked)), partial(filled, checked))


def write_chunk(array: Array, coords: CoordsLike, data: npt.ArrayLike) -> Op[None]:
    """Write one stored chunk (a whole shard for a sharded array).

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.
        data: Values that broadcast to ``array.chunk_shape`` with a compatible dtype kind.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.
        InvalidDataError: ``data`` cannot be written (nothing is written).
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> await zb.write_chunk(a, (0, 0), 1.0)  # doctest: +SKIP
    """
    native = native_array(array)
    buf = data_for_write(data, data_dtype(array), array.chunk_shape, native.writable_kinds)
    return Call(_ext.write_chunk, (native, coords_list(coords), buf), none)


def delete_chunk(array: Array, coords: CoordsLike) -> Op[None]:
    """Delete one stored chunk; its elements read as the fill value afterwards.

    Args:
        array: The array.
        coords: The chunk's coordinates in :attr:`Array.grid_shape`.

    Raises:
        ChunkIndexError: ``coords`` are outside the chunk grid.

    Example:
        >>> await zb.delete_chunk(a, (0, 0))  # doctest: +SKIP
    """
    return Call(_ext.delete_chunk, (native_array(array), coords_list(coords)), none)


def read_chunks(
    array: Array, coords_list: Sequence[CoordsLike], *, vlen: VlenMode = "numpy"
) -> Op[list[npt.NDArray[Any]]]:
    """Read several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.
        vlen: How ``string`` and ``bytes`` values are returned, as for :func:`read_chunk`.

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
    return Call(_ext.read_chunks, (native, coords), finish)


def write_chunks(
    array: Array, coords_list: Sequence[CoordsLike], data_list: Sequence[npt.ArrayLike]
) -> Op[None]:
    """Write several stored chunks in one call (concurrently in Rust).

    Args:
        array: The array.
        coords_list: The chunks' coordinates.
        data_list: One value per chunk, as for :func:`write_chunk`.

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
    return Call(_ext.write_chunks, (native, coords, bufs), none)


_coords = coords_list  # the name is a parameter of read_chunks and write_chunks
