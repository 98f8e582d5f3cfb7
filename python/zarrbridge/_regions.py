"""The region family: read and write regions selected like numpy basic indexing.

Each function here is the one definition of an operation (see ``_op.py``). Rust side:
``crates/zarrbridge-python/src/regions.rs`` and ``crates/zarrbridge-core/src/regions.rs``.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any

import numpy.typing as npt

from zarrbridge import _native as _ext
from zarrbridge._convert import (
    SelectionLike,
    as_buffer,
    check_out,
    data_for_write,
    filled,
    native_array,
    ndarray,
    none,
    selection_tuple,
)
from zarrbridge._op import Call, Op
from zarrbridge._progress import ProgressCallback, tracked

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["read_region", "write_region"]


def read_region(
    array: Array,
    selection: SelectionLike = ...,
    *,
    out: npt.NDArray[Any] | None = None,
    progress: ProgressCallback | None = None,
) -> Op[npt.NDArray[Any]]:
    """Read a region selected like numpy basic indexing.

    A selection with steps reads only the chunks holding selected elements, and needs memory
    for its result only (plus one decoded chunk per compute thread), not for the box around it.

    Args:
        array: The array.
        selection: An int, a slice (any step, negative too), ``...``, or a tuple of those;
            ints drop their dimension and missing trailing dimensions are full slices.
        out: A C-contiguous writeable array of exactly ``array.dtype`` and the result shape
            to decode into.
        progress: Called with a :class:`~zarrbridge.Progress` (chunks and bytes done and
            planned) at most every 100 ms while the read runs, and once at the end.

    Returns:
        A writeable array in native byte order (its memory is owned by Rust); ``out`` when
        given.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        UnsupportedError: Fancy, boolean or ``np.newaxis`` indexing (see
            :func:`read_orthogonal` and :func:`read_vectorized`).
        InvalidDataError: ``out`` does not match.

    Example:
        >>> block = await zb.read_region(a, (slice(0, 10), 5))  # doctest: +SKIP
    """
    native = native_array(array)
    sel = selection_tuple(selection)
    if out is None:
        return tracked(Call(_ext.read_region, (native, sel), ndarray), progress)
    checked = check_out(out, array.dtype, tuple(_ext.selection_shape(native, sel)))
    call = Call(_ext.read_region, (native, sel, as_buffer(checked)), partial(filled, checked))
    return tracked(call, progress)


def write_region(
    array: Array,
    selection: SelectionLike,
    data: npt.ArrayLike,
    *,
    progress: ProgressCallback | None = None,
) -> Op[None]:
    """Write a region selected like numpy basic indexing, with numpy broadcasting.

    Args:
        array: The array.
        selection: As for :func:`read_region`.
        data: A numpy array (any order, strides or byte order), scalar or nested list of a
            compatible dtype kind (bool->bool, int->int/float/complex, float->float/complex,
            complex->complex).
        progress: As for :func:`read_region`.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        InvalidDataError: ``data`` cannot be written (nothing is written).

    Example:
        >>> await zb.write_region(a, (slice(0, 10), 5), np.arange(10))  # doctest: +SKIP
    """
    native = native_array(array)
    sel = selection_tuple(selection)
    shape = tuple(_ext.selection_shape(native, sel))
    buf = data_for_write(data, array.dtype, shape, native.writable_kinds)
    return tracked(Call(_ext.write_region, (native, sel, as_buffer(buf)), none), progress)
