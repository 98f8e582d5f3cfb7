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
    VlenMode,
    as_buffer,
    check_out,
    data_dtype,
    data_for_write,
    filled,
    native_array,
    none,
    selection_tuple,
    to_numpy,
    vlen_mode,
)
from zarrbridge._op import Call, Op
from zarrbridge._progress import ProgressCallback, tracked
from zarrbridge.errors import UnsupportedError

if TYPE_CHECKING:  # annotations only: _nodes (Array) builds its methods from this module
    from zarrbridge._nodes import Array

__all__ = ["read_region", "read_region_arrow", "write_region"]


def read_region(
    array: Array,
    selection: SelectionLike = ...,
    *,
    out: npt.NDArray[Any] | None = None,
    vlen: VlenMode = "numpy",
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
            to decode into (not for variable-length data).
        vlen: How ``string`` and ``bytes`` values are returned: ``"numpy"`` (text as numpy
            ``StringDType``, bytes as objects) or ``"object"`` (object arrays of ``str`` or
            ``bytes``). :func:`read_region_arrow` returns them as an Arrow array.
        progress: Called with a :class:`~zarrbridge.Progress` (chunks and bytes done and
            planned) at most every 100 ms while the read runs, and once at the end.

    Returns:
        A writeable array in native byte order (fixed-size elements: its memory is owned by
        Rust); ``out`` when given.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        UnsupportedError: Fancy, boolean or ``np.newaxis`` indexing (see
            :func:`read_orthogonal` and :func:`read_vectorized`); the array's data type or a
            codec is not supported.
        InvalidDataError: ``out`` does not match.

    Example:
        >>> block = await zb.read_region(a, (slice(0, 10), 5))  # doctest: +SKIP
    """
    native = native_array(array)
    dtype = data_dtype(array)
    sel = selection_tuple(selection)
    if out is None:
        call = Call(_ext.read_region, (native, sel), partial(to_numpy, dtype, vlen_mode(vlen)))
        return tracked(call, progress)
    checked = check_out(out, dtype, tuple(_ext.selection_shape(native, sel)))
    call = Call(_ext.read_region, (native, sel, as_buffer(checked)), partial(filled, checked))
    return tracked(call, progress)


def read_region_arrow(array: Array, selection: SelectionLike = ...) -> Op[_ext.VlenBuffer]:
    """Read a region of a ``string`` or ``bytes`` array for Arrow, without a copy.

    Args:
        array: The array (Zarr ``string`` or ``bytes``; v2 ``vlen-utf8`` or ``vlen-bytes``).
        selection: As for :func:`read_region`.

    Returns:
        The values, flattened in C order, in a :class:`~zarrbridge.VlenBuffer`: it implements
        the Arrow PyCapsule interface (``__arrow_c_array__``), so ``pyarrow.array(result)`` (or
        polars, DuckDB, ...) makes a ``large_string`` or ``large_binary`` array of the very
        buffers Rust decoded into; ``result.shape`` is the region's shape.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        UnsupportedError: The array is not variable-length (numpy arrays of numbers become
            Arrow arrays without a copy already: ``pyarrow.array(await zb.read_region(a))``),
            or its data type or a codec is not supported.

    Example:
        >>> names = pyarrow.array(await zb.read_region_arrow(a))  # doctest: +SKIP
    """
    native = native_array(array)
    dtype = data_dtype(array)
    if dtype.kind not in "TO":
        raise UnsupportedError(
            f"Arrow output is for string and bytes arrays, not {dtype}; numpy arrays of "
            f"numbers convert to Arrow without a copy (pyarrow.array(await read_region(...)))"
        )
    return Call(_ext.read_region, (native, selection_tuple(selection)), _vlen_buffer)


def _vlen_buffer(buf: _ext.NdBuffer | _ext.VlenBuffer) -> _ext.VlenBuffer:
    if not isinstance(buf, _ext.VlenBuffer):
        raise UnsupportedError("Arrow output is for string and bytes arrays")
    return buf


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
            complex->complex, datetime64->datetime64 and timedelta64->timedelta64 converted
            exactly, text (``StringDType``, ``U``, ``str`` objects) -> text, bytes (``S``,
            ``bytes`` objects) -> bytes; text longer than a fixed width is refused).
        progress: As for :func:`read_region`.

    Raises:
        SelectionError: The selection is out of bounds or malformed.
        InvalidDataError: ``data`` cannot be written (nothing is written).
        UnsupportedError: The array's data type or a codec is not supported.

    Example:
        >>> await zb.write_region(a, (slice(0, 10), 5), np.arange(10))  # doctest: +SKIP
    """
    native = native_array(array)
    dtype = data_dtype(array)
    sel = selection_tuple(selection)
    shape = tuple(_ext.selection_shape(native, sel))
    buf = data_for_write(data, dtype, shape, native.writable_kinds)
    return tracked(Call(_ext.write_region, (native, sel, buf), none), progress)
