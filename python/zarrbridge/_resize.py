"""The resize family: change an array's shape (``resize``) or grow it with data (``append``).

The metadata document is replaced with one write, atomic on every store (a file store writes a
temporary file and renames it; an object store takes one PUT), so a concurrent reader sees the
old shape or the new one. ``append`` writes its data before the new document, so a reader never
sees the appended region unwritten. Both return a new handle; the one given keeps the old shape.

Each function here is the one definition of an operation (see ``_op.py``). Rust side:
``crates/zarrbridge-python/src/resize.rs`` and ``crates/zarrbridge-core/src/resize.rs``.
"""

from __future__ import annotations

import operator
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge._convert import ShapeLike, data_dtype, data_for_write, native_array, shape_arg
from zarrbridge._op import Call, Op
from zarrbridge.errors import InvalidDataError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["append", "resize"]


def resize(array: Array, shape: ShapeLike) -> Op[Array]:
    """Change the array's shape.

    Growing exposes elements that read as the fill value (parts of the old edge chunks that an
    earlier shrink left behind are reset first). Shrinking deletes the chunks that lie wholly
    outside the new shape, as zarr-python does; elements of edge chunks past the new edge stay
    stored until the array grows over them again. The document is read from the store first,
    so attributes changed by another handle are kept.

    Args:
        array: The array.
        shape: The new shape, with as many dimensions as the array.

    Returns:
        A handle of the resized array.

    Raises:
        InvalidDataError: ``shape`` has another number of dimensions.
        NodeNotFoundError: The array is gone from the store.
        UnsupportedError: The chunk grid is not regular.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://resize-doc", "a", shape=(4,), dtype="i2",
        ...                          chunks=3)
        >>> a[:] = [1, 2, 3, 4]
        >>> b = zb.sync.resize(a, 6)
        >>> b.shape, b[:]
        ((6,), array([1, 2, 3, 4, 0, 0], dtype=int16))
    """
    new_shape = shape_arg(shape, "shape")
    if isinstance(new_shape, int):
        new_shape = [new_shape]
    return Call(_ext.resize, (native_array(array), new_shape), array._with_handle)


def append(array: Array, data: npt.ArrayLike, axis: int = 0) -> Op[Array]:
    """Write ``data`` after the end of the array along ``axis``, growing it.

    Args:
        array: The array.
        data: An array with the array's number of dimensions and its shape in every dimension
            but ``axis`` (a compatible dtype kind, as for :func:`~zarrbridge.write_region`).
        axis: The dimension to grow (negative counts from the end).

    Returns:
        A handle of the grown array.

    Raises:
        InvalidDataError: ``data`` does not fit (nothing is written), or ``axis`` is out of
            range.
        NodeNotFoundError: The array is gone from the store.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://resize-doc", "b", shape=(2, 2), dtype="i2")
        >>> b = zb.sync.append(a, [[5, 6]])
        >>> b[:]
        array([[0, 0],
               [0, 0],
               [5, 6]], dtype=int16)
    """
    native = native_array(array)
    arr = np.asarray(data)
    axis = operator.index(axis)
    if not -array.ndim <= axis < array.ndim:
        raise InvalidDataError(f"axis {axis} is out of range for a {array.ndim}-d array")
    axis %= array.ndim
    if arr.ndim != array.ndim:
        raise InvalidDataError(
            f"cannot append {arr.ndim}-d data to a {array.ndim}-d array (shapes {arr.shape} "
            f"and {array.shape})"
        )
    buf = data_for_write(arr, data_dtype(array), arr.shape, native.writable_kinds)
    args = (native, buf, list(arr.shape), axis)
    return Call(_ext.append, args, array._with_handle)
