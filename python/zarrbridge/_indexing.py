"""The indexing family: orthogonal and vectorized selections, read and written.

- Orthogonal (zarr-python's ``oindex``, numpy's ``np.ix_``): per dimension an int, a slice
  (any step), an array of ints (negative ones count from the end; repeats and any order
  allowed) or a boolean mask as long as the dimension; the result takes every combination.
- Vectorized (``vindex``, numpy's integer-array indexing): one array of ints (or an int) per
  dimension, broadcast together; the result has their broadcast shape, one element per point.
  Or one boolean array of the array's shape: the elements where it is true, in C order.

Only the chunks holding selected elements are read (for a sharded array, only those inner
chunks and the shards' indexes), each decoded once, however many of its elements are picked.
Writes follow numpy: values broadcast to the selection's shape, and a position selected twice
gets the last of its values. Index arrays cross to Rust as numpy buffers.

Each function here is the one definition of an operation (see ``_op.py``); ``OIndex`` and
``VIndex`` give handles ``a.oindex[...]`` and ``a.vindex[...]``. Rust side:
``crates/zarrbridge-python/src/indexing.rs``, ``crates/zarrbridge-core/src/indexing.rs`` and
``crates/zarrbridge-core/src/gather.rs``.
"""

from __future__ import annotations

from functools import partial
from types import EllipsisType
from typing import TYPE_CHECKING, Any, TypeAlias

import numpy as np
import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge._convert import (
    as_buffer,
    check_out,
    data_dtype,
    data_for_write,
    filled,
    native_array,
    none,
    selection_tuple,
    to_numpy,
)
from zarrbridge._op import Call, Op, blocking
from zarrbridge._progress import ProgressCallback, tracked
from zarrbridge.errors import SelectionError, UnsupportedError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = [
    "OIndex",
    "OrthogonalSelection",
    "VIndex",
    "VectorizedSelection",
    "read_orthogonal",
    "read_vectorized",
    "write_orthogonal",
    "write_vectorized",
]

OrthogonalSelection: TypeAlias = Any
"""Per dimension an int, a slice, ``...``, an array (or list) of ints or a boolean mask; or a
tuple of those."""

VectorizedSelection: TypeAlias = Any
"""A tuple of int arrays (or ints), one per dimension, broadcast together; or one boolean array
of the array's shape."""

_I64_MAX = 2**63 - 1


def _positions(arr: npt.NDArray[Any]) -> npt.NDArray[np.int64]:
    """Integer positions as a contiguous 1-d int64 array (the buffer Rust takes)."""
    if arr.dtype.kind == "u" and arr.size and int(arr.max()) > _I64_MAX:
        raise SelectionError(f"index {int(arr.max())} is out of bounds")
    return np.ascontiguousarray(arr.reshape(-1), dtype=np.int64)


def _index_array(item: object) -> npt.NDArray[Any]:
    arr = np.asarray(item)
    if arr.size == 0 and arr.dtype.kind not in "iub":
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iub":
        raise SelectionError(
            f"arrays used as indices must be of integer or boolean type, not {arr.dtype}"
        )
    return arr


def _orthogonal_item(item: object) -> int | slice | EllipsisType | npt.NDArray[Any]:
    if not isinstance(item, (np.ndarray, list, tuple, range)):
        return selection_tuple((item,))[0]
    arr = _index_array(item)
    if arr.dtype.kind == "b":
        if arr.ndim != 1:
            raise SelectionError("a boolean mask in an orthogonal selection must be 1-d")
        return np.ascontiguousarray(arr).view(np.uint8)
    if arr.ndim == 0:
        return selection_tuple((int(arr),))[0]
    if arr.ndim != 1:
        raise SelectionError("an integer array in an orthogonal selection must be 1-d")
    return _positions(arr)


def _orthogonal(array: Array, selection: OrthogonalSelection) -> _ext.Selection:
    items = selection if type(selection) is tuple else (selection,)
    native = native_array(array)
    return _ext.orthogonal_selection(native, tuple(_orthogonal_item(i) for i in items))


def _vectorized(array: Array, selection: VectorizedSelection) -> _ext.Selection:
    native = native_array(array)
    if type(selection) is not tuple:
        arr = np.asarray(selection)
        if arr.dtype.kind == "b":
            if arr.shape != array.shape or arr.ndim == 0:
                raise SelectionError(
                    f"a boolean mask of shape {arr.shape} does not match the array's shape "
                    f"{array.shape}"
                )
            coords = [_positions(c) for c in np.nonzero(arr)]
            return _ext.vectorized_selection(native, coords, [len(coords[0])])
        selection = (selection,)
    arrays = []
    for item in selection:
        if item is Ellipsis or item is None or isinstance(item, slice):
            raise UnsupportedError(
                "a vectorized selection takes one int array (or int) per dimension; slices, "
                "... and np.newaxis are not supported there (use oindex)"
            )
        arr = _index_array(item)
        if arr.dtype.kind == "b":
            raise UnsupportedError(
                "a boolean array in a vectorized selection is only supported alone, as a mask "
                "of the array's shape (use oindex for a mask per dimension)"
            )
        arrays.append(arr)
    try:
        broadcast = np.broadcast_arrays(*arrays)
    except ValueError:
        shapes = " ".join(str(a.shape) for a in arrays)
        raise SelectionError(
            f"shape mismatch: index arrays could not be broadcast together with shapes {shapes}"
        ) from None
    shape = broadcast[0].shape if broadcast else ()
    return _ext.vectorized_selection(native, [_positions(b) for b in broadcast], list(shape))


def _read(
    array: Array,
    sel: _ext.Selection,
    out: npt.NDArray[Any] | None,
    progress: ProgressCallback | None,
) -> Op[npt.NDArray[Any]]:
    native = native_array(array)
    dtype = data_dtype(array)
    if out is None:
        finish = partial(to_numpy, dtype, "numpy")
        return tracked(Call(_ext.read_selection, (native, sel), finish), progress)
    checked = check_out(out, dtype, tuple(sel.shape))
    call = Call(_ext.read_selection, (native, sel, as_buffer(checked)), partial(filled, checked))
    return tracked(call, progress)


def _write(
    array: Array, sel: _ext.Selection, data: npt.ArrayLike, progress: ProgressCallback | None
) -> Op[None]:
    native = native_array(array)
    buf = data_for_write(data, data_dtype(array), tuple(sel.shape), native.writable_kinds)
    return tracked(Call(_ext.write_selection, (native, sel, buf), none), progress)


def read_orthogonal(
    array: Array,
    selection: OrthogonalSelection,
    *,
    out: npt.NDArray[Any] | None = None,
    progress: ProgressCallback | None = None,
) -> Op[npt.NDArray[Any]]:
    """Read an orthogonal selection (zarr-python's ``oindex``, numpy's ``a[np.ix_(...)]``).

    Args:
        array: The array.
        selection: Per dimension an int (drops the dimension), a slice (any step), ``...``,
            an array or list of ints (negative ones count from the end; repeats and any order
            allowed) or a boolean mask as long as the dimension; or a tuple of those.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and the result shape
            to fill.
        progress: Called with a :class:`~zarrbridge.Progress` at most every 100 ms, and once
            at the end.

    Returns:
        The selected elements, one dimension per dimension not indexed by an int; ``out`` when
        given.

    Raises:
        SelectionError: A position is out of bounds, a mask has the wrong length, or an index
            array is not of integer or boolean type.

    Example:
        >>> import numpy as np
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://oindex-doc", "a", shape=(4, 5), dtype="i4",
        ...                          chunks=2)
        >>> a[:] = np.arange(20).reshape(4, 5)
        >>> zb.sync.read_orthogonal(a, ([3, 0], [True, False, False, False, True]))
        array([[15, 19],
               [ 0,  4]], dtype=int32)
    """
    return _read(array, _orthogonal(array, selection), out, progress)


def write_orthogonal(
    array: Array,
    selection: OrthogonalSelection,
    data: npt.ArrayLike,
    *,
    progress: ProgressCallback | None = None,
) -> Op[None]:
    """Write an orthogonal selection; ``data`` broadcasts to its shape (numpy's rules), and a
    position selected twice gets the last of its values.

    Args:
        array: The array.
        selection: As for :func:`read_orthogonal`.
        data: As for :func:`~zarrbridge.write_region`.
        progress: As for :func:`read_orthogonal`.

    Raises:
        SelectionError: As for :func:`read_orthogonal`.
        InvalidDataError: ``data`` cannot be written (nothing is written).

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://oindex-doc", "w", shape=(3, 3), dtype="i4")
        >>> zb.sync.write_orthogonal(a, ([0, 2], [2, 0]), 7)
        >>> a[:]
        array([[7, 0, 7],
               [0, 0, 0],
               [7, 0, 7]], dtype=int32)
    """
    return _write(array, _orthogonal(array, selection), data, progress)


def read_vectorized(
    array: Array,
    selection: VectorizedSelection,
    *,
    out: npt.NDArray[Any] | None = None,
    progress: ProgressCallback | None = None,
) -> Op[npt.NDArray[Any]]:
    """Read a vectorized selection (zarr-python's ``vindex``, numpy's integer-array indexing).

    Points in one chunk are gathered from one decode of it.

    Args:
        array: The array.
        selection: One array (or list) of ints, or an int, per dimension, broadcast together
            (negative ints count from the end); or one boolean array of the array's shape.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and the result shape
            to fill.
        progress: As for :func:`read_orthogonal`.

    Returns:
        One element per point, in the broadcast shape of the index arrays (for a mask: 1-d,
        in C order); ``out`` when given.

    Raises:
        SelectionError: A position is out of bounds, the arrays do not broadcast, there is not
            one per dimension, or a mask has another shape.
        UnsupportedError: Slices, ``...`` or ``np.newaxis`` in the selection.

    Example:
        >>> import numpy as np
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://vindex-doc", "a", shape=(4, 5), dtype="i4",
        ...                          chunks=2)
        >>> a[:] = np.arange(20).reshape(4, 5)
        >>> zb.sync.read_vectorized(a, ([3, 0, 3], [4, 1, -1]))
        array([19,  1, 19], dtype=int32)
    """
    return _read(array, _vectorized(array, selection), out, progress)


def write_vectorized(
    array: Array,
    selection: VectorizedSelection,
    data: npt.ArrayLike,
    *,
    progress: ProgressCallback | None = None,
) -> Op[None]:
    """Write a vectorized selection; ``data`` broadcasts to its shape, and a point selected
    twice gets the last of its values.

    Args:
        array: The array.
        selection: As for :func:`read_vectorized`.
        data: As for :func:`~zarrbridge.write_region`.
        progress: As for :func:`read_orthogonal`.

    Raises:
        SelectionError: As for :func:`read_vectorized`.
        UnsupportedError: As for :func:`read_vectorized`.
        InvalidDataError: ``data`` cannot be written (nothing is written).

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://vindex-doc", "w", shape=(3, 3), dtype="i4")
        >>> zb.sync.write_vectorized(a, ([0, 1, 2], [0, 1, 2]), [1, 2, 3])
        >>> a[:]
        array([[1, 0, 0],
               [0, 2, 0],
               [0, 0, 3]], dtype=int32)
    """
    return _write(array, _vectorized(array, selection), data, progress)


_read_orthogonal = blocking(read_orthogonal)
_write_orthogonal = blocking(write_orthogonal)
_read_vectorized = blocking(read_vectorized)
_write_vectorized = blocking(write_vectorized)


class OIndex:
    """``array.oindex``: orthogonal selections (see :func:`read_orthogonal`), as in
    zarr-python. ``a.oindex[sel]`` and ``a.oindex[sel] = v`` block; ``await
    a.oindex.getitem(sel)`` and ``await a.oindex.setitem(sel, v)`` are their async forms.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://oindex-doc", "h", shape=(3, 3), dtype="i4")
        >>> a.oindex[[0, 2], 1] = [5, 6]
        >>> a.oindex[:, [1]]
        array([[5],
               [0],
               [6]], dtype=int32)
    """

    __slots__ = ("_array",)

    def __init__(self, array: Array) -> None:
        self._array = array

    def __getitem__(self, selection: OrthogonalSelection) -> npt.NDArray[Any]:
        return _read_orthogonal(self._array, selection)

    def __setitem__(self, selection: OrthogonalSelection, value: npt.ArrayLike) -> None:
        _write_orthogonal(self._array, selection, value)

    async def getitem(self, selection: OrthogonalSelection) -> npt.NDArray[Any]:
        """Read ``selection`` (the async form of ``a.oindex[selection]``)."""
        return await read_orthogonal(self._array, selection).run()

    async def setitem(self, selection: OrthogonalSelection, value: npt.ArrayLike) -> None:
        """Write ``value`` (the async form of ``a.oindex[selection] = value``)."""
        await write_orthogonal(self._array, selection, value).run()


class VIndex:
    """``array.vindex``: vectorized selections (see :func:`read_vectorized`), as in
    zarr-python. ``a.vindex[sel]`` and ``a.vindex[sel] = v`` block; ``await
    a.vindex.getitem(sel)`` and ``await a.vindex.setitem(sel, v)`` are their async forms.

    Example:
        >>> import zarrbridge as zb
        >>> a = zb.sync.create_array("memory://vindex-doc", "h", shape=(3, 3), dtype="i4")
        >>> a.vindex[[0, 2], [1, 1]] = 4
        >>> a.vindex[[0, 1], [1, 1]]
        array([4, 0], dtype=int32)
    """

    __slots__ = ("_array",)

    def __init__(self, array: Array) -> None:
        self._array = array

    def __getitem__(self, selection: VectorizedSelection) -> npt.NDArray[Any]:
        return _read_vectorized(self._array, selection)

    def __setitem__(self, selection: VectorizedSelection, value: npt.ArrayLike) -> None:
        _write_vectorized(self._array, selection, value)

    async def getitem(self, selection: VectorizedSelection) -> npt.NDArray[Any]:
        """Read ``selection`` (the async form of ``a.vindex[selection]``)."""
        return await read_vectorized(self._array, selection).run()

    async def setitem(self, selection: VectorizedSelection, value: npt.ArrayLike) -> None:
        """Write ``value`` (the async form of ``a.vindex[selection] = value``)."""
        await write_vectorized(self._array, selection, value).run()
